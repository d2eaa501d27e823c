"""Face detectors for inference behind one small interface.

A detector is called on a BGR uint8 image (H, W, 3) and returns a list of :class:`FaceDetection`
(box in pixels, score, optional 5 alignment points), largest face first.

- :class:`HaarFaceDetector`: OpenCV's Haar cascades, offline out of the box (``opencv-python<5``
  ships the cascade files in ``cv2.data.haarcascades``; OpenCV 5 does not).
- :class:`MMDetFaceDetector`: any mmdet detector from a config + checkpoint (e.g. a face detector
  you trained with mmdet), keeping the boxes of one class above a score threshold.

``build_face_detector`` makes one from a name (``'haar'``), a config dict
(``dict(type='mmdet', config=..., checkpoint=...)``) or returns a callable as it is.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Union

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


def load_cascade(name: str) -> cv2.CascadeClassifier:
    """A Haar cascade by file name in ``cv2.data.haarcascades`` or by path."""
    path = name if osp.isfile(name) else osp.join(getattr(cv2, 'data').haarcascades, name)
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise FileNotFoundError(
            f'cannot load the Haar cascade {path}: opencv-python<5 ships the cascades in '
            'cv2.data.haarcascades (OpenCV 5 does not); install it or pass a cascade path')
    return cascade


def _sort_largest_first(faces: List[FaceDetection]) -> List[FaceDetection]:
    return sorted(faces, key=lambda f: -(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


class HaarFaceDetector:
    """Frontal faces with an OpenCV Haar cascade (``detectMultiScale`` on the grey image).

    Args:
        cascade (str): Cascade file name or path. Defaults to
            ``'haarcascade_frontalface_default.xml'``.
        scale_factor (float): Image pyramid step. Defaults to 1.1.
        min_neighbors (int): Overlapping detections needed to keep a face (higher: fewer false
            positives). Defaults to 5.
        min_size (int): Smallest face side searched, in pixels. Defaults to 20.
        equalize (bool): Histogram-equalise the grey image first. Defaults to True.
        min_score (float): Drop detections whose cascade level weight (``score``) is lower.
            Real faces score 2-8 on the faces shipped with scikit-image; weak false positives
            (e.g. a shoulder patch next to the astronaut's face) about 0.8. Defaults to 1.5.
    """

    def __init__(self, cascade: str = 'haarcascade_frontalface_default.xml',
                 scale_factor: float = 1.1, min_neighbors: int = 5, min_size: int = 20,
                 equalize: bool = True, min_score: float = 1.5) -> None:
        self.cascade = load_cascade(cascade)
        self.min_score = float(min_score)
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = int(min_size)
        self.equalize = equalize

    def __call__(self, image: np.ndarray) -> List[FaceDetection]:
        grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if self.equalize:
            grey = cv2.equalizeHist(grey)
        boxes, _, weights = self.cascade.detectMultiScale3(
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size), outputRejectLevels=True)
        faces = [
            FaceDetection(box=np.array([x, y, x + w, y + h], dtype=np.float64),
                          score=float(s), extra=dict(haar_weight=float(s)))
            for (x, y, w, h), s in zip(np.reshape(boxes, (-1, 4)), np.ravel(weights))
            if s >= self.min_score
        ]
        return _sort_largest_first(faces)


class MMDetFaceDetector:
    """Faces from an mmdet detector (config + checkpoint), e.g. a face detector trained with mmdet.

    Args:
        config (str | Config): The detector's mmdet config.
        checkpoint (str, optional): Its weights (None: random weights, for tests only).
        device (str): Defaults to ``'cpu'``.
        score_thr (float): Keep boxes scoring at least this. Defaults to 0.5.
        face_label (int, optional): Keep only this class (None: every class). Defaults to 0.
    """

    def __init__(self, config, checkpoint: Optional[str] = None, device: str = 'cpu',
                 score_thr: float = 0.5, face_label: Optional[int] = 0) -> None:
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'mmdet detector checkpoint {checkpoint} does not exist')
        from mmdet.apis import init_detector
        # palette='random': no test dataset is built just for drawing colours
        self.model = init_detector(config, checkpoint, device=device, palette='random')
        self.score_thr = float(score_thr)
        self.face_label = face_label

    def __call__(self, image: np.ndarray) -> List[FaceDetection]:
        from mmdet.apis import inference_detector
        image = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        instances = inference_detector(self.model, image).pred_instances
        boxes = instances.bboxes.cpu().numpy().astype(np.float64)
        scores = instances.scores.cpu().numpy()
        labels = instances.labels.cpu().numpy()
        keep = scores >= self.score_thr
        if self.face_label is not None:
            keep &= labels == self.face_label
        faces = [FaceDetection(box=b, score=float(s)) for b, s in zip(boxes[keep], scores[keep])]
        return _sort_largest_first(faces)


DetectorSpec = Union[str, dict, Callable[[np.ndarray], Sequence[FaceDetection]]]


def build_face_detector(spec: DetectorSpec = 'haar') -> Callable[[np.ndarray],
                                                                 List[FaceDetection]]:
    """A face detector from ``'haar'``, ``dict(type='haar', **kwargs)``,
    ``dict(type='mmdet', config=..., checkpoint=..., ...)`` or a callable (returned as is)."""
    if callable(spec):
        return spec
    cfg = dict(type=spec) if isinstance(spec, str) else dict(spec)
    kind = cfg.pop('type', None)
    if kind == 'haar':
        return HaarFaceDetector(**cfg)
    if kind == 'mmdet':
        if 'config' not in cfg:
            raise KeyError("an mmdet face detector needs dict(type='mmdet', config=..., "
                           'checkpoint=...)')
        return MMDetFaceDetector(**cfg)
    raise ValueError(f"unknown face detector {kind!r}: use 'haar', dict(type='mmdet', "
                     'config=..., checkpoint=...) or a callable image -> [FaceDetection]')
