"""Face alignment (template, similarity fit, 68 -> 5 points), detector and landmark adapters."""
import numpy as np
import pytest
import torch

from orsanet.faces import (
    RAFDB_TEMPLATE_100,
    FaceAligner,
    FaceDetection,
    HaarFaceDetector,
    MMDetFaceDetector,
    MMPoseLandmarker,
    build_face_detector,
    build_landmarker,
    landmarks68_to_5,
    similarity_transform,
)
from orsanet.faces.alignment import box_points
from orsanet.faces.sample_photos import astronaut

LANDMARK_CONFIG = 'configs/priors/mobilefacenet_68pt_300w.py'


def test_similarity_transform_recovers_a_known_warp():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 200, size=(5, 2))
    angle, scale, shift = 0.3, 0.7, np.array([12.0, -5.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ rot.T + shift
    matrix = similarity_transform(src, dst)
    np.testing.assert_allclose(matrix[:, :2], rot, atol=1e-10)
    np.testing.assert_allclose(matrix[:, 2], shift, atol=1e-8)


def test_similarity_transform_is_the_least_squares_fit():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, size=(5, 2))
    dst = src * 0.5 + rng.normal(scale=2.0, size=(5, 2))
    matrix = similarity_transform(src, dst)

    def error(m):
        return np.sum((src @ m[:, :2].T + m[:, 2] - dst)**2)

    best = error(matrix)
    for _ in range(50):  # any nearby similarity fits worse
        a, b = matrix[0, 0] + rng.normal(scale=1e-3), matrix[1, 0] + rng.normal(scale=1e-3)
        other = np.array([[a, -b, matrix[0, 2]], [b, a, matrix[1, 2]]])
        assert error(other) >= best - 1e-9


def test_similarity_transform_rejects_bad_points():
    with pytest.raises(ValueError, match='coincide'):
        similarity_transform(np.ones((5, 2)), RAFDB_TEMPLATE_100)
    with pytest.raises(ValueError, match='matching'):
        similarity_transform(np.ones((5, 2)), np.ones((4, 2)))


def test_landmarks68_to_5():
    points = np.zeros((68, 2))
    points[36:42] = [10, 20]
    points[42:48] = [30, 20]
    points[30], points[48], points[54] = [20, 30], [12, 40], [28, 40]
    np.testing.assert_allclose(landmarks68_to_5(points),
                               [[10, 20], [30, 20], [20, 30], [12, 40], [28, 40]])
    with pytest.raises(ValueError, match='68'):
        landmarks68_to_5(np.zeros((5, 2)))


def test_template_proportions():
    """The documented template: eyes level 36 px apart, nose and mouth centred below."""
    t = RAFDB_TEMPLATE_100
    assert t[0, 1] == t[1, 1] and t[1, 0] - t[0, 0] == 36
    assert t[2, 0] == 50 == (t[3, 0] + t[4, 0]) / 2
    assert t[0, 1] < t[2, 1] < t[3, 1] == t[4, 1] < 100


def test_box_alignment_and_scaled_template():
    image = astronaut()
    aligner = FaceAligner(size=200, use_eyes=False)
    box = [177, 67, 270, 160]
    aligned = aligner(image, box)
    assert aligned.method == 'box' and aligned.crop.shape == (200, 200, 3)
    mapped = aligned.points @ aligned.matrix[:, :2].T + aligned.matrix[:, 2]
    # box points have the template's proportions up to a least-squares fit: within a few px
    assert np.abs(mapped - 2 * RAFDB_TEMPLATE_100).max() < 6
    np.testing.assert_allclose(aligned.points, box_points(box))


def test_detector_points_are_used_first():
    image = astronaut()
    points = np.array([[202, 101], [246, 103], [224, 125], [206, 143], [242, 144]], float)
    aligned = FaceAligner()(image, [177, 67, 270, 160], points)
    assert aligned.method == 'detector'
    np.testing.assert_allclose(aligned.points, points)


def test_build_face_detector():
    assert isinstance(build_face_detector('haar'), HaarFaceDetector)
    assert build_face_detector(dict(type='haar', min_neighbors=3)).min_neighbors == 3

    def custom(image):
        return [FaceDetection(box=np.array([0., 0., 10., 10.]))]

    assert build_face_detector(custom) is custom
    with pytest.raises(ValueError, match='unknown face detector'):
        build_face_detector('retina')
    with pytest.raises(ValueError, match='takes no options'):
        build_face_detector(dict(type='auto', min_size=3))
    with pytest.raises(ValueError, match='unknown landmark model'):
        build_landmarker('dlib7')
    with pytest.raises(KeyError, match='config'):
        build_face_detector(dict(type='mmdet'))
    with pytest.raises(FileNotFoundError, match='cascade'):
        HaarFaceDetector(cascade='no_such_cascade.xml')


def test_mmpose_landmarker_plumbing(tmp_path):
    """The project's MobileFaceNet + GDCHead (random weights saved as a checkpoint) gives 68
    points for a face box, and the aligner then aligns from them."""
    from mmengine.config import Config
    from mmpose.registry import MODELS
    cfg = Config.fromfile(LANDMARK_CONFIG)
    torch.manual_seed(0)
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpose'):
        model = MODELS.build(cfg.model)
    ckpt = tmp_path / 'landmarks.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    landmarker = MMPoseLandmarker(LANDMARK_CONFIG, str(ckpt))
    box = [177.0, 67.0, 270.0, 160.0]
    points = landmarker(astronaut(), box)
    assert points.shape == (68, 2) and np.isfinite(points).all()
    aligned = FaceAligner(landmarker=landmarker)(astronaut(), box)
    assert aligned.method == 'landmarks' and aligned.points.shape == (5, 2)
    assert aligned.landmarks.shape == (68, 2)
    built = FaceAligner(landmarker=dict(type='mmpose', config=LANDMARK_CONFIG,
                                        checkpoint=str(ckpt)))
    assert isinstance(built.landmarker, MMPoseLandmarker) and built.eyes is None
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        MMPoseLandmarker(LANDMARK_CONFIG, str(tmp_path / 'missing.pth'))


def test_mmdet_adapter_plumbing():
    """A tiny mmdet RetinaNet with random weights: the adapter turns its instances into
    FaceDetections (the boxes mean nothing; this checks the plumbing only)."""
    from mmengine.hub import get_config
    cfg = get_config('mmdet::_base_/models/retinanet_r50_fpn.py')
    cfg.model.backbone.update(depth=18, init_cfg=None)
    cfg.model.neck.update(in_channels=[64, 128, 256, 512])
    cfg.model.bbox_head.update(num_classes=1, stacked_convs=1, feat_channels=32)
    cfg.model.test_cfg.update(score_thr=0.0, max_per_img=5)
    cfg.test_dataloader = dict(dataset=dict(type='CocoDataset', pipeline=[
        dict(type='LoadImageFromNDArray'), dict(type='Resize', scale=(256, 256), keep_ratio=True),
        dict(type='PackDetInputs', meta_keys=('img_shape', 'ori_shape', 'scale_factor'))]))
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='RANDOM weights'):
        detector = MMDetFaceDetector(cfg, None, score_thr=0.0, random_weights=True)
    faces = detector(astronaut())
    assert 1 <= len(faces) <= 5
    areas = [(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) for f in faces]
    assert areas == sorted(areas, reverse=True)
    for face in faces:
        assert face.box.shape == (4, ) and 0 <= face.score <= 1
    with pytest.warns(UserWarning, match='RANDOM weights'):
        assert MMDetFaceDetector(cfg, None, score_thr=1.1, random_weights=True)(astronaut()) == []


