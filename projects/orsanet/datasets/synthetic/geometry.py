"""Face geometry in a canonical frame: identity sampling, part outlines and the 68 landmarks.

Canonical frame: x to the image right, y down, unit = half the face width at the cheeks; (0, 0)
is the face centre (just below the eyes). Every part is a polygon in this frame, and the 68
iBUG-300W landmarks are sampled from the SAME curves that outline the parts, so the renderer
(which maps both through one transform) draws regions that agree with the points.

"Left" means the image left (the subject's right): iBUG points 17-21 (brow) and 36-41 (eye), and
the LaPa-style classes 2 (left brow) and 4 (left eye) are on the image left.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import numpy as np

Curve = np.ndarray  # N x 2 float64 points in the canonical frame


@dataclass
class Identity:
    """What stays fixed for one synthetic person (shapes in canonical units, colours BGR)."""
    jaw_top: float       # y where the jaw outline starts (ear level)
    chin: float          # y of the chin for a closed mouth
    jaw_power: float     # < 1 squarer jaw, > 1 pointier
    crown: float         # height of the skull top above jaw_top
    eye_x: float
    eye_y: float
    eye_w: float         # eye half width
    eye_h: float         # upper-lid height of a relaxed eye
    eye_tilt: float      # outer corners up (+)
    brow_gap: float      # brow centre line above the eye centre
    brow_w: float        # brow half length
    brow_thick: float
    brow_arch: float
    nose_tip: float      # y of the nose tip
    nose_w: float        # half width at the alae
    bridge_w: float
    mouth_y: float
    mouth_w: float       # mouth half width
    lip_up: float        # upper-lip thickness
    lip_low: float       # lower-lip thickness
    hair_style: str      # 'none', 'short', 'long', 'fringe'
    hairline: float      # y of the hairline at the forehead centre
    hair_volume: float
    gaze: Tuple[float, float]
    colors: Dict[str, Tuple[float, float, float]] = field(default_factory=dict)


SKIN_TONES = ((224, 230, 250), (180, 205, 240), (150, 185, 225), (120, 160, 205),
              (85, 125, 175), (60, 90, 135), (45, 65, 100))
HAIR_COLORS = ((20, 20, 25), (25, 40, 70), (40, 70, 120), (90, 150, 200), (40, 60, 150),
               (160, 160, 165), (55, 55, 60))
IRIS_COLORS = ((30, 50, 80), (20, 30, 45), (140, 110, 60), (70, 110, 60), (60, 90, 110))


def _jitter(rng: np.random.Generator, color, amount: float = 12.0) -> Tuple[float, ...]:
    return tuple(float(np.clip(c + rng.normal(0, amount), 0, 255)) for c in color)


def sample_identity(rng: np.random.Generator, hair: bool = None) -> Identity:
    """A random person. ``hair``: force hair on (True) / off (False); None: 90 % have hair."""
    has_hair = rng.random() < 0.9 if hair is None else hair
    style = str(rng.choice(['short', 'long', 'fringe'])) if has_hair else 'none'
    skin = np.array(_jitter(rng, SKIN_TONES[rng.integers(len(SKIN_TONES))], 10))
    hair_color = _jitter(rng, HAIR_COLORS[rng.integers(len(HAIR_COLORS))], 10)
    lips = tuple(np.clip(skin * np.array([0.6, 0.58, 0.85]) + np.array([10, 10, 45])
                         + rng.normal(0, 6, 3), 0, 255))
    colors = dict(skin=tuple(skin), hair=hair_color, lips=lips,
                  brow=tuple(0.6 * np.array(hair_color) + 0.4 * skin * 0.35),
                  iris=_jitter(rng, IRIS_COLORS[rng.integers(len(IRIS_COLORS))], 8),
                  shirt=tuple(float(v) for v in rng.uniform(30, 230, 3)))
    return Identity(
        jaw_top=rng.uniform(-0.12, 0.02), chin=rng.uniform(1.2, 1.38),
        jaw_power=rng.uniform(0.75, 1.25), crown=rng.uniform(1.3, 1.5),
        eye_x=rng.uniform(0.37, 0.45), eye_y=rng.uniform(-0.2, -0.1),
        eye_w=rng.uniform(0.14, 0.18), eye_h=rng.uniform(0.06, 0.085),
        eye_tilt=rng.uniform(-0.015, 0.03), brow_gap=rng.uniform(0.17, 0.23),
        brow_w=rng.uniform(0.2, 0.25), brow_thick=rng.uniform(0.045, 0.08),
        brow_arch=rng.uniform(0.02, 0.06), nose_tip=rng.uniform(0.27, 0.37),
        nose_w=rng.uniform(0.14, 0.2), bridge_w=rng.uniform(0.05, 0.075),
        mouth_y=rng.uniform(0.66, 0.76), mouth_w=rng.uniform(0.34, 0.42),
        lip_up=rng.uniform(0.05, 0.08), lip_low=rng.uniform(0.065, 0.1),
        hair_style=style, hairline=rng.uniform(-0.95, -0.75) if style != 'fringe'
        else rng.uniform(-0.55, -0.42), hair_volume=rng.uniform(0.06, 0.22),
        gaze=(float(rng.uniform(-0.25, 0.25)), float(rng.uniform(-0.1, 0.1))), colors=colors)


@dataclass
class FaceShapes:
    """Everything the renderer draws, in the canonical frame.

    ``regions``: name -> polygon, painted in the order of ``REGION_ORDER`` (renderer);
    ``lines``: name -> polylines drawn on the image only (eyelids, folds, wrinkles; ``teeth``
    is a polygon filled inside the inner mouth);
    ``irises``: (centre, radius, eye region name); ``landmarks``: 68 x 2 iBUG-300W points.
    """
    regions: Dict[str, Curve]
    lines: Dict[str, List[Curve]]
    irises: List[Tuple[np.ndarray, float, str]]
    landmarks: np.ndarray


def _pts(x, y) -> Curve:
    return np.stack([np.asarray(x, float), np.asarray(y, float)], axis=1)


def _ellipse(cx, cy, rx, ry, start=0.0, stop=2 * np.pi, n=32) -> Curve:
    a = np.linspace(start, stop, n)
    return _pts(cx + rx * np.cos(a), cy + ry * np.sin(a))


def jaw_curve(idt: Identity, chin: float, n: int = 17) -> Curve:
    """Jaw outline from the image-left ear (t=0) through the chin to the right (iBUG 0-16)."""
    t = np.linspace(0, np.pi, n)
    taper = 1 - 0.18 * np.sin(t) ** 6  # narrower chin
    return _pts(-np.cos(t) * taper, idt.jaw_top + (chin - idt.jaw_top) * np.sin(t) ** idt.jaw_power)


def head_outline(idt: Identity, chin: float) -> Curve:
    """Skin region: dense jaw curve plus the skull arc back over the top."""
    top = _ellipse(0, idt.jaw_top, 1.0, idt.crown, 2 * np.pi, np.pi, 40)[1:-1]
    return np.concatenate([jaw_curve(idt, chin, 41), top])


def brow_curve(idt: Identity, side: int, ex: Dict[str, float], v: np.ndarray) -> Curve:
    """Brow centre line; ``v`` runs from the outer end (-1) to the inner end (+1).
    ``side`` is -1 for the image-left brow, +1 for the right one."""
    inner = ((v + 1) / 2) ** 2
    cx, w = side * (idt.eye_x + 0.02), idt.brow_w
    x = cx - side * w * v - side * 0.06 * ex['brow_furrow'] * inner
    arch = idt.brow_arch * (1 - ((v + 0.3) / 1.3) ** 2)
    y = (idt.eye_y - idt.brow_gap - arch - 0.11 * ex['brow_raise'] - 0.1 * ex['brow_inner'] * inner
         + 0.08 * ex['brow_furrow'] * inner)
    return _pts(x, y)


def brow_region(idt: Identity, side: int, ex: Dict[str, float]) -> Curve:
    v = np.linspace(-1, 1, 16)
    centre = brow_curve(idt, side, ex, v)
    half = idt.brow_thick * (0.3 + 0.3 * (v + 1) / 2)
    return np.concatenate([centre - _pts(0 * v, half), (centre + _pts(0 * v, half))[::-1]])


def eye_lids(idt: Identity, side: int, ex: Dict[str, float], v: np.ndarray) -> Tuple[Curve, Curve]:
    """(upper, lower) lid curves; ``v`` from the outer corner (-1) to the inner one (+1)."""
    cx, cy = side * idt.eye_x, idt.eye_y
    x = cx - side * idt.eye_w * v
    base = cy + idt.eye_tilt * v
    hu = max(idt.eye_h * (1 + 0.9 * ex['eye_open']), 0.008)
    hl = max(idt.eye_h * 0.6 * (1 - 0.7 * ex['lower_lid'] + 0.3 * max(ex['eye_open'], 0)), 0.006)
    bump = np.clip(1 - v ** 2, 0, None)
    upper = _pts(x, base - hu * bump ** 0.7 * (1 - 0.12 * v))
    lower = _pts(x, base + hl * bump ** 0.9)
    return upper, lower


def eye_region(idt: Identity, side: int, ex: Dict[str, float]) -> Curve:
    v = np.linspace(-1, 1, 16)
    upper, lower = eye_lids(idt, side, ex, v)
    return np.concatenate([upper, lower[::-1][1:-1]])


def nose_points(idt: Identity, ex: Dict[str, float]) -> Tuple[Curve, Curve]:
    """(nose region polygon, 9 landmarks 27-35)."""
    tip = idt.nose_tip - 0.05 * ex['nose_wrinkle']
    nw = idt.nose_w * (1 + 0.15 * ex['nose_wrinkle'] + 0.05 * ex['mouth_stretch'])
    top = idt.eye_y - 0.03
    ys = np.linspace(top, tip, 4)
    bridge = _pts(np.zeros(4), ys)
    base = tip + 0.06
    lower = _pts([-0.8 * nw, -0.45 * nw, 0, 0.45 * nw, 0.8 * nw],
                 [base - 0.035, base - 0.008, base, base - 0.008, base - 0.035])
    side_y = np.linspace(top, tip - 0.02, 6)
    side_x = idt.bridge_w + (nw - idt.bridge_w) * ((side_y - top) / (tip - 0.02 - top)) ** 2.5
    right = _pts(side_x, side_y)
    bottom = _pts([nw * 0.95, 0.55 * nw, 0, -0.55 * nw, -nw * 0.95],
                  [tip + 0.02, base + 0.012, base + 0.02, base + 0.012, tip + 0.02])
    left = right[::-1] * np.array([-1, 1])
    return np.concatenate([right, bottom, left]), np.concatenate([bridge, lower])


def mouth_curves(idt: Identity, ex: Dict[str, float], u: np.ndarray) -> Dict[str, Curve]:
    """Lip curves over ``u`` in [-1, 1] (image-left corner to right corner):
    ``outer_up``, ``inner_up``, ``inner_low``, ``outer_low`` (all meet at the corners)."""
    mw = idt.mouth_w * (1 + 0.35 * ex['mouth_stretch'])
    x = u * mw
    base = idt.mouth_y - 0.17 * ex['mouth_curve'] * np.abs(u) ** 2 - 0.03 * ex['upper_lip_raise']
    gap = max(0.28 * ex['mouth_open'], 0.0) * np.clip(1 - u ** 2, 0, None) ** 0.6
    press = 1 - 0.6 * np.clip(ex['lip_press'], 0, 1)
    shape = np.clip(1 - u ** 2, 0, None) ** 0.5
    bow = 1 - 0.3 * np.exp(-(u / 0.13) ** 2)
    inner_up = base - 0.3 * gap - 0.05 * max(ex['upper_lip_raise'], 0) * shape
    inner_low = base + 0.7 * gap
    return dict(outer_up=_pts(x, inner_up - idt.lip_up * press * shape * bow),
                inner_up=_pts(x, inner_up), inner_low=_pts(x, inner_low),
                outer_low=_pts(x, inner_low + idt.lip_low * press * shape))


def mouth_landmarks(idt: Identity, ex: Dict[str, float]) -> Curve:
    """iBUG 48-67: outer contour clockwise from the left corner, then the inner contour."""
    c = lambda key, us: mouth_curves(idt, ex, np.asarray(us, float))[key]  # noqa: E731
    outer_up = c('outer_up', [-1, -0.6, -0.25, 0, 0.25, 0.6, 1])          # 48-54
    outer_low = c('outer_low', [0.6, 0.25, 0, -0.25, -0.6])                # 55-59
    inner_up = c('inner_up', [-0.88, -0.4, 0, 0.4, 0.88])                  # 60-64
    inner_low = c('inner_low', [0.4, 0, -0.4])                             # 65-67
    return np.concatenate([outer_up, outer_low, inner_up, inner_low])


def build_face(idt: Identity, ex: Dict[str, float]) -> FaceShapes:
    """All parts and the 68 landmarks of ``idt`` showing expression parameters ``ex``."""
    u = np.linspace(-1, 1, 24)
    lips = mouth_curves(idt, ex, u)
    chin = max(idt.chin + 0.13 * max(ex['jaw_drop'], 0), lips['outer_low'][:, 1].max() + 0.22)
    nose_region, nose_lms = nose_points(idt, ex)
    regions = dict(head=head_outline(idt, chin),
                   neck=_pts([-0.42, 0.42, 0.5, -0.5], [0.9, 0.9, 3.0, 3.0]),
                   shoulders=_pts([-2.5, -0.5, 0.5, 2.5, 2.5, -2.5],
                                  [1.8, 1.55, 1.55, 1.8, 3.0, 3.0]))
    for side, name in ((-1, 'left'), (1, 'right')):
        regions[f'brow_{name}'] = brow_region(idt, side, ex)
        regions[f'eye_{name}'] = eye_region(idt, side, ex)
        regions[f'ear_{name}'] = _ellipse(side * 0.98, idt.eye_y + 0.2, 0.1, 0.2)
    regions['nose'] = nose_region
    regions['upper_lip'] = np.concatenate([lips['outer_up'], lips['inner_up'][::-1]])
    regions['lower_lip'] = np.concatenate([lips['inner_low'], lips['outer_low'][::-1]])
    lines: Dict[str, List[Curve]] = face_lines(idt, ex, nose_lms)
    if ex['mouth_open'] > 0.04:
        regions['inner_mouth'] = np.concatenate([lips['inner_up'], lips['inner_low'][::-1]])
        gap = lips['inner_low'][:, 1] - lips['inner_up'][:, 1]
        teeth_low = lips['inner_up'] + _pts(0 * u, np.minimum(0.45 * gap, 0.07))
        lines['teeth'] = [np.concatenate([lips['inner_up'], teeth_low[::-1]])]
    regions.update(hair_regions(idt, chin))
    landmarks = np.concatenate([
        jaw_curve(idt, chin),
        brow_curve(idt, -1, ex, np.linspace(-0.9, 0.9, 5)),
        brow_curve(idt, 1, ex, np.linspace(0.9, -0.9, 5)),
        nose_lms, _eye_landmarks(idt, -1, ex), _eye_landmarks(idt, 1, ex),
        mouth_landmarks(idt, ex)])
    return FaceShapes(regions, lines, _irises(idt, ex), landmarks)


def _eye_landmarks(idt: Identity, side: int, ex: Dict[str, float]) -> Curve:
    """iBUG 36-41 (left, from the outer corner) or 42-47 (right, from the inner corner)."""
    v = np.array([-1, -1 / 3, 1 / 3, 1]) if side < 0 else np.array([1, 1 / 3, -1 / 3, -1])
    upper, lower = eye_lids(idt, side, ex, v)
    return np.concatenate([upper, lower[2:0:-1]])


def _irises(idt: Identity, ex: Dict[str, float]) -> List[Tuple[np.ndarray, float, str]]:
    r = idt.eye_h * 1.05
    return [(np.array([side * idt.eye_x + idt.gaze[0] * idt.eye_w,
                       idt.eye_y - 0.2 * idt.eye_h + idt.gaze[1] * idt.eye_h]), r, f'eye_{name}')
            for side, name in ((-1, 'left'), (1, 'right'))]


def hair_regions(idt: Identity, chin: float) -> Dict[str, Curve]:
    """``hair_back`` (behind the head) and ``hair_front`` (over the forehead), or none."""
    if idt.hair_style == 'none':
        return {}
    vol, side_y = idt.hair_volume, idt.eye_y - 0.12
    bottom = chin + 0.5 if idt.hair_style == 'long' else idt.jaw_top + 0.1
    arc = _ellipse(0, idt.jaw_top, 1 + vol, idt.crown + vol, np.pi, 2 * np.pi, 30)
    back = np.concatenate([arc, _pts([1 + vol, -1 - vol], [bottom, bottom])])
    a0 = np.arcsin(np.clip((idt.jaw_top - side_y) / (idt.crown + 0.04), -1, 1))
    front_arc = _ellipse(0, idt.jaw_top, 1.04, idt.crown + 0.04, np.pi + a0, 2 * np.pi - a0, 30)
    x = np.linspace(1.04 * np.cos(a0), -1.04 * np.cos(a0), 25)
    hairline = idt.hairline + (side_y - idt.hairline) * np.abs(x / x[0]) ** 3
    if idt.hair_style == 'fringe':
        hairline = hairline + 0.04 * (np.arange(25) % 2)  # jagged bangs
    return dict(hair_back=back, hair_front=np.concatenate([front_arc, _pts(x, hairline)]))


def face_lines(idt: Identity, ex: Dict[str, float], nose_lms: Curve) -> Dict[str, List[Curve]]:
    """Image-only strokes: eyelid creases, smile folds, nose wrinkles, forehead lines."""
    lines: Dict[str, List[Curve]] = dict(lid=[], fold=[], wrinkle=[])
    v = np.linspace(-1, 1, 12)
    for side in (-1, 1):
        upper, _ = eye_lids(idt, side, ex, v)
        lines['lid'].append(upper)
    if ex['smile_lines'] > 0.15:
        k = min(ex['smile_lines'], 1.0)
        for side in (-1, 1):
            t = np.linspace(0, 1, 8)
            x = side * (idt.nose_w * 1.3 + (idt.mouth_w * 1.1 - idt.nose_w) * t ** 1.5 + 0.05 * k)
            lines['fold'].append(_pts(x, idt.nose_tip + t * (idt.mouth_y + 0.1 - idt.nose_tip)))
    if ex['nose_wrinkle'] > 0.3:
        for dy in (0.0, 0.04):
            y = nose_lms[1, 1] + dy
            lines['wrinkle'].append(_pts([-0.07, 0, 0.07], [y, y - 0.015, y]))
    if ex['brow_raise'] > 0.4:
        for dy in (0.0, 0.07):
            y = idt.eye_y - idt.brow_gap - 0.25 - dy
            lines['wrinkle'].append(_pts(np.linspace(-0.35, 0.35, 7), y + 0.02 * np.linspace(
                -1, 1, 7) ** 2))
    return lines
