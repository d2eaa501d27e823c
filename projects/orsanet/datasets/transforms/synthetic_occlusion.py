"""SyntheticOcclusion: paint a synthetic occluder of a given severity on a face image."""
import os.path as osp
import zlib
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log
from mmpretrain.registry import TRANSFORMS

from ..occlusion import (
    OCCLUDER_TYPES,
    FaceGeometry,
    box_geometry,
    landmark_geometry,
    paint_occluder,
    parsing_geometry,
)

LANDMARK_KEY = 'gt_keypoints'  # 68 iBUG landmarks, (68, 2) or (1, 68, 2[+]) pixels (x, y)


@TRANSFORMS.register_module()
class SyntheticOcclusion(BaseTransform):
    """Paint a synthetic occluder covering a chosen fraction of the face (occlusion robustness
    analysis in the spirit of Occlu-FER; beyond the ORSANet paper).

    Occluder types: ``'patch'`` (1-3 random rectangles), ``'eye_bar'`` (a dark bar or
    sunglasses along the eye line), ``'mask'`` (a medical mask over nose tip, mouth and chin),
    ``'hand'`` (a skin-coloured palm with fingers over the mouth, an eye or a cheek),
    ``'scarf'`` (striped, pulled up from below the chin, wavy top) and ``'object'`` (a textured
    random polygon or ellipse).

    Placement uses the face's geometry, from (first found):

    - ``results['gt_keypoints']``: the 68 iBUG landmarks in pixels of ``results['img']``,
      shape (68, 2), (68, 3) or (1, 68, 2/3) (x, y first). mmpretrain's geometric transforms do
      not move keypoints, so put this transform right after ``LoadImageFromFile``.
    - ``results['gt_seg_map']``: a LaPa parsing map (11 classes; 2-5 brows/eyes, 6 nose, 7-9
      mouth; 1 skin, 10 hair), same size as the image.
    - the face box: average positions of the parts in an aligned face crop.

    The face box is ``results['face_box']`` (x1, y1, x2, y2 pixels) if given, else the whole
    image (aligned face crops). ``coverage`` is the occluded fraction of the face box, the one
    definition of severity of the occluder library (:mod:`orsanet.datasets.occlusion`, which the
    synthetic face generator uses too); the occluder's size is searched so that the coverage
    equals the severity within ``tolerance`` (a pixel-rounding limit; the actual value is
    recorded).

    Added key ``results['occlusion'] = dict(type=str, severity=float, coverage=float)`` (type
    ``'none'`` and coverage 0 when the transform did not occlude).

    Args:
        types (str | Sequence[str]): Occluder type(s); one is drawn per image. Defaults to all.
        severity (float | tuple[float, float]): Target fraction of the face box to cover in
            [0, 1], or a (min, max) range drawn per image. 0 leaves the image clean. Defaults
            to 0.25.
        prob (float): Probability of occluding an image. Defaults to 1.0.
        seed (int, optional): With a seed, the occluder of an image depends only on the seed
            and the image (``img_path``'s class folder and file name, else ``sample_idx``), so a
            test split is reproducible, in any order and across workers. None: random each time
            (training augmentation). Defaults to None.
        tolerance (float): Allowed ``|coverage - severity|``; a larger miss (a face box of
            only a few dozen pixels, where one pixel row is several percent) is logged once.
            Defaults to 0.02.
    """

    def __init__(self,
                 types: Union[str, Sequence[str]] = OCCLUDER_TYPES,
                 severity: Union[float, Tuple[float, float]] = 0.25,
                 prob: float = 1.0,
                 seed: Optional[int] = None,
                 tolerance: float = 0.02) -> None:
        self.types = [types] if isinstance(types, str) else list(types)
        unknown = [t for t in self.types if t not in OCCLUDER_TYPES]
        if unknown or not self.types:
            raise ValueError(f'SyntheticOcclusion: unknown occluder type(s) {unknown}; choose '
                             f'from {list(OCCLUDER_TYPES)}')
        bounds = severity if isinstance(severity, (tuple, list)) else (severity, severity)
        if len(bounds) != 2 or not 0 <= bounds[0] <= bounds[1] <= 1:
            raise ValueError(f'SyntheticOcclusion: severity {severity} must be a fraction in '
                             '[0, 1] or a (min, max) range of fractions')
        if not 0 <= prob <= 1:
            raise ValueError(f'SyntheticOcclusion: prob {prob} must be in [0, 1]')
        self.severity = (float(bounds[0]), float(bounds[1]))
        self.prob, self.seed, self.tolerance = prob, seed, tolerance
        self._warned = False

    # ----------------------------------------------------------------- helpers
    def _rng(self, results: dict) -> np.random.Generator:
        if self.seed is None:
            return np.random.default_rng()
        path = results.get('img_path')
        if path:
            key = '/'.join(osp.normpath(str(path)).split(osp.sep)[-2:])
        else:
            key = str(results.get('sample_idx', ''))
        return np.random.default_rng([self.seed, zlib.crc32(key.encode())])

    @staticmethod
    def _face_box(results: dict, shape) -> Tuple[int, int, int, int]:
        h, w = shape
        if results.get('face_box') is None:
            return 0, 0, w, h
        x1, y1, x2, y2 = (int(round(float(v))) for v in np.asarray(results['face_box'])[:4])
        x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, w), min(y2, h)
        if x2 <= x1 or y2 <= y1:
            raise ValueError(f'SyntheticOcclusion: face_box {results["face_box"]} is empty inside '
                             f'the {w} x {h} image ({results.get("img_path")})')
        return x1, y1, x2, y2

    @staticmethod
    def geometry(results: dict, box, shape) -> FaceGeometry:
        """Face geometry from the landmarks, else the parsing map, else the box."""
        if results.get(LANDMARK_KEY) is not None:
            points = np.asarray(results[LANDMARK_KEY], dtype=np.float64)
            points = points.reshape(-1, points.shape[-1])[:, :2]
            if len(points) != 68:
                raise ValueError(f'SyntheticOcclusion: results["{LANDMARK_KEY}"] has '
                                 f'{len(points)} points; expected the 68 iBUG landmarks '
                                 f'({results.get("img_path")})')
            return landmark_geometry(points, box)
        seg = results.get('gt_seg_map')
        if seg is not None:
            seg = np.asarray(seg)
            if seg.shape[:2] != tuple(shape):
                raise ValueError(f'SyntheticOcclusion: gt_seg_map {seg.shape[:2]} does not match '
                                 f'the image {tuple(shape)} ({results.get("img_path")})')
            geo = parsing_geometry(seg, box)
            if geo is not None:
                return geo
        return box_geometry(box)

    # ----------------------------------------------------------------- transform
    def transform(self, results: dict) -> dict:
        img = results['img']
        rng = self._rng(results)
        apply = rng.random() < self.prob
        kind = self.types[int(rng.integers(len(self.types)))]
        target = float(rng.uniform(*self.severity))
        if not apply or target <= 0:
            results['occlusion'] = dict(type='none', severity=0.0, coverage=0.0)
            return results
        shape = img.shape[:2]
        box = self._face_box(results, shape)
        occ = paint_occluder(img, kind, target, self.geometry(results, box, shape), rng,
                             self.tolerance)
        if abs(occ.coverage - target) > self.tolerance and not self._warned:
            self._warned = True  # small face boxes: coverage moves in steps of ~1 pixel row
            print_log(f'SyntheticOcclusion: {kind} covers {occ.coverage:.3f} of the face box '
                      f'instead of {target:.3f} ({results.get("img_path")}); the face box is too '
                      f'small for tolerance {self.tolerance} (warned once)', logger='current',
                      level=30)
        results['img'] = occ.img
        results['occlusion'] = dict(type=kind, severity=target, coverage=occ.coverage)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(types={self.types}, severity={self.severity}, '
                f'prob={self.prob}, seed={self.seed}, tolerance={self.tolerance})')
