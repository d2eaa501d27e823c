"""Writers of tiny FER fixture files (images, lists) used by the dataset tests."""
import os
import os.path as osp

import cv2
import numpy as np

from orsanet.datasets import AffectNet


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


# --- RAF-DB (official list + Image/aligned and Image/original) ---
LIST = ['train_00001.jpg 5', 'train_00002.jpg 1', 'train_00003.jpg 7',
        'test_0003.jpg 4', 'test_0004.jpg 1', 'test_0006.jpg 5', 'test_0008.jpg 1']


def make_rafdb(root, lines=LIST, images=None):
    write_text(osp.join(root, 'EmoLabel', 'list_patition_label.txt'), lines)
    for i, line in enumerate(lines):
        name = line.split()[0]
        if images is None or name in images:
            stem = osp.splitext(name)[0]
            write_image(osp.join(root, 'Image', 'aligned', f'{stem}_aligned.jpg'), i)
            write_image(osp.join(root, 'Image', 'original', name), i)
    return str(root)


# --- AffectNet (official CSV + Manually_Annotated_Images) ---
HEADER = ('subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,'
          'expression,valence,arousal')


def name(i: int) -> str:
    return f'{i:056x}'  # AffectNet names are 56 hex digits


def csv_line(i: int, code: int) -> str:
    return f'{i % 3}/{name(i)}.jpg,10,10,50,50,"1.0;2.0;3.0",{code},0.1,-0.2'


def make_affectnet(root, codes, header=True, csv_name='training.csv'):
    lines = [csv_line(i, c) for i, c in enumerate(codes)]
    path = write_text(osp.join(root, 'Manually_Annotated_file_lists', csv_name),
                      ([HEADER] if header else []) + lines)
    for i in range(len(codes)):
        write_image(osp.join(root, 'Manually_Annotated_Images', f'{i % 3}', f'{name(i)}.jpg'), i)
    return path


def build(root, ann, **kwargs):
    return AffectNet(data_root=str(root), ann_file=ann, data_prefix='Manually_Annotated_Images',
                     **kwargs)


CODES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 7]


# --- FERPlus (fer2013.csv pixels + fer2013new.csv votes) ---
NEW_HEADER = 'Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,' \
             'unknown,NF'
# (usage, image name, votes), one row per fer2013.csv row
ROWS = [
    ('Training', 'fer0000000.png', '4,0,0,1,3,2,0,0,0,0'),     # neutral
    ('Training', 'fer0000001.png', '0,10,0,0,0,0,0,0,0,0'),    # happiness
    ('Training', '', '0,0,0,0,0,0,0,0,0,10'),                  # no image name: dropped
    ('Training', 'fer0000003.png', '0,0,0,0,0,0,0,0,5,5'),     # unknown/NF max: dropped
    ('Training', 'fer0000004.png', '0,0,4,4,0,0,0,0,2,0'),     # tie: dropped
    ('PublicTest', 'fer0000005.png', '0,0,0,0,0,0,0,6,4,0'),   # contempt
    ('PrivateTest', 'fer0000006.png', '1,0,0,0,0,0,8,0,1,0'),  # fear
    ('PrivateTest', 'fer0000007.png', '0,0,7,0,0,0,0,0,0,3'),  # surprise
]


def pixels(i: int) -> str:
    return ' '.join(str((i * 10 + k) % 256) for k in range(48 * 48))


def make_ferplus(root, rows=ROWS):
    write_text(osp.join(root, 'fer2013.csv'), ['emotion,pixels,Usage'] + [
        f'{i % 7},{pixels(i)},{usage}' for i, (usage, _, _) in enumerate(rows)])
    write_text(osp.join(root, 'fer2013new.csv'), [NEW_HEADER] + [
        f'{usage},{name},{votes}' for usage, name, votes in rows])
    return str(root)
