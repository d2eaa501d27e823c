"""Datasets, transforms and samplers (mmpretrain DATASETS/TRANSFORMS, mmengine DATA_SAMPLERS)."""
from . import samplers, transforms  # noqa: F401
from .affectnet import AffectNet
from .fer_dataset import FERDataset
from .ferplus import FERPlus
from .occlu_fer import OccluFER
from .rafdb import RAFDB
from .synthetic.synthetic_fer import SyntheticFER

__all__ = ['AffectNet', 'FERDataset', 'FERPlus', 'OccluFER', 'RAFDB', 'SyntheticFER']
