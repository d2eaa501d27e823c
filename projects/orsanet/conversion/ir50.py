"""The official IR-50 face backbone (``ir50.pth``, or ORSANet's ``ir_back``) -> ``IResNet``.

The official file (the POSTER / ORSANet release) is a plain state dict with keys ``input_layer.*``
(stem), ``body.<i>.res_layer.<j>.*`` / ``body.<i>.shortcut_layer.<j>.*`` (the units, numbered
across stages) and ``output_layer.*`` (the face-recognition embedding layer, unused by ORSANet and
reported as ignored). The release holds stages 1-3 only (21 units), which is what ORSANet runs; a
4-stage file converts as well (``num_stages=4``). Every key of the target ``IResNet`` must be
filled: a source without one of its units is refused, naming the unit.

The command-line tool is ``tools/model_converters/ir50_to_mmpretrain.py``; its output loads into
the backbone with ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')`` (the
ORSANet recipes do this).
"""
import re
from itertools import accumulate
from typing import Dict, List, Optional, Tuple

import torch

from ..models.backbones.iresnet import IResNet
from .common import StateDict, rename_and_check, require_complete

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


def expected_state_dict(arch: str = 'ir50', num_stages: int = 3) -> Dict[str, torch.Tensor]:
    """The target's state dict on the meta device (shapes only, nothing allocated)."""
    with torch.device('meta'):
        return IResNet(arch=arch, num_stages=num_stages).state_dict()


def convert(state_dict: StateDict,
            arch: str = 'ir50',
            num_stages: int = 3) -> Tuple[StateDict, List[str]]:
    """Convert an official IR state dict into ``IResNet`` keys (no prefix).

    Args:
        state_dict: The official state dict (``ir50.pth``).
        arch (str): IResNet arch of the checkpoint. Defaults to ``'ir50'``.
        num_stages (int): Keep the stem and stages ``1..num_stages`` (ORSANet: 3); later
            stages are ignored.

    Returns:
        tuple: ``(new_state_dict, ignored_keys)``; ignored keys are official keys left out (the
        output layer, stages beyond ``num_stages``, anything unknown).

    Raises:
        ConversionError: A tensor's shape differs from IResNet's (the message names both), no
            key belongs to an IResNet, or a key of the first ``num_stages`` stages is missing.
    """
    expected = expected_state_dict(arch, num_stages)
    name = f'IResNet-{arch} ({num_stages} stages) conversion'
    converted, ignored = rename_and_check(state_dict, lambda key: map_key(key, arch), expected,
                                          name)
    require_complete(converted, expected, name)
    return converted, ignored
