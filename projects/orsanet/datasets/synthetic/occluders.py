"""Occluders drawn over real face parts of a rendered synthetic face.

Each occluder is placed from the face's own landmarks (so sunglasses cover the eyes, a mask the
nose and mouth), paints the image only and returns its boolean mask. The parsing map and the
landmarks of an occluded sample stay the UNoccluded truth: what a face parser or landmark model
should recover behind the occluder.

``severity`` in (0, 1] scales how much of the face is covered (e.g. how high a mask reaches, how
large a hand or patch is).
"""
from typing import Callable, Dict

import cv2
import numpy as np

from .geometry import SKIN_TONES

OCCLUDER_TYPES = ('eye_bar', 'mask', 'hand', 'scarf', 'patch', 'object')


def _poly_mask(shape, pts: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, np.round(pts * 16).astype(np.int32)[None], 1, cv2.LINE_8, 4)
    return mask.astype(bool)


def _face_frame(lms: np.ndarray):
    """(centre, unit x axis, unit y axis, face width) from the jaw and eye landmarks."""
    xaxis = lms[16] - lms[0]
    width = np.linalg.norm(xaxis)
    xaxis = xaxis / width
    return lms[:17].mean(0), xaxis, np.array([-xaxis[1], xaxis[0]]), width


def eye_bar(img, lms, rng, severity) -> np.ndarray:
    """Sunglasses: two dark lenses joined by a bridge over both eyes (iBUG 36-47)."""
    _, ux, uy, width = _face_frame(lms)
    mask = np.zeros(img.shape[:2], bool)
    half_h = width * (0.06 + 0.07 * severity)
    for eye in (lms[36:42], lms[42:48]):
        c = eye.mean(0)
        half_w = width * (0.13 + 0.04 * severity)
        corners = [c + sx * half_w * ux + sy * half_h * uy for sx, sy in
                   ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        mask |= _poly_mask(mask.shape, np.array(corners))
    a, b = lms[39].copy(), lms[42].copy()
    mask |= _poly_mask(mask.shape, np.array([a - 0.03 * width * uy, b - 0.03 * width * uy,
                                             b, a]))
    tint = rng.uniform(10, 60, 3)
    img[mask] = (0.15 * img[mask] + 0.85 * tint).astype(np.uint8)
    return mask


def medical_mask(img, lms, rng, severity) -> np.ndarray:
    """A mask from the nose (higher with severity) over the mouth to below the chin."""
    _, ux, uy, width = _face_frame(lms)
    top = lms[30] + (lms[27] - lms[30]) * (0.2 + 0.7 * severity)
    jaw = lms[2:15]
    pts = np.concatenate([[lms[1] + (top - lms[30]) * 0.3], jaw + 0.03 * width * uy,
                          [lms[15] + (top - lms[30]) * 0.3, top + 0.25 * width * ux,
                           top - 0.25 * width * ux]])
    mask = _poly_mask(img.shape[:2], pts)
    color = np.array([[230, 220, 200], [240, 240, 240], [60, 60, 60], [200, 180, 120]][
        rng.integers(4)], float)
    layer = np.empty_like(img)
    layer[:] = color
    for k in range(3):  # pleats
        p = lms[31] + (lms[57] - lms[31]) * (0.2 + 0.3 * k)
        a, b = p - 0.35 * width * ux, p + 0.35 * width * ux
        cv2.line(layer, tuple(int(v) for v in a), tuple(int(v) for v in b),
                 tuple(float(v) for v in color * 0.8), 1, cv2.LINE_AA)
    img[mask] = layer[mask]
    return mask


def hand(img, lms, rng, severity) -> np.ndarray:
    """A skin-coloured palm with four fingers over the mouth, an eye or a cheek."""
    _, ux, uy, width = _face_frame(lms)
    target = [lms[48:68].mean(0), lms[36:42].mean(0), lms[42:48].mean(0),
              (lms[3] + lms[31]) / 2, (lms[13] + lms[35]) / 2][
        rng.integers(5)]
    r = width * (0.16 + 0.16 * severity)
    mask = np.zeros(img.shape[:2], np.uint8)
    angle = np.rad2deg(np.arctan2(ux[1], ux[0])) + rng.uniform(-40, 40)
    c = target + rng.normal(0, 0.05 * width, 2)
    cv2.ellipse(mask, (int(c[0]), int(c[1])), (int(r), int(r * 0.8)), angle, 0, 360, 1, -1)
    t = np.deg2rad(angle)
    along, across = np.array([np.cos(t), np.sin(t)]), np.array([-np.sin(t), np.cos(t)])
    for k in range(4):
        f = c + across * r * (0.3 + 0.45 * k - 0.9) - along * r * 1.1
        cv2.ellipse(mask, (int(f[0]), int(f[1])), (int(r * 0.7), max(1, int(r * 0.18))),
                    angle, 0, 360, 1, -1)
    mask = mask.astype(bool)
    tone = np.array(SKIN_TONES[rng.integers(len(SKIN_TONES))]) + rng.normal(0, 8, 3)
    img[mask] = np.clip(tone, 0, 255)
    return mask


def scarf(img, lms, rng, severity) -> np.ndarray:
    """A striped band from below the chin up to the mouth or the nose."""
    _, ux, uy, width = _face_frame(lms)
    top = lms[8] + (lms[33] - lms[8]) * (0.5 + 0.6 * severity)
    bottom = lms[8] + 0.35 * width * uy
    pts = np.array([top - 0.7 * width * ux, top + 0.7 * width * ux,
                    bottom + 0.8 * width * ux, bottom - 0.8 * width * ux])
    mask = _poly_mask(img.shape[:2], pts)
    a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    yy, xx = np.nonzero(mask)
    stripes = ((xx * ux[0] + yy * ux[1] + yy) // max(2, int(width * 0.08))) % 2
    img[yy, xx] = np.where(stripes[:, None] == 0, a, b)
    return mask


def patch(img, lms, rng, severity) -> np.ndarray:
    """A random box of noise texture on the face, area about ``0.1 + 0.3 severity`` of it."""
    centre, _, _, width = _face_frame(lms)
    side = width * np.sqrt(0.1 + 0.3 * severity) * rng.uniform(0.8, 1.2, 2)
    c = rng.choice(lms[17:68]) + rng.normal(0, 0.05 * width, 2)
    x0, y0 = (c - side / 2).astype(int)
    x1, y1 = (c + side / 2).astype(int)
    mask = np.zeros(img.shape[:2], bool)
    mask[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
    img[mask] = rng.uniform(0, 255, (int(mask.sum()), 3)) * 0.5 + rng.uniform(0, 127, 3)
    return mask


def random_object(img, lms, rng, severity) -> np.ndarray:
    """A random convex polygon (a cup, a phone, a microphone...) over part of the face."""
    _, _, _, width = _face_frame(lms)
    c = rng.choice(lms[27:68])
    angles = np.sort(rng.uniform(0, 2 * np.pi, 7))
    radius = width * (0.15 + 0.2 * severity) * rng.uniform(0.6, 1.0, 7)
    pts = c + np.stack([np.cos(angles), np.sin(angles)], 1) * radius[:, None]
    mask = _poly_mask(img.shape[:2], pts)
    img[mask] = rng.uniform(0, 255, 3)
    return mask


OCCLUDERS: Dict[str, Callable] = dict(eye_bar=eye_bar, mask=medical_mask, hand=hand, scarf=scarf,
                                      patch=patch, object=random_object)


def occlude(img: np.ndarray, landmarks: np.ndarray, kind: str, rng: np.random.Generator,
            severity: float) -> np.ndarray:
    """Draw occluder ``kind`` on ``img`` (in place, uint8 BGR); returns its H x W bool mask."""
    if kind not in OCCLUDERS:
        raise ValueError(f'unknown occluder type {kind!r}; expected one of {OCCLUDER_TYPES}')
    if not 0 < severity <= 1:
        raise ValueError(f'occluder severity must be in (0, 1], got {severity}')
    mask = OCCLUDERS[kind](img, landmarks.astype(np.float64), rng, severity)
    soft = cv2.GaussianBlur(img, (3, 3), 0)
    edge = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > mask
    img[edge] = soft[edge]
    return mask
