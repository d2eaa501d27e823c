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


def recode(path: str, how: str, line: int = 1) -> str:
    """Rewrite a UTF-8 text file as users' tools leave them: ``'bom'`` (UTF-8 with a byte-order
    mark), ``'utf16'`` (with BOM), ``'utf16le'`` (no BOM), ``'cr'`` (old Mac line ends) or
    ``'latin1'`` (``line`` starts with a Latin-1 'é')."""
    with open(path, encoding='utf-8', newline='') as f:
        text = f.read()
    if how == 'bom':
        data = b'\xef\xbb\xbf' + text.encode('utf-8')
    elif how in ('utf16', 'utf16le'):
        data = text.encode('utf-16' if how == 'utf16' else 'utf-16-le')
    elif how == 'cr':
        data = text.replace('\r\n', '\n').replace('\n', '\r').encode('utf-8')
    elif how == 'latin1':
        lines = text.splitlines(keepends=True)
        lines[line - 1] = 'é' + lines[line - 1]
        data = ''.join(lines).encode('latin-1')
    else:
        raise ValueError(how)
    with open(path, 'wb') as f:
        f.write(data)
    return path
