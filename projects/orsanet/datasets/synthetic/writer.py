"""Write synthetic faces to disk as real datasets (RAF-DB, mmseg parsing, mmpose 300W keypoints).

Layout under ``out_dir`` (one rendered face feeds all three; train/test draw different people)::

    EmoLabel/list_patition_label.txt        RAF-DB list: ``train_00001.jpg 4`` (labels 1..7)
    Image/aligned/train_00001_aligned.jpg   RAF-DB aligned images (and test_0001_aligned.jpg ...)
    parsing/img_dir/{train,val}/<name>.jpg  mmseg BaseSegDataset images (val = the test faces)
    parsing/ann_dir/{train,val}/<name>.png  uint8 labels 0..10 (LaPa classes, see renderer)
    landmarks/images/<name>.jpg             mmpose Face300WDataset images
    landmarks/annotations/face_landmarks_300w_{train,test}.json   COCO-style, 68 x 3 keypoints
    occluded/EmoLabel/list_patition_label.txt  the test faces with occluders (same names/labels)
    occluded/Image/aligned/test_0001_aligned.jpg
    occluded/occlusion_list.txt             RAN RAF-DB occlusion list: ``test_0001_aligned 3 mask``
    occluded/occluders.csv                  name,type,severity,coverage
    occluded/occlusion.json                 the split's severity, types and achieved coverage
    occluded/occluder_masks/test_0001.png   255 where the occluder is

Parsing maps and landmarks are the unoccluded truth, also for occluded faces. Every occluded face
has one occluder covering ``severity`` of its face box, the whole aligned crop: the severity of
``SyntheticOcclusion`` (one occluder library, :mod:`orsanet.datasets.occlusion`), so the
robustness sweep at that severity on the clean test faces covers as much.
"""
import csv
import json
import os
import os.path as osp
import time
from multiprocessing import Pool
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ...fileio import atomic_write
from ..occlusion import OCCLUDER_TYPES
from .face import OCCLUDED_SEVERITY, add_occluder, render_face

JPEG_QUALITY = 95


def rafdb_name(split: str, index: int, total: int) -> str:
    """RAF-DB style 1-based names: ``train_00001`` (5 digits), ``test_0001`` (4 digits)."""
    width = max(5 if split == 'train' else 4, len(str(total)))
    return f'{split}_{index + 1:0{width}d}'


def _write(path: str, data: bytes) -> None:
    with open(path, 'wb') as f:
        f.write(data)


def _encode(img: np.ndarray, ext: str = '.jpg') -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if ext == '.jpg' else []
    ok, buf = cv2.imencode(ext, img, params)
    if not ok:
        raise RuntimeError(f'cannot encode an image as {ext}')
    return buf.tobytes()


def _render_one(job: Tuple[str, str, int, int, int, int, Sequence[str], float]) -> dict:
    """Render and write sample ``index`` of ``split`` (runs in a worker)."""
    out, split, index, total, seed, size, occluders, severity = job
    name = rafdb_name(split, index, total)
    face = render_face(index, seed=seed, size=size, split=split)
    jpg = _encode(face.img)
    seg_split = 'train' if split == 'train' else 'val'
    _write(osp.join(out, 'Image', 'aligned', f'{name}_aligned.jpg'), jpg)
    _write(osp.join(out, 'parsing', 'img_dir', seg_split, f'{name}.jpg'), jpg)
    _write(osp.join(out, 'parsing', 'ann_dir', seg_split, f'{name}.png'),
           _encode(face.parsing, '.png'))
    _write(osp.join(out, 'landmarks', 'images', f'{name}.jpg'), jpg)
    record = dict(name=name, label=face.label, landmarks=face.landmarks)
    if occluders and split == 'test':
        occ = add_occluder(face, index, seed, split, occluders, severity)
        _write(osp.join(out, 'occluded', 'Image', 'aligned', f'{name}_aligned.jpg'),
               _encode(occ.img))
        _write(osp.join(out, 'occluded', 'occluder_masks', f'{name}.png'),
               _encode(occ.occluder_mask.astype(np.uint8) * 255, '.png'))
        record.update(occluder=occ.occluder, severity=occ.severity, coverage=occ.coverage)
    return record


def coco_keypoints(records: List[dict], size: int) -> dict:
    """COCO-style keypoint annotations as mmpose's 300W json, all 68 points visible (2).

    The face box (``bbox``, and 300W's ``center`` / ``scale`` = box side / 200) is the whole
    aligned image: the synthetic faces are aligned crops, as RAF-DB's, and ORSANet's landmark
    prior sees the whole crop. A landmark model trained with this box (``GetBBoxCenterScale``
    with ``padding=1.0``) learns in the very frame it is used in.
    """
    images, annotations = [], []
    for i, rec in enumerate(records, 1):
        pts = np.asarray(rec['landmarks'], np.float64)
        images.append(dict(id=i, file_name=f"{rec['name']}.jpg", height=size, width=size))
        keypoints = np.round(np.concatenate([pts, np.full((68, 1), 2.0)], 1).reshape(-1), 3)
        annotations.append(dict(
            id=i, image_id=i, category_id=1, iscrowd=0, num_keypoints=68,
            keypoints=keypoints.tolist(),
            bbox=[0.0, 0.0, float(size), float(size)], area=float(size * size),
            center=[size / 2.0, size / 2.0], scale=size / 200.0))
    categories = [dict(id=1, name='face', supercategory='face', keypoints=[], skeleton=[])]
    return dict(images=images, annotations=annotations, categories=categories)


