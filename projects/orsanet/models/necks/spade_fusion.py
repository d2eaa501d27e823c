"""SPADE fusion of the image feature map with the semantic prior (ORSANet, arXiv 2507.15401).

The block is the SPADE residual block of Park et al., "Semantic Image Synthesis with
Spatially-Adaptive Normalization" (CVPR 2019), with the settings ORSANet's code uses: instance
normalisation without affine parameters, a 128-channel modulation trunk and spectrally normalised
3x3 convolutions.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor


class SPADE(BaseModule):
    """Spatially-adaptive normalisation: ``IN(x) * (1 + gamma(s)) + beta(s)``.

    Args:
        num_features (int): Channels C of the normalised map ``x``.
        semantic_channels (int): Channels S of the semantic map ``s``.
        hidden_channels (int): Channels of the shared modulation trunk. Defaults to 128.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Shapes:
        x: (B, C, H, W); semantic: (B, S, h, w), resized to (H, W) by nearest interpolation.
        Output: (B, C, H, W).
    """

    def __init__(self,
                 num_features: int,
                 semantic_channels: int,
                 hidden_channels: int = 128,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.norm = nn.InstanceNorm2d(num_features, affine=False, eps=1e-5)
        self.trunk = nn.Sequential(
            nn.Conv2d(semantic_channels, hidden_channels, 3, padding=1), nn.ReLU())
        self.to_gamma = nn.Conv2d(hidden_channels, num_features, 3, padding=1)
        self.to_beta = nn.Conv2d(hidden_channels, num_features, 3, padding=1)

    def forward(self, x: Tensor, semantic: Tensor) -> Tensor:
        semantic = F.interpolate(semantic, size=x.shape[-2:], mode='nearest')
        hidden = self.trunk(semantic)
        return self.norm(x) * (1 + self.to_gamma(hidden)) + self.to_beta(hidden)


def _conv3x3(channels: int, use_spectral_norm: bool) -> nn.Module:
    conv = nn.Conv2d(channels, channels, 3, padding=1, bias=True)
    return nn.utils.spectral_norm(conv) if use_spectral_norm else conv


@MODELS.register_module()
class SPADEFusion(BaseModule):
    """SPADE residual block fusing the image feature map with a semantic prior map.

    ``dx = conv_0(lrelu(SPADE_0(x, s)))``; ``dx = conv_1(lrelu(SPADE_1(dx, s)))``; ``out = x + dx``,
    with leaky-ReLU slope 0.2. With ``use_spectral_norm`` the convolutions are wrapped by
    :func:`torch.nn.utils.spectral_norm` (one power iteration per training forward; eval mode uses
    the stored ``weight_u``/``weight_v``), as in the official ORSANet code.

    Args:
        in_channels (int): Channels C of the image map (input and output). Defaults to 512.
        semantic_channels (int): Channels S of the semantic map. Defaults to 512.
        hidden_channels (int): Channels of each SPADE's modulation trunk. Defaults to 128.
        use_spectral_norm (bool): Spectrally normalise ``conv_0``/``conv_1``. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Shapes:
        x: (B, C, H, W); semantic: (B, S, h, w) (any h, w: resized to H, W). Output: (B, C, H, W).
    """

    def __init__(self,
                 in_channels: int = 512,
                 semantic_channels: int = 512,
                 hidden_channels: int = 128,
                 use_spectral_norm: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.semantic_channels = semantic_channels
        self.use_spectral_norm = use_spectral_norm
        self.spade_0 = SPADE(in_channels, semantic_channels, hidden_channels)
        self.conv_0 = _conv3x3(in_channels, use_spectral_norm)
        self.spade_1 = SPADE(in_channels, semantic_channels, hidden_channels)
        self.conv_1 = _conv3x3(in_channels, use_spectral_norm)

    def _check_inputs(self, x: Tensor, semantic: Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'SPADEFusion expects x of shape (B, {self.in_channels}, H, W) '
                             f'(in_channels), got {tuple(x.shape)}')
        if semantic.dim() != 4 or semantic.shape[1] != self.semantic_channels:
            raise ValueError(f'SPADEFusion expects semantic of shape (B, {self.semantic_channels}'
                             f', h, w) (semantic_channels), got {tuple(semantic.shape)}')
        if semantic.shape[0] != x.shape[0]:
            raise ValueError(f'SPADEFusion: batch sizes differ: x has {x.shape[0]}, semantic '
                             f'has {semantic.shape[0]}')

    def _conv(self, conv: nn.Module, x: Tensor) -> Tensor:
        """A spectrally normalised conv runs in float32 even under autocast, so its power
        iteration and the division by sigma stay float32 (CUDA autocast would run the
        iteration's ``mv`` in float16); two 3x3 convs on the small fused map, a negligible
        share of the model's FLOPs. Without autocast (or spectral norm): a plain call."""
        device = x.device.type
        if self.use_spectral_norm and torch.is_autocast_enabled(device):
            with torch.autocast(device, enabled=False):
                return conv(x.float())
        return conv(x)

    def forward(self, x: Tensor, semantic: Tensor) -> Tensor:
        self._check_inputs(x, semantic)
        semantic = semantic.to(x.dtype)
        dx = self._conv(self.conv_0, F.leaky_relu(self.spade_0(x, semantic), 0.2))
        dx = self._conv(self.conv_1, F.leaky_relu(self.spade_1(dx, semantic), 0.2))
        return x + dx
