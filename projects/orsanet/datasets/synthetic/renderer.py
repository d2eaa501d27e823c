"""Draw a :class:`~.geometry.FaceShapes` into a BGR image and its LaPa-style parsing map.

The canonical frame is mapped to pixels by one :class:`Pose` (yaw squash with a depth model, in-
plane rotation, scale, shift) used for polygons and landmarks alike. Polygons are filled with
sub-pixel precision (``cv2.fillPoly`` with ``shift``); the image is anti-aliased, the label map
not. Image-only details (iris, creases, teeth, nostrils, shading) never change labels.
"""
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Tuple

import cv2
import numpy as np

from .geometry import FaceShapes, Identity

# LaPa label ids (also the mmseg dataset's classes)
PARSING_CLASSES = ('background', 'skin', 'left_eyebrow', 'right_eyebrow', 'left_eye',
                   'right_eye', 'nose', 'upper_lip', 'inner_mouth', 'lower_lip', 'hair')
PARSING_PALETTE = ((0, 0, 0), (255, 204, 153), (0, 102, 0), (0, 204, 0), (0, 0, 153),
                   (0, 0, 255), (255, 153, 51), (204, 0, 0), (255, 255, 102), (153, 0, 76),
                   (102, 51, 0))

# painting order: (region, label); later regions cover earlier ones
REGION_ORDER = (('hair_back', 10), ('shoulders', 0), ('neck', 0), ('ear_left', 1),
                ('ear_right', 1), ('head', 1), ('hair_front', 10), ('brow_left', 2),
                ('brow_right', 3), ('eye_left', 4), ('eye_right', 5), ('nose', 6),
                ('upper_lip', 7), ('lower_lip', 9), ('inner_mouth', 8))
_SHIFT = 4  # fillPoly fractional bits


@dataclass
class Pose:
    """Canonical -> pixel map: ``R(roll) @ (x cos(yaw) + z(x, y) sin(yaw), y) * scale + centre``.

    ``z`` is a head-like depth (an elliptic cylinder plus a nose bump), so a yaw moves the nose and
    the eyes sideways more than the outline and narrows the face: a small out-of-plane turn.
    """
    center: Tuple[float, float]
    scale: float
    roll: float   # radians
    yaw: float    # radians

    @staticmethod
    def sample(rng: np.random.Generator, size: int) -> 'Pose':
        return Pose(center=(size * (0.5 + rng.uniform(-0.04, 0.04)),
                            size * (0.46 + rng.uniform(-0.04, 0.04))),
                    scale=size * rng.uniform(0.31, 0.36), roll=np.deg2rad(rng.uniform(-12, 12)),
                    yaw=rng.uniform(-0.3, 0.3))

    def apply(self, pts: np.ndarray) -> np.ndarray:
        x, y = pts[:, 0], pts[:, 1]
        z = 0.55 * np.sqrt(np.clip(1 - (x / 1.1) ** 2, 0, None))
        z = z + 0.3 * np.exp(-(x / 0.16) ** 2 - ((y - 0.2) / 0.25) ** 2)
        xs = x * np.cos(self.yaw) + z * np.sin(self.yaw)
        c, s = np.cos(self.roll), np.sin(self.roll)
        out = np.stack([c * xs - s * y, s * xs + c * y], axis=1) * self.scale
        return out + np.asarray(self.center)


def _fill(canvas: np.ndarray, pts: np.ndarray, color, aa: bool) -> None:
    poly = np.round(pts * (1 << _SHIFT)).astype(np.int32)[None]
    cv2.fillPoly(canvas, poly, color, cv2.LINE_AA if aa else cv2.LINE_8, _SHIFT)


def _polyline(img: np.ndarray, pts: np.ndarray, color, thickness: int) -> None:
    poly = np.round(pts * (1 << _SHIFT)).astype(np.int32)[None]
    cv2.polylines(img, poly, False, color, thickness, cv2.LINE_AA, _SHIFT)


