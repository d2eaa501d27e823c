"""Face detectors for inference behind one small interface.

A detector is called on a BGR uint8 image (H, W, 3) and returns a list of :class:`FaceDetection`
(``base.py``: box in pixels, score, optional 5 alignment points), largest face first.

- :class:`HaarFaceDetector`: OpenCV's Haar cascades, offline out of the box (``opencv-python<5``
  ships the cascade files in ``cv2.data.haarcascades``; OpenCV 5 does not).
- :class:`MMDetFaceDetector`: any mmdet detector from a config + checkpoint (e.g. a face detector
  you trained with mmdet), keeping the boxes of one class above a score threshold.
- ``MTCNNFaceDetector`` (``mtcnn.py``, the optional MTCNN extra): facenet-pytorch's trained
  MTCNN, boxes with 5 alignment points.
- ``DlibFaceDetector`` (``dlib_backends.py``, the optional dlib extra): dlib's trained CNN or HOG
  face detector.

``build_face_detector`` makes one from a name (``'auto'``, ``'haar'``, ``'mtcnn'``,
``'dlib_cnn'``, ``'dlib_hog'``, or names joined by ``+``: a :class:`FallbackFaceDetector`), a
config dict (``dict(type='mmdet', config=..., checkpoint=...)``) or returns a callable as it is.
``'auto'`` is the detector chosen from the benchmark: :data:`DEFAULT_MTCNN_DETECTOR` when the
MTCNN extra is installed, else :data:`DEFAULT_DLIB_DETECTOR` with the dlib extra, else Haar.

Haar and dlib detect on a copy whose longer side is bounded (``max_side``) and map the boxes
back: at full resolution the astronaut enlarged to 8000 x 8000 gave Haar 10 "faces" (one real)
and would take dlib's CNN minutes. mmdet detectors resize in their own test pipeline.
"""
import os.path as osp
import warnings
from typing import Callable, List, Optional, Sequence, Union

import cv2
import numpy as np

