"""FERPlus (Barsoum et al., 2016): FER2013 images relabelled by 10 annotators, 8 expressions."""
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmpretrain.registry import DATASETS

from ..fileio import read_csv_rows
from .fer_dataset import FERDataset, Record

FERPLUS_CLASSES = ('Neutral', 'Happiness', 'Surprise', 'Sadness', 'Anger', 'Disgust', 'Fear',
                   'Contempt')
VOTE_COLUMNS = ('neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear',
                'contempt', 'unknown', 'NF')
SPLIT_USAGE = dict(train='Training', val='PublicTest', test='PrivateTest')


def majority_label(votes: Sequence[int]) -> Optional[int]:
    """FERPlus majority label from the 10 vote counts (``VOTE_COLUMNS`` order), or None.

    With ``m`` the largest count over all 10 columns, an image is EXCLUDED when ``m == 0``, when
    ``unknown`` or ``NF`` (not a face) has ``m`` votes (alone or tied), or when two or more of the 8
    expressions tie at ``m``. Otherwise its label is the expression with ``m`` votes.
    """
    votes = np.asarray(votes)
    top = votes.max()
    if top == 0 or votes[8:].max() == top or (votes[:8] == top).sum() > 1:
        return None
    return int(votes[:8].argmax())


@DATASETS.register_module()
class FERPlus(FERDataset):
    """FERPlus, 8 expressions (class order of the ``fer2013new.csv`` vote columns).

    Layouts::

        # layout='csv'                                    # layout='folder' (pre-extracted)
        data_root/fer2013new.csv (ann_file; votes)         data_root/<split>/<class>/fer0000000.png
        data_root/fer2013.csv (pixels_file; 48x48 grey)

    ``fer2013new.csv`` (columns Usage, Image name, neutral, ..., contempt, unknown, NF) has one row
    per row of ``fer2013.csv`` (emotion, pixels, Usage), in the same order; rows without an image
    name and rows excluded by :func:`majority_label` are dropped. In the csv layout the dataset
    decodes the pixels itself: the pipeline must NOT start with ``LoadImageFromFile``; images are
    48 x 48 grey, repeated to 3 channels. Class folders are named by class name or by 0..7.

    Args:
        split (str): ``'train'`` (Training), ``'val'`` (PublicTest) or ``'test'`` (PrivateTest);
            csv layout only. Defaults to 'train'.
        layout (str): ``'csv'`` or ``'folder'``. Defaults to 'csv'.
        ann_file (str): The votes file. Defaults to ``'fer2013new.csv'`` (csv layout).
        pixels_file (str): The FER2013 pixels file, under ``data_root`` if relative. Defaults to
            ``'fer2013.csv'``.
        **kwargs: :class:`FERDataset` arguments (subsets, ``skip_corrupt``, pipeline...).
    """
    METAINFO = dict(classes=FERPLUS_CLASSES)

    def __init__(self,
                 split: str = 'train',
                 layout: str = 'csv',
                 ann_file: str = '',
                 pixels_file: str = 'fer2013.csv',
                 **kwargs) -> None:
        if split not in SPLIT_USAGE:
            raise ValueError(f'FERPlus: split must be one of {tuple(SPLIT_USAGE)}, got {split!r}')
        if layout not in ('csv', 'folder'):
            raise ValueError(f"FERPlus: layout must be 'csv' or 'folder', got {layout!r}")
        self.split, self.layout, self.pixels_file = split, layout, pixels_file
        if layout == 'csv':
            ann_file = ann_file or 'fer2013new.csv'
            first = (kwargs.get('pipeline') or [None])[0]
            if isinstance(first, dict) and first.get('type') in ('LoadImageFromFile',
                                                                  'mmcv.LoadImageFromFile'):
                raise ValueError("FERPlus(layout='csv') decodes the CSV pixels itself: remove "
                                 'LoadImageFromFile from the start of its pipeline')
        super().__init__(ann_file=ann_file, **kwargs)

    def load_records(self) -> List[Record]:
        if self.layout == 'folder':
            return self.scan_folders(self.img_prefix)
        records = []
        pixels_file = self._resolve(self.pixels_file)
        for (number, row), (pixel_number, pixel_row) in self._aligned_rows(pixels_file):
            source = f'{self.ann_file}:{number}'
            if len(row) != 2 + len(VOTE_COLUMNS):
                raise ValueError(f'{source}: expected Usage, Image name and the 10 vote columns '
                                 f'{VOTE_COLUMNS}, got {len(row)} columns')
            if row[0] != pixel_row[2]:
                raise ValueError(f'{source}: Usage {row[0]!r} differs from {pixel_row[2]!r} in the '
                                 f'same row of {pixels_file}: the two files are not aligned')
            if row[0] != SPLIT_USAGE[self.split] or not row[1].strip():
                continue
            try:
                votes = [int(v) for v in row[2:]]
            except ValueError:
                raise ValueError(f'{source}: vote counts {row[2:]} are not integers') from None
            if min(votes) < 0:
                raise ValueError(f'{source}: negative vote count in {votes}')
            label = majority_label(votes)
            if label is not None:
                records.append(Record(row[1].strip(), label, f'{source} ({pixels_file}:'
                                      f'{pixel_number})', pixels=pixel_row[1]))
        return records

    def _aligned_rows(self, pixels_file: str) -> Iterator[Tuple[tuple, tuple]]:
        votes, pixels = _read_csv(self.ann_file, 'Usage'), _read_csv(pixels_file, 'emotion')
        if len(votes) != len(pixels):
            raise ValueError(f'{self.ann_file} has {len(votes)} rows but {pixels_file} has '
                             f'{len(pixels)}: they must have one row per image, in the same order')
        for (number, row), (pixel_number, pixel_row) in zip(votes, pixels):
            if len(pixel_row) != 3:
                raise ValueError(f'{pixels_file}:{pixel_number}: expected emotion, pixels, Usage')
            yield (number, row), (pixel_number, pixel_row)


def _read_csv(path: str, header: str) -> List[Tuple[int, List[str]]]:
    """Numbered non-empty rows of a CSV file, without its header row (first cell ``header``)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'FERPlus: file {path} does not exist')
    rows = read_csv_rows(path, 'FERPlus CSV')
    return rows[1:] if rows and rows[0][1][0] == header else rows
