"""The pieces every face module shares (detectors, landmark models, aligner, tracker).

- :class:`FaceDetection`: one detected face (box, score, optional 5 alignment points);
- :func:`sort_largest_first`, :func:`detection_scale`, :func:`detect_rescaled`: detection on a
  resized copy of an image, boxes mapped back;
- :func:`load_cascade`: an OpenCV Haar cascade (faces, eyes); :func:`to_grey`;
- :func:`landmarks68_to_5`: 68 iBUG points -> the 5 alignment points.

They live here, below ``detection``, ``alignment`` and ``dlib_backends``, so that those import
this module and never each other in a circle (``tests/test_import_graph.py``).
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

import cv2
import numpy as np


@dataclass
class FaceDetection:
    """One detected face: ``box`` (x1, y1, x2, y2) in pixels, ``score`` (1.0 for detectors
    without scores) and optional ``points`` (5, 2) for alignment."""
    box: np.ndarray
    score: float = 1.0
    points: Optional[np.ndarray] = None
    extra: dict = field(default_factory=dict)

    @property
    def size(self) -> float:
        """The shorter side of the box in pixels."""
        return float(min(self.box[2] - self.box[0], self.box[3] - self.box[1]))


def to_grey(image: np.ndarray) -> np.ndarray:
    """A BGR (H, W, 3) or grey (H, W) uint8 image as grey (H, W)."""
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def load_cascade(name: str) -> cv2.CascadeClassifier:
    """A Haar cascade by file name in ``cv2.data.haarcascades`` or by path."""
    path = name if osp.isfile(name) else osp.join(getattr(cv2, 'data').haarcascades, name)
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise FileNotFoundError(
            f'cannot load the Haar cascade {path}: opencv-python<5 ships the cascades in '
            'cv2.data.haarcascades (OpenCV 5 does not); install it or pass a cascade path')
    return cascade


def sort_largest_first(faces: List[FaceDetection]) -> List[FaceDetection]:
    return sorted(faces, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


def detection_scale(shape: Sequence[int], max_side: Optional[int], upscale: float = 1.0) -> float:
    """The factor a detector's copy of an image of ``shape`` (H, W, ...) is resized by:
    ``upscale`` (for detectors whose smallest face is larger than wanted), capped so that the
    copy's longer side is at most ``max_side`` px (None: no cap)."""
    return upscale if max_side is None else min(upscale, max_side / max(shape[:2]))


def detect_rescaled(image: np.ndarray, scale: float,
                    detect: Callable[[np.ndarray], List[FaceDetection]]) -> List[FaceDetection]:
    """``detect`` on a copy of ``image`` resized by ``scale`` (area interpolation to shrink,
    bilinear to enlarge), boxes and points mapped back to ``image``'s pixels."""
    if abs(scale - 1.0) < 1e-3:
        return detect(image)
    size = (max(int(round(image.shape[1] * scale)), 1), max(int(round(image.shape[0] * scale)), 1))
    copy = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    sx, sy = image.shape[1] / size[0], image.shape[0] / size[1]
    faces = detect(copy)
    for face in faces:
        face.box = face.box * np.array([sx, sy, sx, sy])
        if face.points is not None:
            face.points = np.asarray(face.points, np.float64) * np.array([sx, sy])
        face.extra['detected_at_scale'] = scale
    return faces


# iBUG 68-point indices: eyes 36-41 (image left) and 42-47, nose tip 30, mouth corners 48, 54.
_LEFT_EYE, _RIGHT_EYE, _NOSE_TIP, _MOUTH_LEFT, _MOUTH_RIGHT = (list(range(36, 42)),
                                                               list(range(42, 48)), 30, 48, 54)


def landmarks68_to_5(points: np.ndarray) -> np.ndarray:
    """68 iBUG-300W landmarks (68, 2) -> the 5 alignment points (5, 2): the centres of the two
    eye contours, the nose tip (30) and the mouth corners (48, 54)."""
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f'expected 68 (x, y) iBUG landmarks, got an array of shape {points.shape}')
    return np.stack([points[_LEFT_EYE].mean(0), points[_RIGHT_EYE].mean(0), points[_NOSE_TIP],
                     points[_MOUTH_LEFT], points[_MOUTH_RIGHT]])
