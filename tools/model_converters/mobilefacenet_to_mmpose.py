"""Convert the official 68-point MobileFaceNet (``mobilefacenet_model_best.pth.tar``) to mmpose.

    python tools/model_converters/mobilefacenet_to_mmpose.py \
        mobilefacenet_model_best.pth.tar checkpoints/mobilefacenet_68pt_mmpose.pth

The output is a checkpoint of the mmpose ``TopdownPoseEstimator`` of
``configs/priors/mobilefacenet_68pt_300w.py``, the landmark prior of the ORSANet recipes. The
mapping is :mod:`orsanet.conversion.mobilefacenet`. Exits with status 1, naming the keys, when the
source does not fill every key of the model.
"""
import orsanet  # noqa: F401  (compat patches; registers MobileFaceNet and GDCHead)
from orsanet.apis.cli import cli_main
from orsanet.conversion import mobilefacenet
from orsanet.conversion.common import converter_parser, load_source_state_dict, run_converter


def main() -> None:
    parser = converter_parser(__doc__.split('\n')[0], 'mobilefacenet_model_best.pth.tar')
    parser.add_argument('--num-joints', type=int, default=68)
    args = parser.parse_args()
    run_converter(
        lambda: mobilefacenet.convert(
            load_source_state_dict(args.src, state_key='state_dict', trusted=args.trusted),
            args.num_joints),
        args.dst, '', meta=dict(converted_from=args.src, num_joints=args.num_joints),
        target='the MobileFaceNet pose estimator')


if __name__ == '__main__':
    cli_main(main)
