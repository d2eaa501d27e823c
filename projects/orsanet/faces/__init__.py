"""faces of ORSANet-MM: finding, aligning and following faces in photos and video frames.

The face side of inference, apart from the model (``orsanet.apis``):

- ``base``: the detection record and helpers every face module shares;
- ``detection``: detectors (Haar, mmdet, dlib's CNN / HOG, fallbacks) and ``build_face_detector``;
- ``dlib_backends``: dlib's detectors and landmark models (the optional dlib extra);
- ``alignment``: 5 points -> a similarity warp onto the training template (``FaceAligner``);
- ``following``: a face's motion between two frames by optical flow (``FlowFollower``), for
  videos that detect on every k-th frame only;
- ``tracking``: faces followed across video frames (``FaceTracker``);
- ``options``: the command-line options of the detector and aligner (demos, tools);
- ``sample_photos``: real face photos that ship in scikit-image, and small synthetic clips
  (tests, benchmarks, export checks).

Imports go one way: ``base`` <- ``dlib_backends`` <- ``detection``, ``alignment`` <-
``following`` <- ``tracking`` <- ``options``; ``orsanet.apis`` imports this package, never the
other way round (``tests/test_import_graph.py``). ``orsanet.apis`` re-exports the public names
its users imported before this package existed (``from orsanet.apis import FaceTracker`` keeps
working).
"""
from .alignment import (
    BOX_POINTS_HAAR,
    LANDMARKER_TYPES,
    RAFDB_TEMPLATE_100,
    AlignedFace,
    FaceAligner,
    HaarEyeLocator,
    MMPoseLandmarker,
    build_landmarker,
    similarity_transform,
)
from .base import FaceDetection, landmarks68_to_5
from .detection import (
    DETECTOR_TYPES,
    DetectorSpec,
    FallbackFaceDetector,
    HaarFaceDetector,
    MMDetFaceDetector,
    build_face_detector,
)
from .dlib_backends import DlibFaceDetector, DlibLandmarker, dlib_available
from .following import FlowFollower, FlowMotion
from .options import add_face_args, face_pipeline_from_args
from .tracking import DEFAULT_MAX_LOST, FaceTracker, TrackedFace

__all__ = [
    'AlignedFace', 'BOX_POINTS_HAAR', 'DEFAULT_MAX_LOST', 'DETECTOR_TYPES', 'DetectorSpec',
    'DlibFaceDetector', 'DlibLandmarker', 'FaceAligner', 'FaceDetection', 'FaceTracker',
    'FallbackFaceDetector', 'FlowFollower', 'FlowMotion', 'HaarEyeLocator', 'HaarFaceDetector',
    'LANDMARKER_TYPES',
    'MMDetFaceDetector', 'MMPoseLandmarker', 'RAFDB_TEMPLATE_100', 'TrackedFace',
    'add_face_args', 'build_face_detector', 'build_landmarker', 'dlib_available',
    'face_pipeline_from_args', 'landmarks68_to_5', 'similarity_transform'
]
