"""Face alignment for inference: 5 points -> a similarity warp onto the training-data template.

RAF-DB's aligned faces (100 x 100) were made by a similarity transform of 5 facial points (eye
centres, nose tip, mouth corners) onto a fixed template. The inferencer does the same to every
detected face, so a model sees faces framed as in training.

``RAFDB_TEMPLATE_100`` is this project's own template for a 100 x 100 crop, derived from common
facial proportions with the inter-ocular distance d (eye centre to eye centre) as the unit:

- eye centres on one horizontal line at y = 40, x = 50 -+ d / 2 with d = 36 px (0.36 of the crop),
  leaving about one d above the eyes for brows and forehead;
- nose tip on the mid line, d / 2 below the eyes: (50, 58);
- mouth corners about one d below the eyes (35 px) and 0.8 d apart: (35.5, 75), (64.5, 75);
  the chin then falls at about y = 95, so the whole face fits, tightly, as in RAF-DB's crops.

Any other template (e.g. one measured on your own training data) can be passed as a (5, 2) array
in pixels of the output size.

Where the 5 points come from (see :class:`FaceAligner`):

- a landmark model (``build_landmarker``): dlib's 5-point model (two eye centres) or 68-point
  model (68 iBUG points -> 5 with :func:`landmarks68_to_5`; trained on iBUG 300-W, whose licence
  excludes commercial use), or an mmpose model (``MMPoseLandmarker``); ``'auto'`` is the dlib
  model chosen from the benchmark (:data:`DEFAULT_DLIB_LANDMARKER`) when the dlib extra is
  installed, else none;
- ``'eyes'``: OpenCV's Haar eye cascade inside the face box; two eyes fix a similarity (rotation,
  scale, shift) from the eye pair alone;
- ``'box'``: points placed at fixed fractions of the face box (``BOX_POINTS_HAAR``, measured for
  OpenCV's frontal-face Haar boxes): no rotation, only scale and shift.
"""
import os.path as osp
import warnings
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from . import dlib_backends
from .base import landmarks68_to_5, load_cascade, to_grey

# (x, y) in pixels of a 100 x 100 crop: left eye, right eye (as seen in the image), nose tip,
# left mouth corner, right mouth corner. Derivation in the module docstring.
RAFDB_TEMPLATE_100 = np.array([[32.0, 40.0], [68.0, 40.0], [50.0, 58.0], [35.5, 75.0],
                               [64.5, 75.0]], dtype=np.float64)

# The same 5 points as fractions of a face box from OpenCV's haarcascade_frontalface_default
# (square boxes from about the brows to below the mouth). Eyes measured with the Haar eye cascade
# on scikit-image's faces (LFW subset: 50 faces with both eyes found, mean (0.30, 0.39) and
# (0.67, 0.38); astronaut (0.27, 0.37) and (0.74, 0.39)); nose and mouth placed from the eyes
# with the template's proportions (d = 0.38 of the box).
BOX_POINTS_HAAR = np.array([[0.30, 0.38], [0.68, 0.38], [0.49, 0.57], [0.34, 0.75],
                            [0.64, 0.75]], dtype=np.float64)

def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift; no reflection) taking ``src``
    points onto ``dst`` points, as a 2 x 3 matrix for ``cv2.warpAffine``.

    Points are read as complex numbers z = x + iy: the best map is z -> c z + t with
    c = sum(conj(s_k) d_k) / sum(|s_k|^2) over the centred points and t = mean(dst) - c mean(src).

    Args:
        src, dst: (K, 2) corresponding points, K >= 2, not all ``src`` points equal.
    """
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or len(src) < 2:
        raise ValueError(f'need matching (K, 2) point sets with K >= 2, got {src.shape} and '
                         f'{dst.shape}')
    zs = src[:, 0] + 1j * src[:, 1]
    zd = dst[:, 0] + 1j * dst[:, 1]
    zs_c, zd_c = zs - zs.mean(), zd - zd.mean()
    norm = float(np.sum(np.abs(zs_c)**2))
    if norm < 1e-12:
        raise ValueError('the source points all coincide: no similarity transform is defined')
    c = np.sum(np.conj(zs_c) * zd_c) / norm
    t = zd.mean() - c * zs.mean()
    return np.array([[c.real, -c.imag, t.real], [c.imag, c.real, t.imag]])


def box_points(box: Sequence[float], fractions: np.ndarray = BOX_POINTS_HAAR) -> np.ndarray:
    """The 5 points placed at ``fractions`` (5, 2) of an (x1, y1, x2, y2) box."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return np.stack([x1 + fractions[:, 0] * (x2 - x1), y1 + fractions[:, 1] * (y2 - y1)], axis=1)