def _make_dirs(out: str, occluded: bool) -> None:
    dirs = ['EmoLabel', 'Image/aligned', 'parsing/img_dir/train', 'parsing/img_dir/val',
            'parsing/ann_dir/train', 'parsing/ann_dir/val', 'landmarks/images',
            'landmarks/annotations']
    if occluded:
        dirs += ['occluded/EmoLabel', 'occluded/Image/aligned', 'occluded/occluder_masks']
    for d in dirs:
        os.makedirs(osp.join(out, d), exist_ok=True)


def occlusion_summary(occluded: List[dict], severity: float) -> dict:
    """What ``occluded/occlusion.json`` says: the split's severity and the achieved coverage
    (mean and range, over all faces and per type)."""
    def stats(rows):
        cover = [r['coverage'] for r in rows]
        return dict(faces=len(rows), mean_coverage=round(float(np.mean(cover)), 4),
                    min_coverage=round(min(cover), 4), max_coverage=round(max(cover), 4))

    types = sorted({r['occluder'] for r in occluded})
    return dict(severity=severity,
                definition='share of the face box (the whole aligned crop) the occluder covers',
                equivalent_transform=dict(type='SyntheticOcclusion', types=types,
                                          severity=severity),
                **stats(occluded),
                per_type={k: stats([r for r in occluded if r['occluder'] == k]) for k in types})


def _write_lists(out: str, records: Dict[str, List[dict]], size: int, severity: float) -> None:
    with open(osp.join(out, 'EmoLabel', 'list_patition_label.txt'), 'w') as f:
        for split in ('train', 'test'):
            f.writelines(f"{r['name']}.jpg {r['label'] + 1}\n" for r in records[split])
    for split in ('train', 'test'):
        path = osp.join(out, 'landmarks', 'annotations', f'face_landmarks_300w_{split}.json')
        with open(path, 'w') as f:
            json.dump(coco_keypoints(records[split], size), f)
    occluded = [r for r in records['test'] if 'occluder' in r]
    if not occluded:
        return
    with open(osp.join(out, 'occluded', 'EmoLabel', 'list_patition_label.txt'), 'w') as f:
        f.writelines(f"{r['name']}.jpg {r['label'] + 1}\n" for r in occluded)
    with open(osp.join(out, 'occluded', 'occlusion_list.txt'), 'w') as f:
        f.writelines(f"{r['name']}_aligned {r['label']} {r['occluder']}\n" for r in occluded)
    with open(osp.join(out, 'occluded', 'occluders.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['name', 'type', 'severity', 'coverage'])
        writer.writerows([r['name'], r['occluder'], f"{r['severity']:.3f}", f"{r['coverage']:.4f}"]
                         for r in occluded)
    with atomic_write(osp.join(out, 'occluded', 'occlusion.json')) as f:
        json.dump(occlusion_summary(occluded, severity), f, indent=1)


def write_synthetic_fer(out_dir: str,
                        num_train: int = 2800,
                        num_test: int = 700,
                        size: int = 112,
                        seed: int = 0,
                        occluders: Optional[Sequence[str]] = OCCLUDER_TYPES,
                        workers: int = 2,
                        log=print,
                        severity: float = OCCLUDED_SEVERITY) -> Dict[str, float]:
    """Render and write the datasets (layout in the module docstring).

    Args:
        out_dir (str): Output folder (created).
        num_train (int): Training faces. Defaults to 2800.
        num_test (int): Test faces (also the parser's val split). Defaults to 700.
        size (int): Image side. Defaults to 112.
        seed (int): Seed. Defaults to 0.
        occluders (Sequence[str], optional): Occluder types of the occluded test split; None or
            empty writes no occluded split. Defaults to all types.
        workers (int): Worker processes (1: no pool). Defaults to 2.
        log (callable): Progress printer. Defaults to print.
        severity (float): The share of each occluded face's box (the whole image) its occluder
            covers, in (0, 1]. Defaults to :data:`OCCLUDED_SEVERITY`.

    Returns:
        dict: ``images`` written (faces, occluded ones counted separately), ``seconds``,
        ``images_per_second``.
    """
    if num_train < 1 or num_test < 1:
        raise ValueError(f'need at least one train and one test face, got {num_train}/{num_test}')
    if occluders and not 0 < severity <= 1:
        raise ValueError(f'occluder severity {severity} must be a share of the face box in (0, 1]')
    occluders = list(occluders or [])
    _make_dirs(out_dir, bool(occluders))
    jobs = [(out_dir, split, i, n, seed, size, occluders, severity)
            for split, n in (('train', num_train), ('test', num_test)) for i in range(n)]
    start = time.perf_counter()
    records: Dict[str, List[dict]] = dict(train=[], test=[])
    pool = Pool(workers) if workers > 1 else None
    results = pool.imap(_render_one, jobs, chunksize=32) if pool else map(_render_one, jobs)
    try:
        for done, (job, rec) in enumerate(zip(jobs, results), 1):
            records[job[1]].append(rec)
            if done % 500 == 0 or done == len(jobs):
                log(f'  rendered {done}/{len(jobs)} faces ({time.perf_counter() - start:.1f} s)')
    finally:
        if pool:
            pool.close()
            pool.join()
    _write_lists(out_dir, records, size, severity)
    seconds = time.perf_counter() - start
    images = len(jobs) + (num_test if occluders else 0)
    return dict(images=images, seconds=seconds, images_per_second=images / seconds)
