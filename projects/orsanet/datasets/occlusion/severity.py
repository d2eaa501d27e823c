"""Severity, the one definition: the share of the face box that the occluder covers.

The face box is the face's region in the image (``FaceGeometry.box``): the given face box, else
the whole image, as for aligned face crops (RAF-DB's, and the synthetic faces, whose 300W
annotations give the whole crop as the box). The face's pixels from a parsing map are NOT used,
so real datasets without one, detector boxes and the synthetic faces all measure alike. A shape
grows with its size ``t`` (see :mod:`.shapes`); :func:`fit_to_severity` searches ``t``.
"""
from typing import Callable, Tuple

import numpy as np

from .placement import Box


def covered_share(mask: np.ndarray, box: Box) -> float:
    """The share of ``box`` that the H x W bool ``mask`` covers, in [0, 1]."""
    x1, y1, x2, y2 = box
    return float(mask[y1:y2, x1:x2].mean())


def fit_to_severity(draw: Callable[[float], np.ndarray], box: Box, severity: float,
                    tolerance: float) -> Tuple[np.ndarray, float]:
    """The footprint ``draw(t)`` (H x W bool) whose covered share of ``box`` is closest to
    ``severity`` (bisection on ``t``; stops within ``tolerance / 4``), and that share."""
    lo, hi = 0.0, 1.0
    while covered_share(draw(hi), box) < severity and hi < 256:
        lo, hi = hi, hi * 2
    best = draw(hi)
    for _ in range(30):
        mid = (lo + hi) / 2
        mask = draw(mid)
        if covered_share(mask, box) < severity:
            lo = mid
        else:
            hi, best = mid, mask
        if abs(covered_share(best, box) - severity) <= tolerance / 4:
            break
    low = draw(lo)
    if abs(covered_share(low, box) - severity) < abs(covered_share(best, box) - severity):
        best = low
    return best, covered_share(best, box)
