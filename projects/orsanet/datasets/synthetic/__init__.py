"""Procedural synthetic faces with expression labels, parsing maps, landmarks and occluders.

Modules: :mod:`.expressions` (the 7 classes as geometry parameters), :mod:`.geometry` (identity and
part outlines in a canonical frame, 68 landmarks), :mod:`.renderer` (pose, drawing, lighting),
:mod:`.occluders` (sunglasses, masks, hands...), :mod:`.face` (one sample from (seed, index)),
:mod:`.writer` (RAF-DB / mmseg / mmpose datasets on disk), :mod:`.synthetic_fer` (the in-memory
FER dataset ``SyntheticFER``).
"""
from .expressions import CLASSES
from .face import SyntheticFace, render_face
from .occluders import OCCLUDER_TYPES
from .renderer import PARSING_CLASSES, PARSING_PALETTE

__all__ = ['CLASSES', 'OCCLUDER_TYPES', 'PARSING_CLASSES', 'PARSING_PALETTE', 'SyntheticFace',
           'render_face']
