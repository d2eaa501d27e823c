"""Options the two demos share: the model, the detector, the landmark model and alignment."""
import argparse

from orsanet.apis.cli import add_cfg_options_args
from orsanet.apis.face_options import add_face_args, face_pipeline_from_args


def add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('model', help='a model-index name (configs/model_index.yml) or a config')
    parser.add_argument('--checkpoint', help='ORSANet checkpoint (default: the index entry)')
    parser.add_argument('--device', default=None, help="e.g. 'cpu', 'cuda:0'")
    add_face_args(parser)
    parser.add_argument('--min-face-size', type=int, default=32,
                        help='smaller faces are reported, not classified')
    parser.add_argument('--batch-size', type=int, default=16)
    add_cfg_options_args(parser)
    parser.add_argument('--random-weights', action='store_true',
                        help='run without a checkpoint (smoke test: every output says so)')


def build_inferencer(args: argparse.Namespace, parser: argparse.ArgumentParser):
    from orsanet.apis import FERInferencer

    detector, aligner = face_pipeline_from_args(args, parser)
    return FERInferencer(args.model, checkpoint=args.checkpoint, device=args.device,
                         detector=detector, aligner=aligner,
                         min_face_size=args.min_face_size, cfg_options=args.cfg_options,
                         cfg_new_keys=args.cfg_new_keys,
                         random_weights=args.random_weights)
