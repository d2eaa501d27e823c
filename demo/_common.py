"""Options the two demos share: the model, the detector, the landmark model and alignment."""
import argparse

from orsanet.apis.cli import add_cfg_options_args
from orsanet.faces.options import add_face_args, face_pipeline_from_args


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
    add_runtime_args(parser)


def add_runtime_args(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--precision``, ``--threads``, ``--calibration``, ``--min-agreement``
    (see :func:`orsanet.runtime.load_runtime`)."""
    group = parser.add_argument_group('runtime (docs/speed.md)')
    group.add_argument('--backend', default='pytorch',
                       choices=['pytorch', 'onnxruntime', 'openvino', 'auto'],
                       help='what runs the classifier: pytorch (default), auto (the fastest '
                       'installed backend for this CPU kind, docs/speed.md), or the whole model '
                       "compiled for the CPU from its ONNX export (pip install '.[openvino]' "
                       'for openvino), cached beside the checkpoint and checked at load')
    group.add_argument('--precision', default='fp32', choices=['fp32', 'bf16', 'int8'],
                       help='bf16: only on CPUs with native bf16 (else fp32, with a message); '
                       'int8: needs --calibration')
    group.add_argument('--threads', type=int, help='intra-op threads (default: physical cores)')
    group.add_argument('--calibration', help='int8: a folder of aligned face crops or a '
                       'dataset config CONFIG.py[:SPLIT] (every other face is held out to '
                       'measure the agreement with float32)')
    group.add_argument('--min-agreement', type=float, default=0.98,
                       help='int8: refuse a model below this top-1 agreement with float32')


def runtime_options_from_args(args: argparse.Namespace) -> dict:
    """The ``runtime_options`` of :class:`FERInferencer` from :func:`add_runtime_args`."""
    options = dict(precision=args.precision, threads=args.threads)
    if args.precision == 'int8':
        options.update(calibration=args.calibration, min_agreement=args.min_agreement)
    return {k: v for k, v in options.items() if v is not None and (k, v) != ('precision',
                                                                               'fp32')}


def build_inferencer(args: argparse.Namespace, parser: argparse.ArgumentParser):
    from orsanet.apis import FERInferencer

    detector, aligner = face_pipeline_from_args(args, parser)
    return FERInferencer(args.model, checkpoint=args.checkpoint, device=args.device,
                         detector=detector, aligner=aligner,
                         min_face_size=args.min_face_size, cfg_options=args.cfg_options,
                         cfg_new_keys=args.cfg_new_keys,
                         random_weights=args.random_weights, backend=args.backend,
                         runtime_options=runtime_options_from_args(args))
