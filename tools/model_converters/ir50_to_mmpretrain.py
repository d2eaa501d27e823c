"""Convert the official IR-50 face backbone (``ir50.pth``) into an ``IResNet`` checkpoint.

The official file (the POSTER / ORSANet release) is a plain state dict with keys ``input_layer.*``
(stem), ``body.<i>.res_layer.<j>.*`` / ``body.<i>.shortcut_layer.<j>.*`` (the units, numbered
across stages) and ``output_layer.*`` (the face-recognition embedding layer, unused by ORSANet and
ignored here). The release holds stages 1-3 only (21 units); a 4-stage IR-50 file converts as well.

Usage::

    python tools/model_converters/ir50_to_mmpretrain.py ir50.pth ir50_mmpretrain.pth

The output is ``{'state_dict': {'backbone.<IResNet key>': ...}, 'meta': ...}``. Load it into the
backbone with::

    backbone=dict(type='IResNet', arch='ir50', num_stages=3, input_size=112,
                  init_cfg=dict(type='Pretrained', checkpoint='ir50_mmpretrain.pth',
                                prefix='backbone.'))

(``load_from`` of a whole classifier works too: the keys already sit under ``backbone.``). Keys of
stages beyond ``num_stages`` are kept unless ``--num-stages`` drops them; MMEngine's ``Pretrained``
init loads non-strictly and only logs them as unexpected. Use ``--prefix ''`` for bare keys.
"""
import argparse
import re
from itertools import accumulate
from typing import Dict, List, Optional, Tuple

import torch

import orsanet  # noqa: F401  (compat patches; registers IResNet)
from orsanet.models.backbones.iresnet import IResNet
from orsanet.utils.checkpoint_conversion import (
    StateDict,
    converter_parser,
    load_source_state_dict,
    missing_keys,
    rename_and_check,
    report,
    save_checkpoint,
)

STEM_NAMES = {'0': 'conv', '1': 'bn', '2': 'prelu'}
RESIDUAL_NAMES = {'0': 'bn1', '1': 'conv1', '2': 'prelu', '3': 'conv2', '4': 'bn2'}
UNIT_KEY = re.compile(r'^body\.(\d+)\.(res_layer|shortcut_layer)\.(\d+)\.(.+)$')
STEM_KEY = re.compile(r'^input_layer\.(\d+)\.(.+)$')


def _unit_position(index: int, arch: str) -> Optional[Tuple[int, int]]:
    """Global unit index -> (stage 1-based, unit 0-based), None past the last unit."""
    ends = list(accumulate(IResNet.arch_settings[arch]))
    for stage, end in enumerate(ends):
        if index < end:
            return stage + 1, index - (ends[stage - 1] if stage else 0)
    return None


def map_key(key: str, arch: str = 'ir50') -> Optional[str]:
    """Official IR key -> ``IResNet`` key; None for keys IResNet does not have (output layer)."""
    match = STEM_KEY.match(key)
    if match and match.group(1) in STEM_NAMES:
        return f'stem.{STEM_NAMES[match.group(1)]}.{match.group(2)}'
    match = UNIT_KEY.match(key)
    if not match:
        return None
    position = _unit_position(int(match.group(1)), arch)
    if position is None:
        return None
    stage, unit = position
    part, index, rest = match.group(2, 3, 4)
    if part == 'shortcut_layer':
        return f'layer{stage}.{unit}.downsample.{index}.{rest}'
    if index not in RESIDUAL_NAMES:
        return None
    return f'layer{stage}.{unit}.{RESIDUAL_NAMES[index]}.{rest}'


def expected_state_dict(arch: str = 'ir50', num_stages: int = 4) -> Dict[str, torch.Tensor]:
    """The target's state dict on the meta device (shapes only, nothing allocated)."""
    with torch.device('meta'):
        return IResNet(arch=arch, num_stages=num_stages).state_dict()


def convert(state_dict: StateDict,
            arch: str = 'ir50',
            num_stages: int = 4) -> Tuple[StateDict, List[str]]:
    """Convert an official IR state dict into ``IResNet`` keys (no prefix).

    Args:
        state_dict: The official state dict (``ir50.pth``).
        arch (str): IResNet arch of the checkpoint. Defaults to ``'ir50'``.
        num_stages (int): Keep the stem and stages ``1..num_stages``; later stages are ignored.

    Returns:
        tuple: ``(new_state_dict, ignored_keys)``; ignored keys are official keys left out (the
        output layer, stages beyond ``num_stages``, anything unknown).

    Raises:
        ValueError: A tensor's shape differs from IResNet's (the message names both), or no key
            belongs to an IResNet.
    """
    expected = expected_state_dict(arch, num_stages)
    return rename_and_check(state_dict, lambda key: map_key(key, arch), expected,
                            f'IResNet-{arch} conversion')


def parse_args() -> argparse.Namespace:
    parser = converter_parser(__doc__.split('\n')[0], 'ir50.pth')
    parser.add_argument('--arch', default='ir50', choices=sorted(IResNet.arch_settings))
    parser.add_argument('--num-stages', type=int, default=4, choices=[1, 2, 3, 4],
                        help='stages to keep (ORSANet runs 3; default keeps all 4)')
    parser.add_argument('--prefix', default='backbone.',
                        help="key prefix in the output (default 'backbone.')")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    source = load_source_state_dict(args.src, trusted=args.trusted)
    converted, ignored = convert(source, args.arch, args.num_stages)
    missing = missing_keys(converted, expected_state_dict(args.arch, args.num_stages))
    save_checkpoint(converted, args.dst, args.prefix,
                    meta=dict(converted_from=args.src, arch=args.arch,
                              num_stages=args.num_stages))
    print(report(converted, ignored, missing, f'IResNet-{args.arch}'))
    print(f'saved {args.dst} (key prefix {args.prefix!r})')


if __name__ == '__main__':
    main()
