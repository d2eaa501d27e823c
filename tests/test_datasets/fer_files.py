"""Writers of tiny FER fixture files (images, lists) used by the dataset tests."""
import os
import os.path as osp

import cv2
import numpy as np


def write_image(path: str, value: int = 128, size: int = 8) -> str:
    """A small grey-ish BGR image whose pixel values encode ``value``."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    image = np.full((size, size, 3), value % 256, dtype=np.uint8)
    assert cv2.imwrite(path, image), path
    return path


def write_text(path: str, lines, newline: str = '\n') -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', newline='') as f:
        f.write(''.join(line + newline for line in lines))
    return path
