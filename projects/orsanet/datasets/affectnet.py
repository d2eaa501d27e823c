"""AffectNet (Mollahosseini et al., 2017), the 7- and 8-expression benchmarks."""
import os.path as osp
from typing import List, Optional

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS

from ..fileio import read_csv_rows
from .fer_dataset import FERDataset, Record

AFFECTNET_CLASSES = ('Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger', 'Contempt')
# expression 8..10 = None, Uncertain, Non-face: never samples
NUM_EXPRESSION_CODES = 11
CSV_COLUMNS = ('subDirectory_filePath', 'face_x', 'face_y', 'face_width', 'face_height',
               'facial_landmarks', 'expression', 'valence', 'arousal')


@DATASETS.register_module()
class AffectNet(FERDataset):
    """AffectNet, 7 (no Contempt) or 8 expressions.

    Layouts::

        # layout='official'                                     # layout='folder'
        data_root/Manually_Annotated_file_lists/training.csv    data_root/train/<class>/*.jpg
        data_root/Manually_Annotated_Images/<dir>/<hash>.jpg    data_root/val/<class>/*.jpg

    CSV columns: subDirectory_filePath, face_x, face_y, face_width, face_height,
    facial_landmarks, expression, valence, arousal (the header row may be absent, as in the
    released validation.csv). Expression 0..7 = Neutral, Happy, Sad, Surprise, Fear, Disgust,
    Anger, Contempt; 8..10 (None, Uncertain, Non-face) are dropped, and so is Contempt when
    ``num_classes=7``. Class folders are named by class name/code or by the code 0..7 (folders of
    dropped codes are skipped).

    Args:
        num_classes (int): 7 or 8. Defaults to 8.
        layout (str): ``'official'`` or ``'folder'``. Defaults to 'official'.
        max_per_class (int, optional): Keep at most this many images per class, drawn without
            replacement with ``seed`` and kept in file order (the papers' 5,000/class training
            subsample). Defaults to None (all).
        seed (int): Seed of the per-class draw. Defaults to 0.
        **kwargs: :class:`FERDataset` arguments (``ann_file``, ``data_prefix``, subsets...).
    """
    METAINFO = dict(classes=AFFECTNET_CLASSES)  # all 8; an instance keeps the first num_classes

    def __init__(self,
                 num_classes: int = 8,
                 layout: str = 'official',
                 max_per_class: Optional[int] = None,
                 seed: int = 0,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if num_classes not in (7, 8):
            raise ValueError(f'AffectNet: num_classes must be 7 or 8, got {num_classes}')
        if layout not in ('official', 'folder'):
            raise ValueError(f"AffectNet: layout must be 'official' or 'folder', got {layout!r}")
        if max_per_class is not None and max_per_class < 1:
            raise ValueError(f'AffectNet: max_per_class must be positive, got {max_per_class}')
        self.num_classes, self.layout = num_classes, layout
        self.max_per_class, self.seed = max_per_class, seed
        metainfo = dict(classes=AFFECTNET_CLASSES[:num_classes], **(metainfo or {}))
        super().__init__(metainfo=metainfo, **kwargs)

    def dropped_labels(self) -> set:
        return set(range(self.num_classes, NUM_EXPRESSION_CODES))

    def load_records(self) -> List[Record]:
        if self.layout == 'folder':
            records = self.scan_folders(self.img_prefix)
        else:
            records = self._read_csv()
        return self._cap(records)

    def _read_csv(self) -> List[Record]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'AffectNet: annotation file {self.ann_file!r} does not exist '
                                    '(expected Manually_Annotated_file_lists/<split>.csv)')
        records = []
        for index, (number, row) in enumerate(read_csv_rows(self.ann_file, 'AffectNet CSV')):
            source = f'{self.ann_file}:{number}'
            if index == 0 and row[0] == CSV_COLUMNS[0]:
                continue
            if len(row) != len(CSV_COLUMNS):
                raise ValueError(f'{source}: expected {len(CSV_COLUMNS)} columns '
                                 f'{CSV_COLUMNS}, got {len(row)}')
            code = row[CSV_COLUMNS.index('expression')]
            if not code.lstrip('-').isdigit() or not 0 <= int(code) < NUM_EXPRESSION_CODES:
                raise ValueError(f'{source}: expression {code!r} is outside 0..10')
            if int(code) in self.dropped_labels():
                continue
            path = osp.join(self.img_prefix, row[0])
            records.append(Record(self.check_file(path, source), int(code), source))
        return records

    def _cap(self, records: List[Record]) -> List[Record]:
        if self.max_per_class is None:
            return records
        rng = np.random.RandomState(self.seed)
        labels = np.array([r.gt_label for r in records])
        keep = np.zeros(len(records), dtype=bool)
        for label in range(self.num_classes):
            index = np.flatnonzero(labels == label)
            if len(index) > self.max_per_class:
                index = rng.choice(index, self.max_per_class, replace=False)
            keep[index] = True
        MMLogger.get_current_instance().info(
            f'AffectNet: kept {int(keep.sum())} of {len(records)} images '
            f'(max_per_class={self.max_per_class}, seed={self.seed})')
        return [r for r, k in zip(records, keep) if k]
