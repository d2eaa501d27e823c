"""Occlu-FER: facial expressions under real occlusion, 8 classes (ORSANet paper's benchmark)."""
from typing import List

from mmpretrain.registry import DATASETS

from .fer_dataset import FERDataset, Record


@DATASETS.register_module()
class OccluFER(FERDataset):
    """Occlu-FER in its release layout: ``data_root/{train,valid}/{AN,CO,DI,FE,HA,NE,SA,SU}/*``.

    Classes (folder code order): Anger (AN), Contempt (CO), Disgust (DI), Fear (FE), Happiness
    (HA), Neutral (NE), Sadness (SA), Surprise (SU). Folders may also use the full names.

    Args:
        data_prefix (str): The split folder, ``'train'`` or ``'valid'``.
        **kwargs: :class:`FERDataset` arguments (subsets, ``skip_corrupt``, pipeline...).
    """
    METAINFO = dict(classes=('Anger', 'Contempt', 'Disgust', 'Fear', 'Happiness', 'Neutral',
                             'Sadness', 'Surprise'))

    def load_records(self) -> List[Record]:
        return self.scan_folders(self.img_prefix)
