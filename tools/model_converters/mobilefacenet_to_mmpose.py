"""Convert the official 68-point MobileFaceNet (``mobilefacenet_model_best.pth.tar``) to mmpose.

The official file holds the state dict under ``'state_dict'``: the body (``conv1`` ...
``conv_6_sep``, with residual stacks as ``conv_<n>.model.<i>.*``) and the GDC output layer
``output_layer.{conv_6_dw,linear,bn}.*``. The output is a checkpoint of the mmpose
``TopdownPoseEstimator`` of ``configs/priors/mobilefacenet_68pt_300w.py`` (``MobileFaceNet``
backbone + ``GDCHead``): ``{'state_dict': {'backbone.*', 'head.*'}, 'meta': ...}``.

Usage::

    python tools/model_converters/mobilefacenet_to_mmpose.py \
        mobilefacenet_model_best.pth.tar mobilefacenet_68pt_mmpose.pth

then e.g. ``mmpose.apis.init_model('configs/priors/mobilefacenet_68pt_300w.py',
'mobilefacenet_68pt_mmpose.pth')``, or give the file to ``LandmarkPrior`` as its checkpoint.
"""
import argparse
import re
from typing import Dict, List, Optional, Tuple

import torch

import orsanet  # noqa: F401  (compat patches; registers MobileFaceNet and GDCHead)
from orsanet.models.backbones.mobilefacenet import MobileFaceNet
from orsanet.models.heads.gdc_head import GDCHead
from orsanet.utils.checkpoint_conversion import (
    StateDict,
    converter_parser,
    load_source_state_dict,
    missing_keys,
    rename_and_check,
    report,
    save_checkpoint,
)

HEAD_KEYS = (
    (re.compile(r'^output_layer\.conv_6_dw\.'), 'head.gdc.'),
    (re.compile(r'^output_layer\.linear\.'), 'head.fc.'),
    (re.compile(r'^output_layer\.bn\.'), 'head.bn.'),
)
RESIDUAL_STACK = re.compile(r'^(conv_[345])\.model\.(\d+)\.')


def map_key(key: str) -> Optional[str]:
    """Official MobileFaceNet key -> pose-estimator key; None for keys it does not have."""
    for pattern, target in HEAD_KEYS:
        if pattern.match(key):
            return pattern.sub(target, key)
    if key.startswith('output_layer.'):
        return None
    return 'backbone.' + RESIDUAL_STACK.sub(r'\1.\2.', key)


def expected_state_dict(num_joints: int = 68) -> Dict[str, torch.Tensor]:
    """The pose estimator's backbone and head tensors on the meta device (shapes only)."""
    with torch.device('meta'):
        backbone = MobileFaceNet().state_dict()
        head = GDCHead(in_channels=512, num_joints=num_joints).state_dict()
    expected = {f'backbone.{k}': v for k, v in backbone.items()}
    expected.update({f'head.{k}': v for k, v in head.items()})
    return expected


def convert(state_dict: StateDict, num_joints: int = 68) -> Tuple[StateDict, List[str]]:
    """Convert an official MobileFaceNet state dict into ``backbone.*``/``head.*`` keys.

    Args:
        state_dict: The official state dict (the ``'state_dict'`` entry of the .pth.tar).
        num_joints (int): Landmarks of the checkpoint's head. Defaults to 68.

    Returns:
        tuple: ``(new_state_dict, ignored_keys)``.

    Raises:
        ValueError: A tensor's shape differs from the model's (the message names both), or no
            key belongs to the model.
    """
    return rename_and_check(state_dict, map_key, expected_state_dict(num_joints),
                            'MobileFaceNet conversion')


def parse_args() -> argparse.Namespace:
    parser = converter_parser(__doc__.split('\n')[0], 'mobilefacenet_model_best.pth.tar')
    parser.add_argument('--num-joints', type=int, default=68)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    source = load_source_state_dict(args.src, state_key='state_dict', trusted=args.trusted)
    converted, ignored = convert(source, args.num_joints)
    missing = missing_keys(converted, expected_state_dict(args.num_joints))
    print(report(converted, ignored, missing, 'the MobileFaceNet pose estimator'))
    if missing:
        raise SystemExit(f'{args.src} does not cover the whole landmark model (missing keys '
                         'above); nothing saved')
    save_checkpoint(converted, args.dst, meta=dict(converted_from=args.src,
                                                   num_joints=args.num_joints))
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()
