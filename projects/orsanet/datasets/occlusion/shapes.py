"""Occluder shapes: each type's footprint, growing with a size ``t``.

Each occluder type has a *layout* function, which draws the random parameters of one occluder
once (``rng``) from the face's geometry (:mod:`.placement`), and returns ``draw(t) -> bool
mask``: the occluder's footprint at size ``t``. The footprint grows monotonically with ``t``
(``t = 1`` is a natural size; a larger ``t`` covers a superset, up to pixel rounding), so
:func:`.severity.fit_to_severity` can search ``t`` for a target coverage.
"""
from typing import Callable, Dict, Tuple

import cv2
import numpy as np

from .placement import FaceGeometry

Mask = np.ndarray
Layout = Callable[[float], Mask]


def _canvas(shape: Tuple[int, int]) -> np.ndarray:
    return np.zeros(shape, dtype=np.uint8)


def _ellipse(mask: np.ndarray, centre, axes, angle: float = 0.0) -> None:
    axes = (max(int(round(axes[0])), 0), max(int(round(axes[1])), 0))
    cv2.ellipse(mask, (int(round(centre[0])), int(round(centre[1]))), axes, angle, 0, 360, 1, -1)


def _rotated_rect(mask: np.ndarray, centre, size, angle: float) -> None:
    box = cv2.boxPoints(((float(centre[0]), float(centre[1])), (float(size[0]), float(size[1])),
                         angle))
    cv2.fillPoly(mask, [np.round(box).astype(np.int32)], 1)


def _random_point(rng: np.random.Generator, geo: FaceGeometry, margin: float = 0.15) -> np.ndarray:
    x1, y1, x2, y2 = geo.box
    return np.array([rng.uniform(x1 + margin * geo.width, x2 - margin * geo.width),
                     rng.uniform(y1 + margin * geo.height, y2 - margin * geo.height)])


# ------------------------------------------------------------------------- layouts
def layout_patch(shape, geo: FaceGeometry, rng: np.random.Generator) -> Layout:
    """1-3 axis-aligned rectangles at random places in the face box."""
    count = int(rng.integers(1, 4))
    centres = [_random_point(rng, geo, 0.1) for _ in range(count)]
    sizes = [rng.uniform(0.2, 0.4, 2) * (geo.width, geo.height) for _ in range(count)]

    def draw(t: float) -> Mask:
        mask = _canvas(shape)
        for centre, size in zip(centres, sizes):
            _rotated_rect(mask, centre, size * t, 0.0)
        return mask.astype(bool)
    return draw


def layout_eye_bar(shape, geo: FaceGeometry, rng: np.random.Generator) -> Layout:
    """A dark bar over both eyes, or sunglasses (two lenses and a bridge), along the eye line."""
    sunglasses = bool(rng.random() < 0.5)
    centre = geo.eyes.mean(0)
    span, angle = geo.eye_span, geo.angle

    def draw(t: float) -> Mask:
        mask = _canvas(shape)
        if sunglasses:
            for eye in geo.eyes:
                _ellipse(mask, eye, (0.45 * span * t, 0.3 * span * t), angle)
            _rotated_rect(mask, centre, (span, 0.08 * span * t), angle)
        else:
            _rotated_rect(mask, centre, (1.9 * span * t, 0.5 * span * t), angle)
        return mask.astype(bool)
    return draw


def layout_mask(shape, geo: FaceGeometry, rng: np.random.Generator) -> Layout:
    """A medical mask: from just under the nose bridge over the mouth to the chin."""
    top_y = geo.nose[1] - 0.35 * (geo.nose[1] - geo.eyes[:, 1].mean())
    bottom_y = max(geo.chin_y, geo.mouth[1] + 1.0)
    centre = np.array([geo.mouth[0], (top_y + bottom_y) / 2])
    half = np.array([0.5 * 1.5 * geo.eye_span, 0.5 * (bottom_y - top_y)])

    def draw(t: float) -> Mask:
        mask = _canvas(shape)
        # a rounded rectangle: an ellipse over a rectangle, both growing about the centre
        _rotated_rect(mask, centre, (2 * half[0] * t, 1.2 * half[1] * t), geo.angle)
        _ellipse(mask, centre, half * t, geo.angle)
        return mask.astype(bool)
    return draw


