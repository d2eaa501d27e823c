"""Options the two demos share: the model, the detector, the landmark model and alignment."""
import argparse

from mmengine.config import DictAction


def add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('model', help='a model-index name (configs/model_index.yml) or a config')
    parser.add_argument('--checkpoint', help='ORSANet checkpoint (default: the index entry)')
    parser.add_argument('--device', default=None, help="e.g. 'cpu', 'cuda:0'")
    parser.add_argument('--det-config', help='mmdet face detector config (default: Haar)')
    parser.add_argument('--det-checkpoint', help='mmdet face detector checkpoint')
    parser.add_argument('--det-score-thr', type=float, default=0.5)
    parser.add_argument('--landmark-config', default='configs/priors/mobilefacenet_68pt_300w.py',
                        help='mmpose landmark model config (used with --landmark-checkpoint)')
    parser.add_argument('--landmark-checkpoint',
                        help='mmpose 68-point landmark checkpoint for 5-point alignment '
                        '(default: Haar eyes, else the face box)')
    parser.add_argument('--align-size', type=int, default=100, help='aligned crop size (px)')
    parser.add_argument('--min-face-size', type=int, default=32,
                        help='smaller faces are reported, not classified')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='config overrides')
    parser.add_argument('--random-weights', action='store_true',
                        help='run without a checkpoint (smoke test: every output says so)')


def build_inferencer(args: argparse.Namespace):
    from orsanet.apis import FERInferencer, MMPoseLandmarker

    detector = 'haar'
    if args.det_config:
        detector = dict(type='mmdet', config=args.det_config, checkpoint=args.det_checkpoint,
                        score_thr=args.det_score_thr, device=args.device or 'cpu')
    landmarker = None
    if args.landmark_checkpoint:
        landmarker = MMPoseLandmarker(args.landmark_config, args.landmark_checkpoint,
                                      device=args.device or 'cpu')
    return FERInferencer(args.model, checkpoint=args.checkpoint, device=args.device,
                         detector=detector,
                         aligner=dict(size=args.align_size, landmarker=landmarker),
                         min_face_size=args.min_face_size, cfg_options=args.cfg_options,
                         random_weights=args.random_weights)
