"""facenet-pytorch's MTCNN face detector (the MTCNN extra) on real photographs, on our torch.

The faces ship inside scikit-image (astronaut; LFW crops upscaled to 100 px and border-padded);
the weights inside the facenet-pytorch wheel (installed with --no-deps: it pins an old torch).
Without the extra these tests skip locally and fail in CI (the ``mtcnn_extra`` fixture):
``make test`` installs it. The detector is built once per session.
"""
import ast
import builtins
import os

import cv2
import numpy as np
import pytest
from astronaut_face import check_astronaut_box

from orsanet.faces import FaceAligner, FallbackFaceDetector, HaarFaceDetector, build_face_detector
from orsanet.faces.detection import DEFAULT_MTCNN_DETECTOR
from orsanet.faces.sample_photos import astronaut, lfw_face, lfw_non_face

# Her eye centres in skimage's astronaut, from dlib's 68 points (as in test_dlib_backends.py).
ASTRONAUT_EYES = np.array([[203.5, 102.0], [246.0, 104.5]])
LFW_CLEAN = range(8)


@pytest.fixture(scope='session')
def mtcnn():
    from orsanet.faces.mtcnn import MTCNNFaceDetector, mtcnn_available
    if not mtcnn_available():
        message = 'the MTCNN extra is not installed: make env-mtcnn (requirements/mtcnn.txt)'
        if os.environ.get('CI', '').lower() in ('1', 'true', 'yes'):
            pytest.fail(message)
        pytest.skip(message)
    return MTCNNFaceDetector()


@pytest.fixture(scope='session')
def astronaut_face(mtcnn):
    [face] = mtcnn(astronaut())
    return face


def grey_bgr(grey: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def test_finds_the_astronaut_with_five_points(astronaut_face):
    check_astronaut_box(astronaut_face.box)
    assert astronaut_face.box.shape == (4,) and astronaut_face.score > 0.99
    points = astronaut_face.points
    assert points.shape == (5, 2) and points.dtype == np.float64
    # eye centres, nose tip, mouth corners, in the order of the alignment template
    np.testing.assert_allclose(points[:2], ASTRONAUT_EYES, atol=6)
    (lx, ly), (rx, ry), (nx, ny), (mlx, mly), (mrx, mry) = points
    assert lx < nx < rx and max(ly, ry) < ny < min(mly, mry) and mlx < nx < mrx


def test_lfw_faces_grey_input_and_no_non_face(mtcnn):
    for i in LFW_CLEAN:
        [face] = mtcnn(lfw_face(i))  # grey (H, W) input
        assert face.points.shape == (5, 2)
        x1, y1, x2, y2 = face.box  # the 100-px face in the middle of the 160-px image
        assert 60 < (x1 + x2) / 2 < 100 and 60 < (y1 + y2) / 2 < 100 and 60 < x2 - x1 < 130
    assert not any(mtcnn(grey_bgr(lfw_non_face(i))) for i in LFW_CLEAN)


def test_boxes_and_points_follow_the_photo(mtcnn, astronaut_face):
    """A photo enlarged past ``max_side`` is detected on a copy; boxes and points come back in
    the photo's pixels."""
    big = cv2.resize(astronaut(), (1536, 1536), interpolation=cv2.INTER_LINEAR)
    [face] = mtcnn(big)
    assert face.extra['detected_at_scale'] == pytest.approx(1024 / 1536)
    check_astronaut_box(face.box / 3)
    np.testing.assert_allclose(face.points / 3, astronaut_face.points, atol=3)


def test_aligner_warps_from_the_detectors_points(astronaut_face):
    aligner = FaceAligner(landmarker=None)
    aligned = aligner(astronaut(), astronaut_face.box, astronaut_face.points)
    assert aligned.method == 'detector' and aligned.crop.shape == (100, 100, 3)
    mapped = astronaut_face.points @ aligned.matrix[:, :2].T + aligned.matrix[:, 2]
    np.testing.assert_allclose(mapped[:2], aligner.template[:2], atol=4)


def test_built_by_name_and_options_checked(mtcnn):
    from orsanet.faces.mtcnn import MTCNNFaceDetector
    detector = build_face_detector(dict(type='mtcnn', min_face=40, score_thr=0.95))
    assert isinstance(detector, MTCNNFaceDetector) and detector.net.min_face_size == 40
    with pytest.raises(ValueError, match='at least 12 px'):
        MTCNNFaceDetector(min_face=8)
    with pytest.raises(ValueError, match='3 thresholds'):
        MTCNNFaceDetector(thresholds=(0.6, 0.7))


def test_auto_is_mtcnn_with_the_extra(mtcnn, monkeypatch):
    """The default chosen from the benchmark: MTCNN (+ Haar where it finds nothing) with the
    MTCNN extra; without it dlib's CNN + Haar with the dlib extra, else Haar."""
    from orsanet.faces import dlib_backends
    from orsanet.faces import mtcnn as mtcnn_module
    from orsanet.faces.mtcnn import MTCNNFaceDetector
    assert DEFAULT_MTCNN_DETECTOR == dict(type='mtcnn+haar')
    detector = build_face_detector('auto')
    assert isinstance(detector, FallbackFaceDetector)
    first, second = detector.detectors
    assert isinstance(first, MTCNNFaceDetector) and isinstance(second, HaarFaceDetector)
    monkeypatch.setattr(mtcnn_module, 'mtcnn_available', lambda: False)
    monkeypatch.setattr(dlib_backends, 'dlib_available', lambda: True)
    from orsanet.faces.detection import resolve_auto_detector
    assert resolve_auto_detector() == dict(type='dlib_cnn+haar')
    monkeypatch.setattr(dlib_backends, 'dlib_available', lambda: False)
    assert resolve_auto_detector() == dict(type='haar')


def test_missing_extra_names_it(monkeypatch):
    import importlib.util

    from orsanet.faces import mtcnn as mtcnn_module
    real_import, real_find = builtins.__import__, importlib.util.find_spec

    def no_facenet(name, *args, **kwargs):
        if name.split('.')[0] == 'facenet_pytorch':
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_facenet)
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda name, *a: None if name == 'facenet_pytorch' else real_find(name, *a))
    assert not mtcnn_module.mtcnn_available()
    with pytest.raises(ImportError, match=r'make env-mtcnn.*--no-deps -r requirements/mtcnn\.txt'):
        build_face_detector('mtcnn')


