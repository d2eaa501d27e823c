"""Procedural synthetic faces with expression labels, parsing maps, landmarks and occluders.

Modules: :mod:`.expressions` (the 7 classes as geometry parameters), :mod:`.geometry` (identity and
part outlines in a canonical frame, 68 landmarks), :mod:`.renderer` (pose, drawing, lighting),
:mod:`.face` (one sample from (seed, index), occluded by :mod:`orsanet.datasets.occlusion`, the
library SyntheticOcclusion uses too), :mod:`.writer` (RAF-DB / mmseg / mmpose datasets on disk),
:mod:`.synthetic_fer` (the in-memory FER dataset ``SyntheticFER``).
"""
from ..occlusion import OCCLUDER_TYPES
from .expressions import CLASSES
from .face import OCCLUDED_SEVERITY, SyntheticFace, render_face
from .renderer import PARSING_CLASSES, PARSING_PALETTE

__all__ = ['CLASSES', 'OCCLUDED_SEVERITY', 'OCCLUDER_TYPES', 'PARSING_CLASSES', 'PARSING_PALETTE',
           'SyntheticFace', 'render_face']
