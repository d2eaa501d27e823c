"""Command-line options for face detection and alignment, shared by the demos and tools.

    --detector auto|haar|mtcnn|dlib_cnn|dlib_hog|...  (or --det-config, --det-checkpoint: mmdet)
    --landmarker auto|dlib68|dlib5|none      (or --landmark-checkpoint: an mmpose model)

``face_pipeline_from_args`` turns them into the ``detector`` and ``aligner`` arguments of
:class:`FERInferencer`, refusing an mmdet detector without a checkpoint unless
``--det-random-weights`` asks for one.
"""
import argparse
from typing import Tuple

from .alignment import LANDMARKER_TYPES
from .detection import DETECTOR_TYPES


def add_face_args(parser: argparse.ArgumentParser) -> None:
    """The detector, landmark model and alignment options."""
    group = parser.add_argument_group('face detection and alignment')
    group.add_argument('--detector', default='auto',
                       choices=[t for t in DETECTOR_TYPES if t != 'mmdet'],
                       help='auto (default): MTCNN (5 points for alignment), Haar where it finds '
                       'nothing, with the MTCNN extra installed (make env-mtcnn); else dlib\'s '
                       "CNN + Haar with the dlib extra (pip install '.[dlib]'); else OpenCV's "
                       'Haar cascade')
    group.add_argument('--det-config', help='an mmdet face detector config (instead of '
                       '--detector)')
    group.add_argument('--det-checkpoint', help='the mmdet face detector checkpoint (required '
                       'with --det-config)')
    group.add_argument('--det-random-weights', action='store_true',
                       help='allow --det-config without a checkpoint (random weights: finds no '
                       'real face; for tests)')
    group.add_argument('--det-score-thr', type=float, default=0.5,
                       help='mmdet detector score threshold')
    group.add_argument('--landmarker', default='auto',
                       choices=[t for t in LANDMARKER_TYPES if t != 'mmpose'] + ['none'],
                       help="auto (default): dlib's 5-point model (CC0) with the dlib extra, else "
                       'Haar eyes or the box; dlib68: the 68 iBUG points -> 5-point alignment '
                       '(trained on iBUG 300-W, whose licence excludes commercial use)')
    group.add_argument('--landmark-config', default='configs/priors/mobilefacenet_68pt_300w.py',
                       help='mmpose landmark model config (used with --landmark-checkpoint)')
    group.add_argument('--landmark-checkpoint',
                       help='an mmpose 68-point landmark checkpoint (instead of --landmarker)')
    group.add_argument('--align-size', type=int, default=100, help='aligned crop size (px)')


def face_pipeline_from_args(args: argparse.Namespace,
                            parser: argparse.ArgumentParser) -> Tuple[object, dict]:
    """``(detector, aligner)`` for :class:`FERInferencer`; bad combinations are reported with
    ``parser.error`` (exit status 2)."""
    device = getattr(args, 'device', None) or 'cpu'
    detector: object = args.detector
    if args.det_config:
        if args.detector != 'auto':
            parser.error(f'--detector {args.detector} and --det-config both name a detector: '
                         'give one')
        if not args.det_checkpoint and not args.det_random_weights:
            parser.error('--det-config needs --det-checkpoint: a detector with random weights '
                         'finds no face (--det-random-weights allows it, for tests)')
        detector = dict(type='mmdet', config=args.det_config, checkpoint=args.det_checkpoint,
                        score_thr=args.det_score_thr, device=device,
                        random_weights=args.det_random_weights)
    elif args.det_checkpoint:
        parser.error('--det-checkpoint needs --det-config (the mmdet config it belongs to)')
    landmarker: object = None if args.landmarker == 'none' else args.landmarker
    if args.landmark_checkpoint:
        if args.landmarker != 'auto':
            parser.error(f'--landmarker {args.landmarker} and --landmark-checkpoint both name a '
                         'landmark model: give one')
        landmarker = dict(type='mmpose', config=args.landmark_config,
                          checkpoint=args.landmark_checkpoint, device=device)
    return detector, dict(size=args.align_size, landmarker=landmarker)
