"""Occlu-FER: facial expressions under real occlusion (ORSANet paper's benchmark)."""
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmpretrain.registry import DATASETS

from .class_names import normalize_class_name
from .fer_dataset import FERDataset, Record

# The official class order: torchvision's ImageFolder sorts the released folders AN, DI, FE, HA,
# NE, SA, SU (the release's last commit dropped CO from its label names); the official head has
# an 8th output, CO, which that data never trains.
OCCLU_FER_CLASSES = ('Anger', 'Disgust', 'Fear', 'Happiness', 'Neutral', 'Sadness', 'Surprise',
                     'Contempt')


def present_classes(folder: str, classes: Sequence[str] = OCCLU_FER_CLASSES) -> List[str]:
    """The classes of ``classes`` (in that order) that have a folder under ``folder``, named by
    class name or short code (``HA``); the order does not depend on which folders exist, except
    that absent classes are left out."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'OccluFER: image folder {folder} does not exist')
    names = {normalize_class_name(n) for n in os.listdir(folder) if osp.isdir(osp.join(folder, n))}
    return [c for c in classes if normalize_class_name(c) in names]


@DATASETS.register_module()
class OccluFER(FERDataset):
    """Occlu-FER in its release layout: ``data_root/{train,valid}/<code>/*``, codes AN, DI, FE,
    HA, NE, SA, SU and, if present, CO.

    Classes: the class folders present, in the official order Anger, Disgust, Fear, Happiness,
    Neutral, Sadness, Surprise, then Contempt (CO) if its folder exists; folders may also use the
    full names. Give ``classes`` to fix the list (e.g. so that a split without CO keeps the
    8-class numbering of one with it).

    Args:
        data_prefix (str): The split folder, ``'train'`` or ``'valid'``.
        classes (sequence of str, optional): The class list (names or codes, in label order).
            Defaults to the folders present, in the official order.
        **kwargs: :class:`FERDataset` arguments (subsets, ``skip_corrupt``, pipeline...).
    """
    METAINFO = dict(classes=OCCLU_FER_CLASSES)

    def __init__(self, data_prefix='', classes: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        folder = data_prefix.get('img_path', '') if isinstance(data_prefix, dict) else data_prefix
        root = osp.join(kwargs.get('data_root') or '', folder)
        if classes is None:
            classes = present_classes(root)
        metainfo = dict(kwargs.pop('metainfo', None) or {}, classes=tuple(classes))
        super().__init__(data_prefix=data_prefix, metainfo=metainfo, **kwargs)

    def load_records(self) -> List[Record]:
        return self.scan_folders(self.img_prefix)