def layout_hand(shape, geo: FaceGeometry, rng: np.random.Generator) -> Layout:
    """A hand-like blob: a palm and four or five fingers, over the mouth, an eye or a cheek."""
    anchors = [geo.mouth, geo.eyes[0], geo.eyes[1], (geo.nose + geo.eyes[0]) / 2,
               (geo.nose + geo.eyes[1]) / 2, geo.nose]
    centre = anchors[int(rng.integers(len(anchors)))] + rng.normal(0, 0.03, 2) * geo.width
    direction = rng.uniform(0, 2 * np.pi)
    fingers = int(rng.integers(4, 6))
    palm = 0.22 * min(geo.width, geo.height)

    def draw(t: float) -> Mask:
        mask = _canvas(shape)
        r = palm * t
        _ellipse(mask, centre, (r, 0.85 * r), np.degrees(direction))
        for k in range(fingers):
            a = direction + (k - (fingers - 1) / 2) * 0.28
            start = centre + 0.6 * r * np.array([np.cos(a), np.sin(a)])
            end = centre + (1.6 + 0.25 * (k % 2)) * r * np.array([np.cos(a), np.sin(a)])
            thickness = max(int(round(0.38 * r)), 1)
            cv2.line(mask, tuple(np.round(start).astype(int)), tuple(np.round(end).astype(int)),
                     1, thickness)
        return mask.astype(bool)
    return draw


def layout_scarf(shape, geo: FaceGeometry, rng: np.random.Generator) -> Layout:
    """A scarf pulled up from below the chin, with a wavy upper edge, across the face."""
    x1, _, x2, _ = geo.box
    h, w = shape
    phase, amplitude = rng.uniform(0, 2 * np.pi), rng.uniform(0.01, 0.04) * geo.height
    xs = np.linspace(min(x1, 0) - 1, max(x2, w) + 1, 32)
    bottom = max(geo.box[3], geo.chin_y) + 1

    def draw(t: float) -> Mask:
        mask = _canvas(shape)
        top = bottom - t * 0.45 * geo.height
        ys = top + amplitude * np.sin(phase + 6 * np.pi * (xs - xs[0]) / (xs[-1] - xs[0]))
        poly = np.concatenate([np.stack([xs, ys], 1), [[xs[-1], h + 1], [xs[0], h + 1]]])
        if t > 0:
            cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
        return mask.astype(bool)
    return draw


def layout_object(shape, geo: FaceGeometry, rng: np.random.Generator) -> Layout:
    """A random object: a star-shaped polygon (5-9 corners) or an ellipse, anywhere on the face.

    The polygon's corners go round its centre, one in each of ``n`` equal sectors, so no two
    neighbours are half a turn or more apart: the polygon holds its centre and grows about it.
    """
    centre = _random_point(rng, geo, 0.2)
    size = 0.25 * min(geo.width, geo.height)
    if rng.random() < 0.5:
        count = int(rng.integers(5, 10))
        sector = 2 * np.pi / count
        angles = rng.uniform(0, 2 * np.pi) + sector * (np.arange(count)
                                                       + rng.uniform(0.15, 0.85, count))
        radii = rng.uniform(0.6, 1.3, count)
        unit = np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]

        def draw(t: float) -> Mask:
            mask = _canvas(shape)
            cv2.fillPoly(mask, [np.round(centre + unit * size * t).astype(np.int32)], 1)
            return mask.astype(bool)
        return draw
    axes, angle = rng.uniform(0.6, 1.3, 2), rng.uniform(0, 180)

    def draw_ellipse(t: float) -> Mask:
        mask = _canvas(shape)
        _ellipse(mask, centre, axes * size * t, angle)
        return mask.astype(bool)
    return draw_ellipse


LAYOUTS: Dict[str, Callable] = dict(patch=layout_patch, eye_bar=layout_eye_bar,
                                    mask=layout_mask, hand=layout_hand, scarf=layout_scarf,
                                    object=layout_object)
OCCLUDER_TYPES = tuple(LAYOUTS)