def test_mmdet_detector_without_checkpoint_is_refused():
    """Issue 14 item 2 (detector part): a detector config without a checkpoint ran a random
    detector that then found no face; now it is refused unless random weights are asked for."""
    from mmengine.hub import get_config
    cfg = get_config('mmdet::_base_/models/retinanet_r50_fpn.py')
    with pytest.raises(ValueError, match='no checkpoint.*random_weights=True'):
        MMDetFaceDetector(cfg)
    with pytest.raises(ValueError, match='no checkpoint'):
        build_face_detector(dict(type='mmdet', config=cfg))
    with pytest.raises(ValueError, match='no checkpoint'):
        MMPoseLandmarker(LANDMARK_CONFIG)


def test_command_line_refuses_a_detector_config_without_checkpoint(capsys):
    """The demos' and explain_faces' options: --det-config needs --det-checkpoint unless
    --det-random-weights."""
    import argparse

    from orsanet.faces.options import add_face_args, face_pipeline_from_args

    parser = argparse.ArgumentParser(prog='demo')
    add_face_args(parser)
    with pytest.raises(SystemExit) as exit_info:
        face_pipeline_from_args(parser.parse_args(['--det-config', 'det.py']), parser)
    assert exit_info.value.code == 2
    assert '--det-config needs --det-checkpoint' in capsys.readouterr().err
    detector, aligner = face_pipeline_from_args(
        parser.parse_args(['--det-config', 'det.py', '--det-random-weights']), parser)
    assert detector['random_weights'] is True and detector['checkpoint'] is None
    detector, aligner = face_pipeline_from_args(
        parser.parse_args(['--detector', 'haar', '--landmarker', 'none']), parser)
    assert detector == 'haar' and aligner == dict(size=100, landmarker=None)
    with pytest.raises(SystemExit):
        face_pipeline_from_args(parser.parse_args(['--detector', 'haar', '--det-config', 'x.py',
                                                   '--det-checkpoint', 'x.pth']), parser)


def test_implausible_eye_pair_falls_back_to_the_box():
    class FixedEyes:
        def __init__(self, eyes):
            self.eyes = np.array(eyes, float)

        def __call__(self, grey, box):
            return self.eyes

    box = [100.0, 100.0, 200.0, 200.0]  # expected eye distance 38 px
    aligner = FaceAligner()
    aligner.eyes = FixedEyes([[131, 138], [169, 138]])
    assert aligner.find_points(astronaut(), box)[1] == 'eyes'
    aligner.eyes = FixedEyes([[136, 138], [164, 138]])  # 28 px: 26 % short
    assert aligner.find_points(astronaut(), box)[1] == 'box'