from . import dlib_backends
from .base import (
    FaceDetection,
    detect_rescaled,
    detection_scale,
    load_cascade,
    sort_largest_first,
    to_grey,
)


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
        max_side (int, optional): Detect on a copy with this longer side at most (boxes mapped
            back; :func:`detect_rescaled`): faces must then be ``min_size`` x longer side /
            ``max_side`` px (60 px in a 1920-px video frame, 250 px in an 8000-px photo; raise
            it for group photos of small faces). The cascade's false positives grow with the
            pixel count: on the astronaut enlarged to 640 / 800 / 1024 / 1280 px it found 1 /
            2 / 4 / 4 faces (one real). Defaults to 640.
    """

    def __init__(self, cascade: str = 'haarcascade_frontalface_default.xml',
                 scale_factor: float = 1.1, min_neighbors: int = 5, min_size: int = 20,
                 equalize: bool = True, min_score: float = 1.5,
                 max_side: Optional[int] = 640) -> None:
        self.cascade = load_cascade(cascade)
        self.min_score = float(min_score)
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = int(min_size)
        self.equalize = equalize
        self.max_side = max_side

    def __call__(self, image: np.ndarray) -> List[FaceDetection]:
        scale = detection_scale(image.shape, self.max_side)
        return sort_largest_first(detect_rescaled(image, scale, self._detect))

    def _detect(self, image: np.ndarray) -> List[FaceDetection]:
        grey = to_grey(image)
        if self.equalize:
            grey = cv2.equalizeHist(grey)
        boxes, _, weights = self.cascade.detectMultiScale3(
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size), outputRejectLevels=True)
        return [
            FaceDetection(box=np.array([x, y, x + w, y + h], dtype=np.float64),
                          score=float(s), extra=dict(haar_weight=float(s)))
            for (x, y, w, h), s in zip(np.reshape(boxes, (-1, 4)), np.ravel(weights))
            if s >= self.min_score
        ]


class MMDetFaceDetector:
    """Faces from an mmdet detector (config + checkpoint), e.g. a face detector trained with mmdet.

    Args:
        config (str | Config): The detector's mmdet config.
        checkpoint (str, optional): Its weights. Required unless ``random_weights``.
        device (str): Defaults to ``'cpu'``.
        score_thr (float): Keep boxes scoring at least this. Defaults to 0.5.
        face_label (int, optional): Keep only this class (None: every class). Defaults to 0.
        random_weights (bool): Allow ``checkpoint=None``: a detector with random weights (finds
            no real face; for tests of the plumbing), with a warning. Defaults to False.
    """

    def __init__(self, config, checkpoint: Optional[str] = None, device: str = 'cpu',
                 score_thr: float = 0.5, face_label: Optional[int] = 0,
                 random_weights: bool = False) -> None:
        if checkpoint is None and not random_weights:
            raise ValueError(
                'the mmdet face detector has no checkpoint: with random weights it finds no '
                'face. Give its checkpoint (--det-checkpoint, or checkpoint=... in the detector '
                'dict); random weights only with --det-random-weights / random_weights=True')
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'mmdet detector checkpoint {checkpoint} does not exist')
        self.random_weights = checkpoint is None
        if self.random_weights:
            warnings.warn('the mmdet face detector runs with RANDOM weights (random_weights=True):'
                          ' its boxes mean nothing', UserWarning, stacklevel=2)
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
        return sort_largest_first(faces)


class FallbackFaceDetector:
    """Faces of the first detector that finds any: the next detector runs only on images where
    the ones before found nothing (``'dlib_cnn+haar'``: Haar where dlib's CNN finds no face).

    Args:
        detectors (sequence): Detector specs or callables, in order (see
            :func:`build_face_detector`).
    """

    def __init__(self, detectors: Sequence['DetectorSpec']) -> None:
        if len(detectors) < 2:
            raise ValueError(f'a fallback detector needs two detectors or more, got {detectors}')
        self.detectors = [build_face_detector(d) for d in detectors]

    def __call__(self, image: np.ndarray) -> List[FaceDetection]:
        for detector in self.detectors:
            faces = list(detector(image))
            if faces:
                return faces
        return []


DetectorSpec = Union[str, dict, Callable[[np.ndarray], Sequence[FaceDetection]]]

# What 'auto' picks, chosen from the face pipeline benchmark
# (tools/analysis_tools/face_pipeline_benchmark.py; figures and the reasons in docs/inference.md):
# with the MTCNN extra installed, else with the dlib extra (the default before issue 24).
DEFAULT_MTCNN_DETECTOR = dict(type='mtcnn+haar')
DEFAULT_DLIB_DETECTOR = dict(type='dlib_cnn+haar')
DETECTOR_TYPES = ('auto', 'haar', 'mtcnn', 'dlib_cnn', 'dlib_hog', 'dlib_cnn+haar', 'mtcnn+haar',
                  'mmdet')


def resolve_auto_detector() -> dict:
    """The detector ``'auto'`` stands for here: :data:`DEFAULT_MTCNN_DETECTOR` with the MTCNN
    extra, else :data:`DEFAULT_DLIB_DETECTOR` with the dlib extra, else Haar (logged once per
    call)."""
    from mmengine.logging import print_log

    from .mtcnn import MTCNN_INSTALL_HINT, mtcnn_available
    if mtcnn_available():
        return dict(DEFAULT_MTCNN_DETECTOR)
    if dlib_backends.dlib_available():
        print_log("face detector: dlib's CNN + Haar (the MTCNN extra is not installed: "
                  f'{MTCNN_INSTALL_HINT}; it is about 10x faster)', logger='current')
        return dict(DEFAULT_DLIB_DETECTOR)
    print_log('face detector: Haar (neither the MTCNN nor the dlib extra is installed; for '
              f'occluded faces {MTCNN_INSTALL_HINT})', logger='current')
    return dict(type='haar')


def build_face_detector(spec: DetectorSpec = 'auto') -> Callable[[np.ndarray],
                                                                 List[FaceDetection]]:
    """A face detector from a name in :data:`DETECTOR_TYPES`, ``dict(type=name, **kwargs)``
    (e.g. ``dict(type='mmdet', config=..., checkpoint=...)``, ``dict(type='dlib_cnn',
    min_face=60)``), names joined by ``+`` (a :class:`FallbackFaceDetector`: ``'dlib_cnn+haar'``)
    or a callable (returned as it is)."""
    if callable(spec):
        return spec
    cfg = dict(type=spec) if isinstance(spec, str) else dict(spec)
    if cfg.get('type') == 'auto':
        if len(cfg) > 1:
            raise ValueError(f"the 'auto' face detector takes no options, got {cfg}; name the "
                             'detector instead')
        cfg = resolve_auto_detector()
    if '+' in str(cfg.get('type')):
        if len(cfg) > 1:
            raise ValueError(f'a fallback detector {cfg["type"]!r} takes no options; build '
                             'FallbackFaceDetector([dict(...), dict(...)]) for options')
        return FallbackFaceDetector(cfg['type'].split('+'))
    kind = cfg.pop('type', None)
    if kind == 'haar':
        return HaarFaceDetector(**cfg)
    if kind == 'mtcnn':
        from .mtcnn import MTCNNFaceDetector
        return MTCNNFaceDetector(**cfg)
    if kind in ('dlib_cnn', 'dlib_hog'):
        return dlib_backends.DlibFaceDetector(model=kind[len('dlib_'):], **cfg)
    if kind == 'mmdet':
        if 'config' not in cfg:
            raise KeyError("an mmdet face detector needs dict(type='mmdet', config=..., "
                           'checkpoint=...)')
        return MMDetFaceDetector(**cfg)
    raise ValueError(f'unknown face detector {kind!r}: use one of {DETECTOR_TYPES} (mmdet as '
                     "dict(type='mmdet', config=..., checkpoint=...)) or a callable image -> "
                     '[FaceDetection]')
