"""Convert SegFace's Swin-B (``model_299.pt``) or torchvision's ``swin_b`` to an mmseg segmentor.

    python tools/model_converters/segface_to_mmseg.py model_299.pt \
        checkpoints/segface_swinb_lapa_mmseg.pth

The output is a checkpoint of the mmseg ``EncoderDecoder`` of
``configs/priors/segface_swinb_lapa.py`` (``--config``), the semantic prior of the ORSANet
recipes; it holds the Swin backbone (the decode head is not in the source, see
:data:`orsanet.conversion.segface.NOT_IN_SOURCE`). The
mapping is :mod:`orsanet.conversion.segface`. Exits with status 1, naming the keys, when the source
does not fill every backbone key.
"""
import orsanet  # noqa: F401  (compat patches; registers FaceSwinTransformer)
from orsanet.apis.cli import cli_main
from orsanet.conversion import segface
from orsanet.conversion.common import converter_parser, load_source_state_dict, run_converter


def main() -> None:
    parser = converter_parser(__doc__.split('\n')[0],
                              "SegFace model_299.pt or a torchvision swin_b state dict")
    parser.add_argument('--config', default=segface.DEFAULT_CONFIG,
                        help='mmseg config of the target segmentor (default: '
                        'configs/priors/segface_swinb_lapa.py)')
    args = parser.parse_args()
    run_converter(
        lambda: segface.convert(
            load_source_state_dict(args.src, state_key='state_dict_backbone',
                                   trusted=args.trusted),
            segface.expected_state_dict(args.config)),
        args.dst, '', meta=dict(converted_from=args.src, config=args.config),
        target='the mmseg segmentor', optional=segface.NOT_IN_SOURCE)


if __name__ == '__main__':
    cli_main(main)
