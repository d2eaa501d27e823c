"""Datasets, transforms and samplers (mmpretrain DATASETS/TRANSFORMS, mmengine DATA_SAMPLERS)."""
from . import samplers, transforms  # noqa: F401
