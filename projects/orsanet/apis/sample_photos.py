"""Real face photographs that ship inside scikit-image (offline; nothing is downloaded).

``skimage.data.astronaut()`` (512 x 512 colour portrait, one face) and ``skimage.data.lfw_subset()``
(200 grey 25 x 25 crops of Labeled Faces in the Wild: 100 faces, then 100 non-faces) are in the
wheel itself. The LFW crops are tight, so :func:`lfw_face` upscales one and pads it with
replicated borders, which gives OpenCV's Haar detector the context it needs.
"""
from typing import List

import cv2
import numpy as np


def astronaut() -> np.ndarray:
    """scikit-image's astronaut (Eileen Collins), BGR uint8 (512, 512, 3)."""
    from skimage import data
    return np.ascontiguousarray(data.astronaut()[..., ::-1])


def _lfw() -> np.ndarray:
    from skimage import data
    return data.lfw_subset()


def lfw_face(index: int, size: int = 100, pad: int = 30) -> np.ndarray:
    """LFW face ``index`` (0-99), grey uint8 (size + 2 pad) square: upscaled, border-padded."""
    if not 0 <= index < 100:
        raise IndexError(f'the LFW subset has faces 0-99 (100-199 are non-faces), got {index}')
    face = (_lfw()[index] * 255 + 0.5).astype(np.uint8)
    face = cv2.resize(face, (size, size), interpolation=cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def lfw_non_face(index: int, size: int = 100, pad: int = 30) -> np.ndarray:
    """LFW non-face patch ``index`` (0-99), prepared like :func:`lfw_face`."""
    patch = (_lfw()[100 + index] * 255 + 0.5).astype(np.uint8)
    patch = cv2.resize(patch, (size, size), interpolation=cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(patch, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def lfw_group(indices: List[int], size: int = 100, pad: int = 30) -> np.ndarray:
    """Several LFW faces side by side in one grey image (a "group photo")."""
    return np.concatenate([lfw_face(i, size, pad) for i in indices], axis=1)
