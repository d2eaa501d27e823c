"""Shared base of the facial-expression datasets: records, image folders, checks and subsets."""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from .class_names import normalize_class_name
from .subsets import SubsetEntry, image_key, parse_subset_file

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


@dataclass
class Record:
    """One sample while the annotation is read: where it came from (``source`` = file:line or
    path, for error messages), its image and its label."""
    img_path: str
    gt_label: int
    source: str
    pixels: Optional[str] = None  # FER2013 CSV: space-separated grey values, no image file

    @property
    def key(self) -> str:
        return image_key(self.img_path)


class FERDataset(BaseDataset):
    """Base of the FER datasets (RAF-DB, AffectNet, FERPlus, Occlu-FER).

    A subclass reads its annotation into :class:`Record` s (``load_records``); this class checks
    them (duplicates, missing images, optionally undecodable images), restricts them to a subset
    list and tags them. Class-folder (ImageFolder) layouts are read by :meth:`scan_folders`.

    Args:
        subset_file (str, optional): A list of images (RAN occlusion/pose formats, see
            :mod:`orsanet.datasets.subsets`); only the listed images are kept. Relative paths are
            taken under ``data_root``. Defaults to None.
        subset_format (str, optional): Format of ``subset_file``; detected if None.
        subset_label_file (str, optional): The label file of a ``rafdb_pose`` list.
        subset_tag (str, optional): Tag of the subset, stored in each sample's ``subset_tags`` (a
            list, so ``PackInputs(meta_keys=(..., 'subset_tags'))`` hands it to ``FERMetric``,
            which reports every tag separately). Defaults to the list's file name stem.
        tag_files (dict, optional): ``{tag: list file or dict(file=..., format=...,
            label_file=...)}``: keep ALL samples, and add ``tag`` to the ``subset_tags`` of the
            listed ones, so one test run reports the full set and each subset. Defaults to None.
        strict_subset (bool): Listed images missing from the dataset or listed with another label
            raise an error; if False they are skipped and counted in the log. Defaults to True.
        skip_corrupt (bool): Decode every image while loading the annotation and drop (and log)
            those that fail. If False, an undecodable image raises an error naming its path when
            it is loaded. Defaults to False.
        **kwargs: :class:`mmpretrain.datasets.BaseDataset` arguments (``data_root``,
            ``data_prefix``, ``pipeline``, ``test_mode``, ...).
    """
    # a class folder named by digits ``d`` holds label ``d - FOLDER_LABEL_BASE``
    FOLDER_LABEL_BASE = 0

    def __init__(self,
                 ann_file: str = '',
                 subset_file: Optional[str] = None,
                 subset_format: Optional[str] = None,
                 subset_label_file: Optional[str] = None,
                 subset_tag: Optional[str] = None,
                 tag_files: Optional[Dict[str, Union[str, dict]]] = None,
                 strict_subset: bool = True,
                 skip_corrupt: bool = False,
                 **kwargs) -> None:
        self.subset_file = subset_file
        self.subset_format = subset_format
        self.subset_label_file = subset_label_file
        self.subset_tag = subset_tag
        self.tag_files = dict(tag_files or {})
        self.strict_subset = strict_subset
        self.skip_corrupt = skip_corrupt
        super().__init__(ann_file=ann_file, **kwargs)

    # ----------------------------------------------------------------- to implement
    def load_records(self) -> List[Record]:
        """Read the annotation into records (labels already 0-based in ``self.CLASSES``)."""
        raise NotImplementedError

    def dropped_labels(self) -> set:
        """Labels of subset-list entries to skip silently (classes this variant drops)."""
        return set()

    # ----------------------------------------------------------------- loading
    def load_data_list(self) -> List[dict]:
        records = self.load_records()
        if not records:
            raise ValueError(f'{type(self).__name__}: no samples found (ann_file='
                             f'{self.ann_file!r}, data_prefix={self.data_prefix!r})')
        self._check_duplicates(records)
        specs = {tag: spec if isinstance(spec, dict) else dict(file=spec)
                 for tag, spec in self.tag_files.items()}
        if self.subset_file is not None:
            subset_tag = self.subset_tag or osp.splitext(osp.basename(self.subset_file))[0]
            specs = {subset_tag: dict(file=self.subset_file, format=self.subset_format,
                                      label_file=self.subset_label_file), **specs}
        tags: Dict[str, List[str]] = {r.key: [] for r in records}
        for tag, spec in specs.items():  # lists are checked against ALL records
            for key in self._subset_keys(spec, records):
                tags[key].append(tag)
        if self.subset_file is not None:
            records = [r for r in records if tags[r.key][:1] == [subset_tag]]
        if self.skip_corrupt:
            records = self._drop_corrupt(records)
        return [self._to_info(r, tags[r.key] if specs else None) for r in records]

    @staticmethod
    def _to_info(record: Record, tags: Optional[List[str]]) -> dict:
        info = dict(img_path=record.img_path, gt_label=record.gt_label)
        if record.pixels is not None:  # stored as 48 x 48 uint8, not as text
            info['pixels'] = decode_pixels(record.pixels, record.source)
        if tags is not None:
            info['subset_tags'] = list(tags)
        return info

    def _check_duplicates(self, records: Sequence[Record]) -> None:
        seen: Dict[str, Record] = {}
        for record in records:
            first = seen.setdefault(record.key, record)
            if first is not record:
                raise ValueError(f'{type(self).__name__}: duplicate entry {record.key!r} at '
                                 f'{record.source} (first at {first.source}); remove one of them')

    def _drop_corrupt(self, records: List[Record]) -> List[Record]:
        kept, bad = [], []
        for record in records:
            (kept if _decodes(record) else bad).append(record)
        if bad:
            MMLogger.get_current_instance().warning(
                f'{type(self).__name__}: skipped {len(bad)} corrupt image(s) (skip_corrupt=True): '
                + ', '.join(r.img_path for r in bad[:20]) + (' ...' if len(bad) > 20 else ''))
        return kept

    # ----------------------------------------------------------------- subsets
    def _resolve(self, path: Optional[str]) -> Optional[str]:
        if path is None or osp.isabs(path) or not self.data_root:
            return path
        return osp.join(self.data_root, path)

    def _subset_keys(self, spec: dict, records: Sequence[Record]) -> set:
        """Keys of the records listed in a subset list; checks the list against the records."""
        path = self._resolve(spec['file'])
        _, entries = parse_subset_file(path, spec.get('format'),
                                       self._resolve(spec.get('label_file')))
        by_key = {r.key: r for r in records}
        dropped, problems, keys = self.dropped_labels(), [], set()
        for entry in entries:
            problem = self._entry_problem(entry, by_key, dropped)
            if problem == 'dropped':
                continue
            if problem:
                problems.append(f'{path}:{entry.line}: {problem}')
            else:
                keys.add(entry.key)
        if problems and self.strict_subset:
            raise ValueError(problems[0] + (f' (and {len(problems) - 1} more problems)'
                                            if len(problems) > 1 else '')
                             + '; pass strict_subset=False to skip such entries')
        if problems:
            MMLogger.get_current_instance().warning(
                f'{type(self).__name__}: skipped {len(problems)} entries of {path}, e.g. '
                f'{problems[0]}')
        return keys

    def _entry_problem(self, entry: SubsetEntry, by_key: Dict[str, Record],
                       dropped: set) -> Optional[str]:
        if entry.label is not None and entry.label in dropped:
            return 'dropped'
        if entry.label is not None and not 0 <= entry.label < len(self.CLASSES):
            return f'label {entry.label} is outside 0..{len(self.CLASSES) - 1}'
        record = by_key.get(entry.key)
        if record is None:
            return f'image {entry.key!r} is not in the dataset'
        if entry.label is not None and entry.label != record.gt_label:
            return (f'image {entry.key!r} has label {entry.label} in the list but '
                    f'{record.gt_label} in the dataset ({record.source}); check the class order')
        return None

    # ----------------------------------------------------------------- image folders
    def folder_label(self, name: str, path: str) -> Optional[int]:
        """Label of a class folder: a class name/alias of ``self.CLASSES`` or digits (shifted by
        ``FOLDER_LABEL_BASE``). ``None`` skips the folder (see :meth:`dropped_labels`)."""
        canonical = [normalize_class_name(c) for c in self.CLASSES]
        if normalize_class_name(name) in canonical:
            return canonical.index(normalize_class_name(name))
        if name.isdigit():
            label = int(name) - self.FOLDER_LABEL_BASE
            if label in self.dropped_labels():
                return None
            if 0 <= label < len(self.CLASSES):
                return label
        raise ValueError(
            f'{type(self).__name__}: unknown class folder {path}; expected class names '
            f'{list(self.CLASSES)} (or their short codes) or numbers {self.FOLDER_LABEL_BASE}..'
            f'{self.FOLDER_LABEL_BASE + len(self.CLASSES) - 1}')

    def scan_folders(self, root: str) -> List[Record]:
        """Records of an ImageFolder layout ``root/<class>/**/<image>`` (sorted)."""
        if not osp.isdir(root):
            raise FileNotFoundError(f'{type(self).__name__}: image folder {root} does not exist')
        records = []
        for name in sorted(os.listdir(root)):
            folder = osp.join(root, name)
            if not osp.isdir(folder):
                continue
            label = self.folder_label(name, folder)
            if label is None:
                continue
            for sub, dirs, files in os.walk(folder):
                dirs.sort()
                for file in sorted(files):
                    if file.lower().endswith(IMG_EXTENSIONS):
                        path = osp.join(sub, file)
                        records.append(Record(path, label, path))
        return records

    def check_label(self, value: str, source: str, base: int = 0) -> int:
        """``int(value) - base``, with an error naming ``source`` if it is not a class index."""
        try:
            label = int(value) - base
        except ValueError:
            raise ValueError(f'{source}: label {value!r} is not an integer') from None
        if not 0 <= label < len(self.CLASSES):
            raise ValueError(f'{source}: label {value} is outside {base}..'
                             f'{base + len(self.CLASSES) - 1} ({list(self.CLASSES)})')
        return label

    @staticmethod
    def check_file(path: str, source: str) -> str:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{source}: image {path} does not exist')
        return path

    # ----------------------------------------------------------------- loading images
    def prepare_data(self, idx: int):
        info = self.get_data_info(idx)
        if 'pixels' in info:
            info['img'] = np.repeat(info.pop('pixels')[:, :, None], 3, axis=2)
            info['img_shape'] = info['ori_shape'] = info['img'].shape[:2]
        try:
            return self.pipeline(info)
        except Exception as err:
            raise RuntimeError(f'{type(self).__name__}: cannot load or transform image '
                               f'{info.get("img_path")}: {err}') from err


def _decodes(record: Record) -> bool:
    if record.pixels is None:
        return cv2.imread(record.img_path, cv2.IMREAD_UNCHANGED) is not None
    try:
        decode_pixels(record.pixels, record.img_path)
    except ValueError:
        return False
    return True


def decode_pixels(pixels: str, source: str) -> np.ndarray:
    """FER2013 ``pixels`` (a square number of grey values 0..255, space-separated) -> a square
    uint8 image; ``source`` (file:line) names the row in the error."""
    try:
        values = np.array(pixels.split(), dtype=np.int64)
    except ValueError:
        values = np.zeros(0)
    side = int(round(np.sqrt(values.size)))
    if values.size == 0 or side * side != values.size or values.min() < 0 or values.max() > 255:
        raise ValueError(f'{source}: corrupt image: pixels are not a square image of integer '
                         'values 0..255 (pass skip_corrupt=True to skip such images)')
    return values.reshape(side, side).astype(np.uint8)
