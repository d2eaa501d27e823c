"""MobileFaceNet: the 68-point landmark network whose features are ORSANet's landmark prior."""
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpose.models.backbones.base_backbone import BaseBackbone
from mmpose.registry import MODELS

from .stage_control import StageControlMixin, check_out_indices, default_init_cfg


def conv_bn(in_channels: int,
            out_channels: int,
            kernel_size: int = 1,
            stride: int = 1,
            groups: int = 1,
            act: bool = True,
            padding: Optional[int] = None) -> nn.Sequential:
    """Conv (no bias) + BN, + PReLU if ``act`` (the paper's "conv" vs. "linear" block).

    ``padding`` defaults to ``kernel_size // 2`` (size kept at stride 1).
    """
    padding = kernel_size // 2 if padding is None else padding
    layers = OrderedDict(
        conv=nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups,
                       bias=False),
        bn=nn.BatchNorm2d(out_channels))
    if act:
        layers['prelu'] = nn.PReLU(out_channels)
    return nn.Sequential(layers)


class DepthWiseUnit(BaseModule):
    """Inverted-residual unit of MobileFaceNet: 1x1 expand, 3x3 depth-wise, 1x1 linear project.

    Args:
        in_channels (int): Input channels ``C_in``.
        out_channels (int): Output channels ``C_out``.
        mid_channels (int): Channels of the expanded (depth-wise) part.
        stride (int): Stride of the depth-wise conv. Defaults to 1.
        residual (bool): Add the input to the output (needs ``C_in == C_out``, stride 1).

    Shapes:
        x: ``(B, C_in, H, W)`` -> ``(B, C_out, ceil(H / stride), ceil(W / stride))``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: int,
                 stride: int = 1,
                 residual: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if residual and (in_channels != out_channels or stride != 1):
            raise ValueError('a residual DepthWiseUnit needs in_channels == out_channels and '
                             f'stride 1, got {in_channels}->{out_channels}, stride {stride}')
        self.residual = residual
        self.conv = conv_bn(in_channels, mid_channels)
        self.conv_dw = conv_bn(mid_channels, mid_channels, 3, stride, groups=mid_channels)
        self.project = conv_bn(mid_channels, out_channels, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(self.conv_dw(self.conv(x)))
        return x + out if self.residual else out


def residual_units(channels: int, mid_channels: int, num_units: int) -> nn.Sequential:
    """``num_units`` residual :class:`DepthWiseUnit` s at stride 1."""
    return nn.Sequential(*[
        DepthWiseUnit(channels, channels, mid_channels, residual=True) for _ in range(num_units)
    ])


@MODELS.register_module()
class MobileFaceNet(StageControlMixin, BaseBackbone):
    """MobileFaceNet backbone (without its GDC output layer, see ``GDCHead``).

    Chen et al., "MobileFaceNets: Efficient CNNs for Accurate Real-Time Face Verification on Mobile
    Devices", CCBR 2018; here the 68-point landmark variant (pytorch_face_landmark) that ORSANet
    (arXiv 2507.15401) uses as its frozen landmark prior. The submodule names follow the official
    code, so ``conv_6_sep`` (conv block 128->512 1x1, the layer the official ORSANet hooks) can be
    tapped as ``backbone.conv_6_sep``.

    Stages, in order (``out_indices`` picks among them):
    ``0``: conv1 + conv2_dw (64 x S/2), ``1``: conv_23 + conv_3 (64 x S/4),
    ``2``: conv_34 + conv_4 (128 x S/8), ``3``: conv_45 + conv_5 (128 x S/16),
    ``4``: conv_6_sep (512 x S/16).

    Args:
        out_indices (Sequence[int]): Stages whose outputs are returned. Defaults to ``(4, )``.
        frozen_stages (int): Freeze stages ``0..frozen_stages``; -1 freezes nothing.
        norm_eval (bool): Keep BatchNorm layers in eval mode during training. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to Kaiming convs
            and unit BatchNorm.

    Shapes:
        x: ``(B, 3, S, S)`` (S = 112 for the official model) -> tuple of the chosen stages'
        outputs; the default ``(4, )`` gives ``((B, 512, S/16, S/16), )``, i.e. ``(B, 512, 7, 7)``.
    """

    stage_modules: Tuple[Tuple[str, ...], ...] = (
        ('conv1', 'conv2_dw'),
        ('conv_23', 'conv_3'),
        ('conv_34', 'conv_4'),
        ('conv_45', 'conv_5'),
        ('conv_6_sep', ),
    )

    def __init__(self,
                 out_indices: Sequence[int] = (4, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=default_init_cfg() if init_cfg is None else init_cfg)
        self.out_indices = check_out_indices(out_indices, len(self.stage_modules),
                                             'MobileFaceNet')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self.conv1 = conv_bn(3, 64, 3, stride=2)
        self.conv2_dw = conv_bn(64, 64, 3, groups=64)
        self.conv_23 = DepthWiseUnit(64, 64, 128, stride=2)
        self.conv_3 = residual_units(64, 128, num_units=4)
        self.conv_34 = DepthWiseUnit(64, 128, 256, stride=2)
        self.conv_4 = residual_units(128, 256, num_units=6)
        self.conv_45 = DepthWiseUnit(128, 128, 512, stride=2)
        self.conv_5 = residual_units(128, 256, num_units=2)
        self.conv_6_sep = conv_bn(128, 512)
        self._freeze_stages()

    def _stage(self, index: int) -> nn.Sequential:
        return nn.Sequential(*[getattr(self, name) for name in self.stage_modules[index]])

    def _frozen_modules(self) -> List[nn.Module]:
        return [self._stage(index) for index in range(self.frozen_stages + 1)]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = []
        for index in range(max(self.out_indices) + 1):
            x = self._stage(index)(x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
