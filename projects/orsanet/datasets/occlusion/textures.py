"""Occluder looks: a BGR layer per type (the shape, :mod:`.shapes`, says where it shows)."""
import numpy as np


def _gradient(shape, rng: np.random.Generator) -> np.ndarray:
    """A soft linear shading in [-1, 1] along a random direction."""
    h, w = shape
    a = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = np.cos(a) * xx / max(w, 1) + np.sin(a) * yy / max(h, 1)
    return (g - g.mean()) / (np.abs(g - g.mean()).max() + 1e-6)


def _stripes(shape, rng: np.random.Generator, period: float) -> np.ndarray:
    h, w = shape
    a = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return (np.sin(2 * np.pi * (np.cos(a) * xx + np.sin(a) * yy) / period) > 0)


def texture(kind: str, shape, rng: np.random.Generator) -> np.ndarray:
    """A BGR float layer (H x W x 3) with the look of occluder ``kind``."""
    h, w = shape
    shade = _gradient(shape, rng)[..., None]
    if kind == 'patch':
        base = rng.uniform(0, 255, 3)
        return base + rng.normal(0, 12, (h, w, 3))
    if kind == 'eye_bar':
        return rng.uniform(5, 40) + 10 * shade + np.zeros((h, w, 3))
    if kind == 'mask':
        base = np.array([235.0, 225.0, 205.0]) if rng.random() < 0.6 else np.full(3, 235.0)
        pleats = (np.mgrid[0:h, 0:w][0] % max(h // 20, 3) == 0)[..., None]
        return base + 12 * shade - 35 * pleats
    if kind == 'hand':
        skin = np.array([rng.uniform(90, 170), rng.uniform(120, 190), rng.uniform(170, 235)])
        return skin + 25 * shade + rng.normal(0, 3, (h, w, 3))
    if kind == 'scarf':
        c1, c2 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        stripes = _stripes(shape, rng, max(min(h, w) / 8, 4))[..., None]
        return np.where(stripes, c1, c2) + 15 * shade
    # object: stripes, checker or noise in random colours
    c1, c2 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    style = int(rng.integers(3))
    if style == 0:
        pattern = _stripes(shape, rng, max(min(h, w) / 10, 4))
    elif style == 1:
        cell = max(min(h, w) // 12, 2)
        yy, xx = np.mgrid[0:h, 0:w]
        pattern = ((yy // cell + xx // cell) % 2).astype(bool)
    else:
        pattern = rng.random((h, w)) < 0.5
    return np.where(pattern[..., None], c1, c2) + 20 * shade