def test_facenet_is_imported_only_inside_functions():
    """No module of the package imports facenet_pytorch when it is imported (lazy: users who
    do not build an MTCNN detector pay nothing); the one import is in ``import_mtcnn``."""
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), 'projects', 'orsanet')
    found = []
    for folder, _, files in os.walk(root):
        for name in (f for f in files if f.endswith('.py')):
            path = os.path.join(folder, name)
            with open(path, encoding='utf-8') as f:
                tree = ast.parse(f.read())
            functions = [n for n in ast.walk(tree)
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            inside = {id(c) for fn in functions for c in ast.walk(fn)}
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ''] if isinstance(node, ast.ImportFrom) else [])
                if any(n.split('.')[0] == 'facenet_pytorch' for n in names):
                    found.append((os.path.relpath(path, root), id(node) in inside))
    assert found == [(os.path.join('faces', 'mtcnn.py'), True)]


@pytest.mark.slow
def test_inferencer_default_is_mtcnn_aligned_from_its_points(mtcnn, checkpoint):
    """FERInferencer without detector/aligner arguments, the MTCNN extra installed: the
    astronaut is found by MTCNN and aligned from its own 5 points."""
    from fer_checkpoint import CONFIG

    from orsanet.apis import FERInferencer
    inferencer = FERInferencer(CONFIG, checkpoint=checkpoint, device='cpu')
    [result] = inferencer(astronaut())
    [face] = result['faces']
    check_astronaut_box(face['box'])
    assert face['alignment'] == 'detector' and np.array(face['points']).shape == (5, 2)


def test_channels_last_nets_give_the_faces_of_the_stock_layout(mtcnn):
    """The detector keeps its nets channels-last (faster pooling); the stock NCHW nets give
    the same boxes, scores and points on the astronaut and on three faces side by side."""
    import torch
    stock = type(mtcnn)(channels_last=False)
    conv = stock.net.pnet.conv1.weight
    assert mtcnn.net.pnet.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert conv.is_contiguous() and not conv.is_contiguous(memory_format=torch.channels_last)
    photo = astronaut()
    three = np.concatenate([cv2.resize(photo, (200, 200))] * 3, axis=1)
    for image, count in ((photo, 1), (three, 3)):
        fast, slow = mtcnn(image), stock(image)
        assert len(fast) == len(slow) == count
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a.box, b.box, atol=1e-3)
            np.testing.assert_allclose(a.points, b.points, atol=1e-3)
            assert a.score == pytest.approx(b.score, abs=1e-5)
