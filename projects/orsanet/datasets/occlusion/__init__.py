"""Synthetic occluders, one library for the ``SyntheticOcclusion`` transform (robustness sweeps,
augmentation) and the synthetic face generator (the demo's occluded split).

Types (:data:`OCCLUDER_TYPES`): ``patch``, ``eye_bar``, ``mask``, ``hand``, ``scarf``,
``object``. Severity, everywhere: the share of the face box the occluder covers
(:mod:`.severity`). Modules: :mod:`.placement` (the face's geometry from 68 landmarks, a LaPa
parsing map or the box), :mod:`.shapes` (footprints growing with a size), :mod:`.severity`
(coverage and the size search), :mod:`.textures` (looks), :mod:`.paint` (all of it on an image).
"""
from .paint import Occlusion, paint_occluder
from .placement import FaceGeometry, box_geometry, landmark_geometry, parsing_geometry
from .severity import covered_share, fit_to_severity
from .shapes import OCCLUDER_TYPES

__all__ = ['OCCLUDER_TYPES', 'FaceGeometry', 'Occlusion', 'box_geometry', 'covered_share',
           'fit_to_severity', 'landmark_geometry', 'paint_occluder', 'parsing_geometry']