def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Clutter: a smooth colour field with random boxes, discs and lines, blurred."""
    small = rng.uniform(40, 220, (3, 3, 3)).astype(np.float32)
    img = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    for _ in range(rng.integers(3, 9)):
        color = tuple(float(c) for c in rng.uniform(0, 255, 3))
        p = rng.uniform(-0.1, 1.1, 2) * size
        kind = rng.integers(3)
        if kind == 0:
            q = p + rng.uniform(0.05, 0.4, 2) * size
            cv2.rectangle(img, tuple(int(v) for v in p), tuple(int(v) for v in q), color, -1)
        elif kind == 1:
            cv2.circle(img, tuple(int(v) for v in p), int(rng.uniform(0.03, 0.2) * size), color,
                       -1, cv2.LINE_AA)
        else:
            q = rng.uniform(0, 1, 2) * size
            cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), color,
                     max(1, size // 60), cv2.LINE_AA)
    return cv2.GaussianBlur(img, (0, 0), size / 80)


def _paint_regions(img: np.ndarray, labels: np.ndarray, px: Dict[str, np.ndarray],
                   idt: Identity) -> None:
    col = idt.colors
    skin = np.array(col['skin'])
    paint = dict(hair_back=col['hair'], hair_front=col['hair'], shoulders=col['shirt'],
                 neck=tuple(skin * 0.8), ear_left=tuple(skin * 0.93), ear_right=tuple(skin * 0.93),
                 head=col['skin'], brow_left=col['brow'], brow_right=col['brow'],
                 eye_left=(235, 240, 245), eye_right=(235, 240, 245), nose=tuple(skin * 0.97),
                 upper_lip=tuple(np.array(col['lips']) * 0.9), lower_lip=col['lips'],
                 inner_mouth=(40, 30, 90))
    for name, label in REGION_ORDER:
        if name in px:
            _fill(img, px[name], paint[name], aa=True)
            _fill(labels, px[name], label, aa=False)


def _paint_details(img: np.ndarray, shapes: FaceShapes, px: Dict[str, np.ndarray],
                   pose: Pose, idt: Identity, size: int) -> None:
    """Iris and pupil (inside the eye), teeth, nostrils, nose shading, creases."""
    skin = np.array(idt.colors['skin'])
    for centre, radius, region in shapes.irises:
        mask = np.zeros(img.shape[:2], np.uint8)
        _fill(mask, px[region], 1, aa=False)
        layer = img.copy()
        c = pose.apply(centre[None])[0]
        r = radius * pose.scale
        cv2.circle(layer, (int(c[0] * 16), int(c[1] * 16)), int(r * 16), idt.colors['iris'], -1,
                   cv2.LINE_AA, _SHIFT)
        cv2.circle(layer, (int(c[0] * 16), int(c[1] * 16)), int(r * 0.45 * 16), (15, 15, 15), -1,
                   cv2.LINE_AA, _SHIFT)
        img[mask > 0] = layer[mask > 0]
    if 'inner_mouth' in px:
        inside, teeth = np.zeros(img.shape[:2], np.uint8), np.zeros(img.shape[:2], np.uint8)
        _fill(inside, px['inner_mouth'], 1, aa=False)
        _fill(teeth, pose.apply(shapes.lines['teeth'][0]), 1, aa=False)
        img[(teeth > 0) & (inside > 0)] = (225, 235, 240)
    thick = max(1, size // 90)
    lms = pose.apply(shapes.landmarks)
    for i in (32, 34):
        cv2.ellipse(img, (int(lms[i, 0]), int(lms[i, 1] - size * 0.004)),
                    (max(1, size // 70), max(1, size // 110)), 0, 0, 360, tuple(skin * 0.35), -1,
                    cv2.LINE_AA)
    _polyline(img, px['nose'][3:14], tuple(skin * 0.75), thick)  # alae and nose base
    for line in shapes.lines['lid']:
        _polyline(img, pose.apply(line), (25, 25, 30), max(1, size // 60))
    for line in shapes.lines['fold'] + shapes.lines['wrinkle']:
        _polyline(img, pose.apply(line), tuple(skin * 0.7), thick)


@lru_cache(maxsize=8)
def _grid(size: int) -> Tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    return xx, yy


def shade(img: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rounded-face shading, a directional light gradient, sensor noise and a slight blur."""
    size = img.shape[0]
    face = ((labels >= 1) & (labels <= 9)).astype(np.float32)
    soft = cv2.GaussianBlur(face, (0, 0), size / 14)
    angle = rng.uniform(0, 2 * np.pi)
    xx, yy = _grid(size)
    strength, gain = rng.uniform(0.1, 0.45), rng.uniform(0.75, 1.15)
    light = (1 + 2 * strength * (np.cos(angle) * xx + np.sin(angle) * yy)) * gain
    light = light * (0.78 + 0.22 * soft)
    noise = rng.normal(0, rng.uniform(2, 7), img.shape).astype(np.float32)
    img = img.astype(np.float32) * light[..., None] + noise
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 0.8) * size / 112)
    return np.clip(img, 0, 255).astype(np.uint8)


def render(shapes: FaceShapes, idt: Identity, pose: Pose, rng: np.random.Generator,
           size: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns (BGR uint8 image H x W x 3, parsing map uint8 H x W, landmarks 68 x 2 float32)."""
    img = background(rng, size)
    labels = np.zeros((size, size), np.uint8)
    names = list(shapes.regions)
    flat = pose.apply(np.concatenate([shapes.regions[n] for n in names]))
    ends = np.cumsum([len(shapes.regions[n]) for n in names])
    px = dict(zip(names, np.split(flat, ends[:-1])))
    _paint_regions(img, labels, px, idt)
    _paint_details(img, shapes, px, pose, idt, size)
    return shade(img, labels, rng), labels, pose.apply(shapes.landmarks).astype(np.float32)
