"""GDCHead: MobileFaceNet's global depth-wise conv output layer as an mmpose regression head."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpose.models.heads import RegressionHead
from mmpose.registry import MODELS

from ..backbones.mobilefacenet import conv_bn


@MODELS.register_module()
class GDCHead(RegressionHead):
    """Global depth-wise convolution (GDC) landmark regression head of MobileFaceNet.

    Chen et al., "MobileFaceNets: Efficient CNNs for Accurate Real-Time Face Verification on Mobile
    Devices", CCBR 2018 (GDC layer); the 68-point landmark output layer of the model ORSANet
    (arXiv 2507.15401) uses as its landmark prior.

    ``7x7 depth-wise linear block (conv, no padding, no bias + BN) -> flatten -> Linear(C, 2K, no
    bias) -> BatchNorm1d(2K)``, reshaped to ``(B, K, 2)``. The official network outputs the 2K
    numbers interleaved per point (``x0, y0, x1, y1, ...``), as fractions of the input crop
    (``[0, 1]`` of the 112 x 112 input): the reshape keeps that order, so mmpose's
    ``RegressionLabel`` codec (which normalises by ``input_size`` the same way) decodes them to
    input pixels. Training, ``predict`` (flip test included) and ``loss`` are those of mmpose's
    :class:`RegressionHead`; only the layers differ.

    Args:
        in_channels (int): Channels ``C`` of the input feature map. Defaults to 512.
        num_joints (int): Number of landmarks ``K``. Defaults to 68.
        kernel_size (int): Size of the depth-wise kernel; the feature map must be
            ``kernel_size x kernel_size`` (7 for a 112-px input). Defaults to 7.
        loss (dict): Loss config. Defaults to ``SmoothL1Loss`` with target weights.
        decoder (dict, optional): Codec config, e.g. ``dict(type='RegressionLabel',
            input_size=(112, 112))``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to
            RegressionHead's (normal Linear weights, std 0.01).

    Shapes:
        feats: tuple whose last item is ``(B, C, k, k)`` -> ``(B, K, 2)``.
    """

    def __init__(self,
                 in_channels: int = 512,
                 num_joints: int = 68,
                 kernel_size: int = 7,
                 loss: dict = dict(type='SmoothL1Loss', use_target_weight=True),
                 decoder: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(in_channels=in_channels, num_joints=num_joints, loss=loss,
                         decoder=decoder, init_cfg=init_cfg)
        self.kernel_size = kernel_size
        self.gdc = conv_bn(in_channels, in_channels, kernel_size, groups=in_channels,
                           act=False, padding=0)
        # replaces RegressionHead's Linear (which has a bias)
        self.fc = nn.Linear(in_channels, num_joints * 2, bias=False)
        self.bn = nn.BatchNorm1d(num_joints * 2)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        x = feats[-1]
        expected: Tuple[int, int] = (self.kernel_size, self.kernel_size)
        if tuple(x.shape[-2:]) != expected:
            raise ValueError(f'GDCHead needs a {expected} feature map (kernel_size), got '
                             f'{tuple(x.shape[-2:])}: feed the input size the model was built '
                             'for (112 x 112 for MobileFaceNet) or set kernel_size')
        x = self.bn(self.fc(self.gdc(x).flatten(1)))
        return x.reshape(-1, self.num_joints, 2)
