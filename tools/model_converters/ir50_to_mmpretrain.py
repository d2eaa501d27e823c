"""Convert the official IR-50 face backbone (``ir50.pth``) into an ``IResNet`` checkpoint.

    python tools/model_converters/ir50_to_mmpretrain.py ir50.pth checkpoints/ir50_mmpretrain.pth

The output, ``{'state_dict': {'backbone.<IResNet key>': ...}, 'meta': ...}``, is what the ORSANet
recipes load into their backbone (``init_cfg=dict(type='Pretrained', checkpoint=...,
prefix='backbone.')``). The mapping is :mod:`orsanet.conversion.ir50`. Exits with status 1,
naming the keys, when the source does not fill every key of the target (``--num-stages`` stages).
"""
import orsanet  # noqa: F401  (compat patches; registers IResNet)
from orsanet.apis.cli import cli_main
from orsanet.conversion import ir50
from orsanet.conversion.common import converter_parser, load_source_state_dict, run_converter
from orsanet.models.backbones.iresnet import IResNet


def main() -> None:
    parser = converter_parser(__doc__.split('\n')[0], 'ir50.pth')
    parser.add_argument('--arch', default='ir50', choices=sorted(IResNet.arch_settings))
    parser.add_argument('--num-stages', type=int, default=3, choices=[1, 2, 3, 4],
                        help='stages to convert (default 3: the released file and ORSANet)')
    parser.add_argument('--prefix', default='backbone.',
                        help="key prefix in the output (default 'backbone.')")
    args = parser.parse_args()
    run_converter(
        lambda: ir50.convert(load_source_state_dict(args.src, trusted=args.trusted), args.arch,
                             args.num_stages),
        args.dst, args.prefix,
        meta=dict(converted_from=args.src, arch=args.arch, num_stages=args.num_stages),
        target=f'IResNet-{args.arch} ({args.num_stages} stages)')


if __name__ == '__main__':
    cli_main(main)
