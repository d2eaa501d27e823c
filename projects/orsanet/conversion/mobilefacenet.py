"""The official 68-point MobileFaceNet (``mobilefacenet_model_best.pth.tar``, or ORSANet's
``face_landback``) -> the mmpose pose estimator of ``configs/priors/mobilefacenet_68pt_300w.py``.

The official file holds the state dict under ``'state_dict'``: the body (``conv1`` ...
``conv_6_sep``, with residual stacks as ``conv_<n>.model.<i>.*``) and the GDC output layer
``output_layer.{conv_6_dw,linear,bn}.*``. The output is a checkpoint of the mmpose
``TopdownPoseEstimator`` of ``configs/priors/mobilefacenet_68pt_300w.py`` (``MobileFaceNet``
backbone + ``GDCHead``): ``{'state_dict': {'backbone.*', 'head.*'}, 'meta': ...}``.

The command-line tool is ``tools/model_converters/mobilefacenet_to_mmpose.py``; its output loads
with e.g. ``mmpose.apis.init_model('configs/priors/mobilefacenet_68pt_300w.py',
'mobilefacenet_68pt_mmpose.pth')``, or give the file to ``LandmarkPrior`` as its checkpoint.
"""
import re
from typing import Dict, List, Optional, Tuple

import torch

from ..models.backbones.mobilefacenet import MobileFaceNet
from ..models.heads.gdc_head import GDCHead
from .common import StateDict, rename_and_check, require_complete

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
        ConversionError: A tensor's shape differs from the model's (the message names both), no
            key belongs to the model, or a key of the model is missing.
    """
    expected = expected_state_dict(num_joints)
    converted, ignored = rename_and_check(state_dict, map_key, expected,
                                          'MobileFaceNet conversion')
    require_complete(converted, expected, 'MobileFaceNet conversion')
    return converted, ignored
