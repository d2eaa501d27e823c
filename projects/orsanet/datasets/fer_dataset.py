"""Shared base of the facial-expression datasets: records, image folders, checks and subsets."""
import os
import os.path as osp
from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from .class_names import normalize_class_name
from .image_problems import describe_bad_images, find_bad_images, image_loader
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
        """The file-name stem that subset lists match (``test_0003`` for
        ``.../test_0003_aligned.jpg``); several records may share it."""
        return image_key(self.img_path)

    @property
    def identity(self) -> str:
        """What makes two records the same image: the normalised path."""
        return osp.normpath(self.img_path)


class FERDataset(BaseDataset):
    """Base of the FER datasets (RAF-DB, AffectNet, FERPlus, Occlu-FER).

    A subclass reads its annotation into :class:`Record` s (``load_records``); this class checks
    them (duplicates: the same image path twice; missing images; optionally undecodable images),
    restricts them to a subset list and tags them. Class-folder (ImageFolder) layouts are read by
    :meth:`scan_folders`; files there that are not images are counted in the log, by extension.
    Subset lists match images by file-name stem (see :func:`~orsanet.datasets.subsets.image_key`);
    a stem shared by several images (``AN/1.jpg``, ``DI/1.jpg``) cannot be listed.

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
        skip_corrupt (bool): Decode every image while loading the annotation, with the
            pipeline's own loading transform, and drop (and log) those that fail. If False, an
            undecodable image raises an error naming its path when it is loaded. Defaults to False.
        check_images (bool): Decode every image the same way and raise an error that counts the
            missing and undecodable ones and names the first few, before any training (with
            ``skip_corrupt=True`` they are dropped and logged instead). Without it, the first
            missing image raises an error naming it. Defaults to False.
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
                 check_images: bool = False,
                 **kwargs) -> None:
        self.subset_file = subset_file
        self.subset_format = subset_format
        self.subset_label_file = subset_label_file
        self.subset_tag = subset_tag
        self.tag_files = dict(tag_files or {})
        self.strict_subset = strict_subset
        self.skip_corrupt = skip_corrupt
        self.check_images = check_images
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
        tags: Dict[str, List[str]] = {r.identity: [] for r in records}
        for tag, spec in specs.items():  # lists are checked against ALL records
            for identity in self._subset_images(spec, records):
                tags[identity].append(tag)
        if self.subset_file is not None:
            records = [r for r in records if tags[r.identity][:1] == [subset_tag]]
        if self.skip_corrupt or self.check_images:
            records = self._check_decoding(records)
        return [self._to_info(r, tags[r.identity] if specs else None) for r in records]

    @staticmethod
    def _to_info(record: Record, tags: Optional[List[str]]) -> dict:
        info = dict(img_path=record.img_path, gt_label=record.gt_label)
        if record.pixels is not None:  # stored as 48 x 48 uint8, not as text
            info['pixels'] = decode_pixels(record.pixels, record.source)
        if tags is not None:
            info['subset_tags'] = list(tags)
        return info

    def _check_duplicates(self, records: Sequence[Record]) -> None:
        """The same image path twice is an error; the same stem in two folders is not."""
        seen: Dict[str, Record] = {}
        for record in records:
            first = seen.setdefault(record.identity, record)
            if first is not record:
                raise ValueError(f'{type(self).__name__}: duplicate entry {record.img_path!r} at '
                                 f'{record.source} (first at {first.source}); remove one of them')

    def _check_decoding(self, records: List[Record]) -> List[Record]:
        """Decode every image as the pipeline will; drop (``skip_corrupt``) or refuse
        (``check_images``) those that fail."""
        files = [r for r in records if r.pixels is None]
        load = image_loader(self.pipeline)
        problems = dict(find_bad_images([dict(img_path=r.img_path) for r in files], load))
        bad = [(r, problems[i]) for i, r in enumerate(files) if i in problems]
        bad += [(r, problem) for r in records if r.pixels is not None
                for problem in [_pixels_problem(r)] if problem]
        if not bad:
            return records
        summary = describe_bad_images([(r.img_path, p) for r, p in bad], len(records))
        if not self.skip_corrupt:
            raise ValueError(f'{type(self).__name__}: {summary}; fix or remove them, or pass '
                             'skip_corrupt=True to drop them')
        MMLogger.get_current_instance().warning(
            f'{type(self).__name__}: skipped (skip_corrupt=True) {summary}')
        dropped = {id(r) for r, _ in bad}
        return [r for r in records if id(r) not in dropped]

    # ----------------------------------------------------------------- subsets
    def _resolve(self, path: Optional[str]) -> Optional[str]:
        if path is None or osp.isabs(path) or not self.data_root:
            return path
        return osp.join(self.data_root, path)

    def _subset_images(self, spec: dict, records: Sequence[Record]) -> set:
        """Identities of the records listed in a subset list; checks the list against the
        records."""
        path = self._resolve(spec['file'])
        _, entries = parse_subset_file(path, spec.get('format'),
                                       self._resolve(spec.get('label_file')))
        by_key: Dict[str, List[Record]] = {}
        for record in records:
            by_key.setdefault(record.key, []).append(record)
        dropped, problems, listed = self.dropped_labels(), [], set()
        for entry in entries:
            problem = self._entry_problem(entry, by_key, dropped)
            if problem == 'dropped':
                continue
            if problem:
                problems.append(f'{path}:{entry.line}: {problem}')
            else:
                listed.add(by_key[entry.key][0].identity)
        if problems and self.strict_subset:
            raise ValueError(problems[0] + (f' (and {len(problems) - 1} more problems)'
                                            if len(problems) > 1 else '')
                             + '; pass strict_subset=False to skip such entries')
        if problems:
            MMLogger.get_current_instance().warning(
                f'{type(self).__name__}: skipped {len(problems)} entries of {path}, e.g. '
                f'{problems[0]}')
        return listed

    def _entry_problem(self, entry: SubsetEntry, by_key: Dict[str, List[Record]],
                       dropped: set) -> Optional[str]:
        if entry.label is not None and entry.label in dropped:
            return 'dropped'
        if entry.label is not None and not 0 <= entry.label < len(self.CLASSES):
            return f'label {entry.label} is outside 0..{len(self.CLASSES) - 1}'
        matches = by_key.get(entry.key, [])
        if not matches:
            return f'image {entry.key!r} is not in the dataset'
        if len(matches) > 1:
            return (f'image {entry.key!r} is ambiguous: {len(matches)} dataset images have this '
                    f'name ({", ".join(r.source for r in matches[:3])}); subset lists match '
                    'images by file name, so rename them or do not list this one')
        record = matches[0]
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
        records, others = [], []
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
                    path = osp.join(sub, file)
                    if file.lower().endswith(IMG_EXTENSIONS):
                        records.append(Record(path, label, path))
                    else:
                        others.append(path)
        if others:
            self._log_non_images(root, others)
        return records

    def _log_non_images(self, root: str, others: List[str]) -> None:
        kinds = Counter(osp.splitext(p)[1].lower() or '(no extension)' for p in others)
        counts = ', '.join(f'{n} {kind}' for kind, n in kinds.most_common())
        MMLogger.get_current_instance().warning(
            f'{type(self).__name__}: skipped {len(others)} files in the class folders of {root} '
            f'that are not images ({counts}; images end in {", ".join(IMG_EXTENSIONS)}), '
            f'e.g. {others[0]}')

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

    def check_file(self, path: str, source: str) -> str:
        """``path``; a missing file raises an error naming ``source``, unless ``check_images``
        collects it with the undecodable ones."""
        if not osp.isfile(path) and not self.check_images:
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


def _pixels_problem(record: Record) -> Optional[str]:
    try:
        decode_pixels(record.pixels, record.source)
    except ValueError:
        return 'undecodable: pixels are not a square image of values 0..255'
    return None


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