@dataclass
class AlignedFace:
    """One aligned face.

    Attributes:
        crop: (size, size, 3) uint8 BGR crop.
        points: (K, 2) points of the ORIGINAL image used for the warp (5, or 2 eyes).
        method: ``'landmarks'``, ``'eyes'`` or ``'box'``.
        matrix: The 2 x 3 warp from the image to the crop.
        landmarks: The landmark model's full output (e.g. (68, 2)) or None.
    """
    crop: np.ndarray
    points: np.ndarray
    method: str
    matrix: np.ndarray
    landmarks: Optional[np.ndarray] = None


class HaarEyeLocator:
    """Eye centres inside a face box with OpenCV's Haar eye cascade (offline, in opencv-python).

    Eyes are searched in the upper 60 % of the box; the accepted pair has one eye in each half,
    a vertical offset under 0.15 of the box and a distance between 0.2 and 0.65 of its width.

    Args:
        cascade (str): A cascade file name inside ``cv2.data.haarcascades`` or a path.
        min_neighbors (int): ``detectMultiScale`` minNeighbors. Defaults to 5.
    """

    def __init__(self, cascade: str = 'haarcascade_eye.xml', min_neighbors: int = 5) -> None:
        self.cascade = load_cascade(cascade)
        self.min_neighbors = min_neighbors

    def __call__(self, grey: np.ndarray, box: Sequence[float]) -> Optional[np.ndarray]:
        """(2, 2) eye centres (image-left first) in image pixels, or None if no plausible pair."""
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        x1, y1 = max(x1, 0), max(y1, 0)
        width = x2 - x1
        roi = grey[y1:y1 + int(0.6 * (y2 - y1)), x1:x2]
        if width < 24 or roi.size == 0:
            return None
        found = self.cascade.detectMultiScale(roi, scaleFactor=1.1, minNeighbors=self.min_neighbors,
                                              minSize=(max(width // 10, 5), ) * 2,
                                              maxSize=(width // 2, ) * 2)
        centres = [(x + w / 2 + x1, y + h / 2 + y1) for x, y, w, h in np.reshape(found, (-1, 4))]
        left = [c for c in centres if c[0] < x1 + width / 2]
        right = [c for c in centres if c[0] >= x1 + width / 2]
        best, best_cost = None, np.inf
        for a in left:
            for b in right:
                dist, dy = b[0] - a[0], abs(b[1] - a[1])
                if dy > 0.15 * width or not 0.2 * width <= dist <= 0.65 * width:
                    continue
                cost = dy + abs((a[0] + b[0]) / 2 - (x1 + width / 2))  # level and centred
                if cost < best_cost:
                    best, best_cost = np.array([a, b], dtype=np.float64), cost
        return best


class FaceAligner:
    """Warps a detected face onto the template, from the best 5 points available.

    Order of preference: the detection's own 5 points (a detector that gives them), the landmark
    model (``landmarker``), the Haar eye pair (``use_eyes``), the box fractions.

    Args:
        size (int): Output crop side in pixels. Defaults to 100 (RAF-DB).
        template (array, optional): (5, 2) template points in pixels of ``size``. None:
            ``RAFDB_TEMPLATE_100`` scaled to ``size``.
        landmarker (str | dict | callable, optional): A landmark model for
            :func:`build_landmarker` (``'auto'``, ``'dlib68'``, ``'dlib5'``,
            ``dict(type='mmpose', config=..., checkpoint=...)``) or a callable
            ``landmarker(image_bgr, box) -> (68, 2) or (5, 2)`` points. A landmarker with an
            ``alignment_points(landmarks)`` method chooses the points to warp from. Defaults to
            None (Haar eyes, else the box).
        use_eyes (bool): Try the Haar eye cascade when there is no landmarker. Defaults to True.
        box_fractions (array): (5, 2) fractions of the face box for the box fallback; match them
            to your detector's boxes. Defaults to ``BOX_POINTS_HAAR``.
        border (str): ``'replicate'`` or ``'constant'`` (black) outside the image.
        eye_tolerance (float): A Haar eye pair is used only if its distance is within this
            fraction of the box fractions' eye distance (0.38 of the box for Haar boxes; on the
            LFW faces 80 % of the found pairs lie within 0.31-0.43); otherwise the box points
            are used (a wrong pair, e.g. a brow, zooms or tilts the crop). Defaults to 0.25.
    """

    def __init__(self, size: int = 100, template: Optional[np.ndarray] = None,
                 landmarker=None, use_eyes: bool = True,
                 box_fractions: np.ndarray = BOX_POINTS_HAAR, border: str = 'replicate',
                 eye_tolerance: float = 0.25) -> None:
        self.size = int(size)
        template = RAFDB_TEMPLATE_100 * (self.size / 100.0) if template is None else template
        self.template = np.asarray(template, dtype=np.float64)
        if self.template.shape != (5, 2):
            raise ValueError(f'the alignment template must be (5, 2) points, got '
                             f'{self.template.shape}')
        if border not in ('replicate', 'constant'):
            raise ValueError(f"border must be 'replicate' or 'constant', got {border!r}")
        self.border = cv2.BORDER_REPLICATE if border == 'replicate' else cv2.BORDER_CONSTANT
        self.landmarker = build_landmarker(landmarker)
        self.eyes = HaarEyeLocator() if use_eyes and self.landmarker is None else None
        self.box_fractions = np.asarray(box_fractions, dtype=np.float64)
        self.eye_tolerance = float(eye_tolerance)

    def plausible_eyes(self, eyes: np.ndarray, box: Sequence[float]) -> bool:
        """Whether an eye pair's distance agrees with the box (see ``eye_tolerance``)."""
        expected = (self.box_fractions[1, 0] - self.box_fractions[0, 0]) * (box[2] - box[0])
        return abs(np.linalg.norm(eyes[1] - eyes[0]) / expected - 1) <= self.eye_tolerance

    def find_points(self, image: np.ndarray, box: Sequence[float],
                    points: Optional[np.ndarray] = None
                    ) -> Tuple[np.ndarray, str, Optional[np.ndarray]]:
        """(points, method, full landmarks) for one face; points are (5, 2) or (2, 2) eyes."""
        if points is not None and len(points) == 5:
            return np.asarray(points, np.float64), 'detector', None
        if self.landmarker is not None:
            landmarks = np.asarray(self.landmarker(image, box), np.float64)
            to_points = getattr(self.landmarker, 'alignment_points', None)
            if to_points is not None:
                return to_points(landmarks), 'landmarks', landmarks
            five = landmarks68_to_5(landmarks) if len(landmarks) == 68 else landmarks
            return five, 'landmarks', landmarks
        if self.eyes is not None:
            grey = to_grey(image)
            eyes = self.eyes(grey, box)
            if eyes is not None and self.plausible_eyes(eyes, box):
                return eyes, 'eyes', None
        return box_points(box, self.box_fractions), 'box', None

    def __call__(self, image: np.ndarray, box: Sequence[float],
                 points: Optional[np.ndarray] = None) -> AlignedFace:
        """Align the face in ``box`` of a BGR uint8 image."""
        found, method, landmarks = self.find_points(image, box, points)
        target = self.template[:2] if len(found) == 2 else self.template
        matrix = similarity_transform(found, target)
        return AlignedFace(crop=self.warp(image, matrix), points=found, method=method,
                           matrix=matrix, landmarks=landmarks)

    def warp(self, image: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        """The (size, size, 3) crop of ``image`` under a 2 x 3 alignment ``matrix``."""
        return cv2.warpAffine(image, np.asarray(matrix, np.float64), (self.size, self.size),
                              flags=cv2.INTER_LINEAR, borderMode=self.border)


class MMPoseLandmarker:
    """Face landmarks from an mmpose top-down model (e.g. ``configs/priors/
    mobilefacenet_68pt_300w.py`` with the project's checkpoint): ``(image, box) -> (K, 2)``.

    The box is cropped and warped as the model's own test pipeline does (``GetBBoxCenterScale``,
    ``TopdownAffine``), through ``mmpose.apis.inference_topdown``.

    Args:
        config (str | Config): The mmpose model config.
        checkpoint (str, optional): Its weights. Required unless ``random_weights``.
        device (str): Defaults to ``'cpu'``.
        random_weights (bool): Allow ``checkpoint=None`` (random weights: meaningless points,
            for tests of the plumbing), with a warning. Defaults to False.
    """

    def __init__(self, config, checkpoint: Optional[str] = None, device: str = 'cpu',
                 random_weights: bool = False) -> None:
        from mmpose.apis import init_model

        import orsanet  # noqa: F401  (registers MobileFaceNet and GDCHead into mmpose)
        if checkpoint is None and not random_weights:
            raise ValueError('the mmpose landmark model has no checkpoint: with random weights '
                             'its points mean nothing. Give --landmark-checkpoint (or '
                             'checkpoint=...); random weights only with random_weights=True')
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise FileNotFoundError(f'landmark checkpoint {checkpoint} does not exist')
        if checkpoint is None:
            warnings.warn('the mmpose landmark model runs with RANDOM weights '
                          '(random_weights=True): its points mean nothing', UserWarning,
                          stacklevel=2)
        self.model = init_model(config, checkpoint, device=device)

    def __call__(self, image: np.ndarray, box: Sequence[float]) -> np.ndarray:
        from mmengine.registry import DefaultScope
        from mmpose.apis import inference_topdown

        with DefaultScope.overwrite_default_scope('mmpose'):
            samples = inference_topdown(self.model, image, np.asarray([box], np.float32),
                                        bbox_format='xyxy')
        return np.asarray(samples[0].pred_instances.keypoints[0], np.float64)


# What 'auto' picks with the dlib extra installed: chosen from the face pipeline benchmark
# (tools/analysis_tools/face_pipeline_benchmark.py; figures and the reasons in docs/inference.md):
# the 5-point model's eyes are as accurate as the 68-point model's under every occluder, it is
# faster (1.6 against 2.9 ms a face), and its licence (CC0) allows commercial use; the 68-point
# one's does not.
DEFAULT_DLIB_LANDMARKER = 'dlib5'
LANDMARKER_TYPES = ('auto', 'dlib68', 'dlib5', 'mmpose')
Landmarker = Callable[[np.ndarray, Sequence[float]], np.ndarray]


def build_landmarker(spec: Union[str, dict, Landmarker, None]) -> Optional[Landmarker]:
    """A landmark model from a name in :data:`LANDMARKER_TYPES`, ``dict(type=name, ...)``
    (``dict(type='mmpose', config=..., checkpoint=...)``), a callable (returned as it is) or
    None (none). ``'auto'``: :data:`DEFAULT_DLIB_LANDMARKER` with the dlib extra, else None
    (Haar eyes, else the box)."""
    if spec is None or callable(spec):
        return spec
    cfg = dict(type=spec) if isinstance(spec, str) else dict(spec)
    kind = cfg.pop('type', None)
    if kind == 'auto':
        if not dlib_backends.dlib_available():
            return None
        kind = DEFAULT_DLIB_LANDMARKER
    if kind in ('dlib68', 'dlib5'):
        return dlib_backends.DlibLandmarker(points=int(kind[len('dlib'):]), **cfg)
    if kind == 'mmpose':
        return MMPoseLandmarker(**cfg)
    raise ValueError(f'unknown landmark model {kind!r}: use one of {LANDMARKER_TYPES} (mmpose '
                     "as dict(type='mmpose', config=..., checkpoint=...)), a callable "
                     '(image, box) -> points, or None')
