"""RAF-DB basic (Real-world Affective Faces, Li et al., CVPR 2017)."""
import os.path as osp
from typing import List

from mmpretrain.registry import DATASETS

from ..fileio import read_lines
from .fer_dataset import FERDataset, Record


@DATASETS.register_module()
class RAFDB(FERDataset):
    """RAF-DB basic, 7 expressions.

    Two layouts::

        # layout='official' (the release)            # layout='folder' (official ORSANet code)
        data_root/                                     data_root/
          EmoLabel/list_patition_label.txt (sic)         train/<class>/*.jpg
          Image/aligned/train_00001_aligned.jpg          test/<class>/*.jpg
          Image/original/train_00001.jpg

    Official list lines are ``train_00001.jpg 5`` with labels 1..7 = Surprise, Fear, Disgust,
    Happiness, Sadness, Anger, Neutral, mapped to 0..6 (the class order below). Class folders are
    named by class name/code (``Happiness``, ``HA``) or by the official label 1..7.

    Args:
        split (str): ``'train'`` or ``'test'`` (the name prefix in the official list). Ignored by
            the folder layout, where ``data_prefix`` names the split folder. Defaults to 'train'.
        layout (str): ``'official'`` or ``'folder'``. Defaults to 'official'.
        image_type (str): ``'aligned'`` (100 x 100 ``Image/aligned/<name>_aligned.jpg``) or
            ``'original'`` (``Image/original/<name>``). Defaults to 'aligned'.
        ann_file (str): Defaults to ``'EmoLabel/list_patition_label.txt'`` (official layout).
        **kwargs: :class:`FERDataset` arguments (subsets, ``skip_corrupt``, pipeline...).
    """
    METAINFO = dict(
        classes=('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger', 'Neutral'))
    FOLDER_LABEL_BASE = 1

    def __init__(self,
                 split: str = 'train',
                 layout: str = 'official',
                 image_type: str = 'aligned',
                 ann_file: str = '',
                 **kwargs) -> None:
        if split not in ('train', 'test'):
            raise ValueError(f"RAFDB: split must be 'train' or 'test', got {split!r}")
        if layout not in ('official', 'folder'):
            raise ValueError(f"RAFDB: layout must be 'official' or 'folder', got {layout!r}")
        if image_type not in ('aligned', 'original'):
            raise ValueError(f"RAFDB: image_type must be 'aligned' or 'original', got "
                             f'{image_type!r}')
        self.split, self.layout, self.image_type = split, layout, image_type
        if layout == 'official' and not ann_file:
            ann_file = 'EmoLabel/list_patition_label.txt'
        if layout == 'official' and not kwargs.get('data_prefix'):
            kwargs['data_prefix'] = osp.join('Image', image_type)
        super().__init__(ann_file=ann_file, **kwargs)

    def load_records(self) -> List[Record]:
        if self.layout == 'folder':
            return self.scan_folders(self.img_prefix)
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'RAFDB: annotation file {self.ann_file} does not exist '
                                    '(expected EmoLabel/list_patition_label.txt under data_root)')
        records = []
        for number, line in read_lines(self.ann_file, 'RAF-DB list'):
            fields = line.split()
            source = f'{self.ann_file}:{number}'
            if len(fields) != 2:
                raise ValueError(f'{source}: expected "<name>.jpg <label 1..7>", got {line!r}')
            name, value = fields
            if not name.startswith(self.split + '_'):
                continue
            label = self.check_label(value, source, base=1)
            records.append(Record(self.check_file(self._image(name), source), label, source))
        return records

    def _image(self, name: str) -> str:
        if self.image_type == 'aligned':
            stem, ext = osp.splitext(name)
            name = f'{stem}_aligned{ext}'
        return osp.join(self.img_prefix, name)
