"""Convert a whole trained official ORSANet checkpoint into one that tools/test.py loads strictly.

    python tools/model_converters/orsanet_to_mmpretrain.py epoch127_acc0.9224.pth \
        checkpoints/orsanet_r50_rafdb_official.pth --config configs/orsanet_r50_rafdb.py
    python tools/test.py configs/orsanet_r50_rafdb.py checkpoints/orsanet_r50_rafdb_official.pth

The source is what the official ``train.py`` saves (``{'iter', 'model_state_dict',
'optimizer_state_dict'}``, ``module.`` keys) or a bare state dict. Every part is converted,
both frozen priors included (the official loop lets the landmark prior's BatchNorm statistics
drift, so the released prior files would not give this checkpoint's logits): the output holds
the whole model and needs no other weight file. The head's outputs are matched to the config's
dataset classes by name (``--official-classes`` / ``--classes`` override them). The mapping is
:mod:`orsanet.conversion.orsanet_official`. Any official key that maps nowhere (and is not known
to be unused), any key of the model left empty and any wrong shape exits with status 1, naming
the key; nothing is saved then.
"""
import copy

from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import orsanet  # noqa: F401  (compat patches; registers the modules)
from orsanet.apis.cli import cli_main
from orsanet.apis.model_index import dataset_classes
from orsanet.checkpoints import CheckpointError, without_prior_weights
from orsanet.conversion.common import converter_parser, load_source_state_dict, run_converter
from orsanet.conversion.orsanet_official import convert_whole, infer_official_classes

DEFAULT_CONFIG = 'configs/orsanet_r50_rafdb.py'


def build_target(cfg: Config):
    """The model of ``cfg`` with its priors built without their weight files (the official
    checkpoint fills them)."""
    model_cfg = dict(without_prior_weights(copy.deepcopy(cfg.model)), compile=False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg).eval()


def main() -> None:
    parser = converter_parser(__doc__.split('\n')[0], 'official train.py output')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help=f'the config the checkpoint is for (default {DEFAULT_CONFIG})')
    parser.add_argument('--classes', type=lambda s: s.split(','),
                        help="the model's classes in output order, comma-separated (default: "
                        "the first num_classes classes of the config's dataset)")
    parser.add_argument('--official-classes', type=lambda s: s.split(','),
                        help="the official head's classes in output order (default: the "
                        "dataset's official order)")
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    num_classes = int(cfg.model.head.num_classes)

    def convert():
        names = dataset_classes(cfg)  # the dataset's classes in the official order
        if not names and not (args.classes and args.official_classes):
            raise CheckpointError(f'the config {args.config} tests on a dataset whose class names '
                                  'are not known here; pass --classes and --official-classes')
        classes = args.classes or list(names[:num_classes])
        if len(classes) != num_classes:
            raise CheckpointError(f'{len(classes)} classes {classes} given, but the config\'s head '
                                  f'has {num_classes} outputs (model.head.num_classes)')
        source = load_source_state_dict(args.src, state_key='model_state_dict',
                                        trusted=args.trusted)
        outputs = source['head.linear.weight'].shape[0] if 'head.linear.weight' in source else 0
        official = args.official_classes or infer_official_classes(outputs, names)
        meta['dataset_meta'] = dict(classes=tuple(classes))
        return convert_whole(source, build_target(cfg), official, classes)

    meta = dict(converted_from=args.src, config=args.config,
                carries_priors=['semantic_prior', 'landmark_prior'])
    run_converter(convert, args.dst, '', meta, target=f'ORSANet-MM ({args.config})')
    print(f'test it with: python tools/test.py {args.config} {args.dst}')


if __name__ == '__main__':
    cli_main(main)
