"""apis of ORSANet-MM: command-line helpers and inference on real photos and videos.

The face side (detectors, alignment, tracking) is the package :mod:`orsanet.faces`. The face names
this package exported before it existed are re-exported here, deliberately, so that user code such
as ``from orsanet.apis import FaceTracker, build_face_detector`` keeps working; new code imports
them from ``orsanet.faces``. The old module paths (``orsanet.apis.face_detection`` ...) are gone.
"""
from ..faces import (  # re-exported, see the docstring
    BOX_POINTS_HAAR,
    RAFDB_TEMPLATE_100,
    AlignedFace,
    DlibFaceDetector,
    DlibLandmarker,
    FaceAligner,
    FaceDetection,
    FaceTracker,
    HaarEyeLocator,
    HaarFaceDetector,
    MMDetFaceDetector,
    MMPoseLandmarker,
    build_face_detector,
    build_landmarker,
    dlib_available,
    landmarks68_to_5,
    similarity_transform,
)
from .cli import (
    add_cfg_options_args,
    add_check_data_arg,
    add_common_args,
    fit_dataloaders,
    load_config,
    route_compile,
)
from .config_options import UnknownConfigKeyError, merge_cfg_options
from .fer_inferencer import FERInferencer, summarise
from .image_io import array_to_bgr, load_image
from .model_index import init_fer_model, list_fer_models
from .result_table import results_to_dataframe

__all__ = [
    'add_cfg_options_args', 'add_check_data_arg', 'add_common_args', 'UnknownConfigKeyError',
    'merge_cfg_options', 'fit_dataloaders', 'load_config', 'route_compile', 'FERInferencer',
    'summarise', 'FaceAligner', 'AlignedFace', 'HaarEyeLocator', 'MMPoseLandmarker',
    'landmarks68_to_5', 'similarity_transform', 'RAFDB_TEMPLATE_100', 'BOX_POINTS_HAAR',
    'FaceDetection', 'HaarFaceDetector', 'MMDetFaceDetector', 'build_face_detector',
    'array_to_bgr', 'load_image', 'init_fer_model', 'list_fer_models', 'results_to_dataframe',
    'DlibFaceDetector', 'DlibLandmarker', 'dlib_available', 'build_landmarker', 'FaceTracker'
]
