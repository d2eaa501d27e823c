"""Paint one occluder of a given severity on a face image: shape, size search, texture."""
from dataclasses import dataclass

import numpy as np

from .placement import FaceGeometry
from .severity import fit_to_severity
from .shapes import LAYOUTS, OCCLUDER_TYPES
from .textures import texture


@dataclass
class Occlusion:
    """One painted occluder.

    Attributes:
        img (np.ndarray): The occluded image, a copy (H x W x 3 or H x W, the input's dtype).
        mask (np.ndarray): H x W bool, the pixels the occluder covers.
        kind (str): Occluder type.
        severity (float): The target share of the face box to cover.
        coverage (float): The share of the face box ``mask`` covers (the achieved severity).
    """
    img: np.ndarray
    mask: np.ndarray
    kind: str
    severity: float
    coverage: float


def paint_occluder(img: np.ndarray, kind: str, severity: float, geometry: FaceGeometry,
                   rng: np.random.Generator, tolerance: float = 0.02) -> Occlusion:
    """Paint a ``kind`` occluder covering ``severity`` of ``geometry.box`` on a copy of ``img``.

    Args:
        img (np.ndarray): H x W x 3 BGR (or H x W grey) image; not changed.
        kind (str): One of :data:`OCCLUDER_TYPES`.
        severity (float): Target share of the face box to cover, in (0, 1].
        geometry (FaceGeometry): The face box and parts (:mod:`.placement`).
        rng (np.random.Generator): Draws the shape, then the texture.
        tolerance (float): The size search stops within ``tolerance / 4`` of ``severity``;
            on a face box of a few dozen pixels the coverage can miss by more (one pixel row
            is several percent), the caller checks ``coverage``. Defaults to 0.02.
    """
    if kind not in LAYOUTS:
        raise ValueError(f'unknown occluder type {kind!r}; expected one of {OCCLUDER_TYPES}')
    if not 0 < severity <= 1:
        raise ValueError(f'occluder severity {severity} must be a share of the face box in '
                         '(0, 1]')
    shape = img.shape[:2]
    draw = LAYOUTS[kind](shape, geometry, rng)
    mask, coverage = fit_to_severity(draw, geometry.box, severity, tolerance)
    layer = texture(kind, shape, rng)
    if img.ndim == 2:
        layer = layer.mean(-1)
    out = img.copy()
    out[mask] = np.clip(layer[mask], 0, 255).astype(img.dtype)
    return Occlusion(out, mask, kind, float(severity), coverage)
