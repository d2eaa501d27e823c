"""One synthetic face sample, deterministic from (seed, split, index)."""
import zlib
from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np

from ..occlusion import OCCLUDER_TYPES, landmark_geometry, paint_occluder
from .expressions import CLASSES, sample_expression
from .geometry import build_face, sample_identity
from .renderer import Pose, render

# the occluded split's severity: each occluder covers this share of the face box (the whole
# aligned crop), as SyntheticOcclusion(severity=OCCLUDED_SEVERITY) does on the clean faces
OCCLUDED_SEVERITY = 0.25


@dataclass
class SyntheticFace:
    """A rendered face and its ground truth.

    Attributes:
        img (np.ndarray): H x W x 3 uint8 BGR image (occluder drawn, if any).
        parsing (np.ndarray): H x W uint8 LaPa-style labels 0..10 of the UNoccluded face.
        landmarks (np.ndarray): 68 x 2 float32 iBUG-300W points (x, y) in pixels, unoccluded.
        label (int): expression class, index into ``CLASSES`` (RAF-DB order).
        intensity (float): expression intensity in [0.3, 1] (Neutral: irrelevant).
        occluder (str, optional): occluder type, or None.
        occluder_mask (np.ndarray, optional): H x W bool pixels the occluder covers.
        severity (float): the occluder's target share of the face box, the whole aligned crop
            (0 without one).
        coverage (float): the share of the face box the occluder covers (0 without one).
    """
    img: np.ndarray
    parsing: np.ndarray
    landmarks: np.ndarray
    label: int
    intensity: float
    occluder: Optional[str] = None
    occluder_mask: Optional[np.ndarray] = None
    severity: float = 0.0
    coverage: float = 0.0


def sample_rng(seed: int, split: str, index: int, stream: int = 0) -> np.random.Generator:
    """The generator of one sample: any index renders without the previous ones."""
    return np.random.default_rng([int(seed), zlib.crc32(split.encode()), int(index), stream])


def render_face(index: int,
                seed: int = 0,
                size: int = 112,
                split: str = 'train',
                occluders: Optional[Sequence[str]] = None,
                label: Optional[int] = None,
                hair: Optional[bool] = None,
                severity: float = OCCLUDED_SEVERITY) -> SyntheticFace:
    """Render sample ``index`` of ``split``.

    Args:
        index (int): Sample index; the label is ``index % 7`` unless ``label`` is given.
        seed (int): Dataset seed. Defaults to 0.
        size (int): Image side in pixels (112 or 224 are the usual). Defaults to 112.
        split (str): Name of the split; different splits draw different people. Defaults to
            'train'.
        occluders (Sequence[str], optional): If given, one of these types is drawn, chosen with
            its own generator, so the occluded sample is the clean sample ``index`` plus an
            occluder. Defaults to None.
        label (int, optional): Force the expression class.
        hair (bool, optional): Force hair on/off (None: 90 % have hair).
        severity (float): The occluder's share of the face box (the whole image) in (0, 1].
            Defaults to :data:`OCCLUDED_SEVERITY`.
    """
    if size < 32:
        raise ValueError(f'image size {size} is too small; use at least 32 (112 or 224 usual)')
    rng = sample_rng(seed, split, index)
    label = index % len(CLASSES) if label is None else int(label)
    identity = sample_identity(rng, hair)
    expression = sample_expression(label, rng)
    pose = Pose.sample(rng, size)
    img, parsing, landmarks = render(build_face(identity, expression), identity, pose, rng, size)
    face = SyntheticFace(img, parsing, landmarks, label, float(expression['intensity']))
    return add_occluder(face, index, seed, split, occluders, severity) if occluders else face


def add_occluder(face: SyntheticFace, index: int, seed: int, split: str,
                 occluders: Sequence[str],
                 severity: float = OCCLUDED_SEVERITY) -> SyntheticFace:
    """A copy of clean sample ``index`` with one of ``occluders`` over ``severity`` of its face
    box (the whole image), placed by its landmarks (the type and the occluder come from the
    sample's own occluder generator, so the result equals ``render_face(index, ...,
    occluders=occluders, severity=severity)``)."""
    unknown = set(occluders) - set(OCCLUDER_TYPES)
    if unknown:
        raise ValueError(f'unknown occluder types {sorted(unknown)}; expected a subset of '
                         f'{OCCLUDER_TYPES}')
    rng = sample_rng(seed, split, index, stream=1)
    kind = str(rng.choice(list(occluders)))
    h, w = face.img.shape[:2]
    geometry = landmark_geometry(face.landmarks.astype(np.float64), (0, 0, w, h))
    occ = paint_occluder(face.img, kind, severity, geometry, rng)
    return replace(face, img=occ.img, occluder=kind, occluder_mask=occ.mask,
                   severity=occ.severity, coverage=occ.coverage)
