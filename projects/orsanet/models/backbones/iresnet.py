"""IResNet: the "improved residual" face-recognition ResNet (IR-50 and deeper) used by ORSANet."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS

from ...checkpoints import load_pretrained
from .stage_control import StageControlMixin, check_out_indices, default_init_cfg


class IRBlock(BaseModule):
    """One "improved residual" unit (pre-BN, PReLU between the two 3x3 convs).

    Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019
    (the ``IR`` unit of InsightFace). The stride sits on the second 3x3 conv.

    ``residual = bn2(conv2(prelu(conv1(bn1(x)))))``; the shortcut is a stride-``s`` subsampling
    (``MaxPool2d(1, s)``) when the channel count is kept, else ``Conv1x1(stride s) + BN``.

    Args:
        in_channels (int): Channels of the input ``C_in``.
        out_channels (int): Channels of the output ``C_out``.
        stride (int): Stride of the unit. Defaults to 1.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Shapes:
        x: ``(B, C_in, H, W)`` -> ``(B, C_out, ceil(H / s), ceil(W / s))``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, 1, 1, bias=False)
        self.prelu = nn.PReLU(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if in_channels == out_channels:
            self.downsample: nn.Module = nn.MaxPool2d(kernel_size=1, stride=stride)
        else:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = self.bn2(self.conv2(self.prelu(self.conv1(self.bn1(x)))))
        return residual + self.downsample(x)


@MODELS.register_module()
class IResNet(StageControlMixin, BaseBackbone):
    """IResNet backbone: the IR-50/100/152 face-recognition ResNet ("IR-50" in ORSANet).

    Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019; used
    as the image backbone of ORSANet (arXiv 2507.15401) with stages 1-3 on a 112-px input.

    Stem ``Conv3x3(3->64) + BN + PReLU`` (stride 1), then up to four stages of :class:`IRBlock`
    with 64, 128, 256, 512 channels, each starting with a stride-2 unit. The face-recognition
    output layer (BN, dropout, Linear 25088->512, BN1d) is not built: ORSANet never uses it.

    Args:
        arch (str): ``'ir50'``, ``'ir100'`` or ``'ir152'``. Defaults to ``'ir50'``.
        num_stages (int): Stages built and run, 1-4. ORSANet uses 3. Defaults to 4.
        out_indices (Sequence[int], optional): 0-based stages whose outputs are returned
            (negative values count from the last built stage). Defaults to the last built stage.
        input_size (int, optional): If set, the input is first resized to
            ``input_size x input_size`` with nearest interpolation, as the official ORSANet does
            (112). None keeps the input size. Defaults to None.
        frozen_stages (int): Freeze the stem (0) and stages ``1..frozen_stages``; -1 freezes
            nothing. Defaults to -1.
        norm_eval (bool): Keep BatchNorm layers in eval mode during training. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config, e.g.
            ``dict(type='Pretrained', checkpoint='ir50_mmpretrain.pth', prefix='backbone.')``
            for a checkpoint from ``tools/model_converters/ir50_to_mmpretrain.py``.

    Shapes:
        x: ``(B, 3, H, W)`` -> tuple of ``(B, C_i, S / 2^(i+1), S / 2^(i+1))`` for ``i`` in
        ``out_indices``, with ``S = input_size`` (or ``H``, ``W``) and ``C_i = 64 * 2^i``; e.g.
        the ORSANet setting gives ``(B, 256, 14, 14)``.
    """

    arch_settings: Dict[str, Tuple[int, ...]] = {
        'ir50': (3, 4, 14, 3),
        'ir100': (3, 13, 30, 3),
        'ir152': (3, 8, 36, 3),
    }
    stage_channels: Tuple[int, ...] = (64, 128, 256, 512)
    stem_channels: int = 64

    def __init__(self,
                 arch: str = 'ir50',
                 num_stages: int = 4,
                 out_indices: Optional[Sequence[int]] = None,
                 input_size: Optional[int] = None,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=default_init_cfg() if init_cfg is None else init_cfg)
        if arch not in self.arch_settings:
            raise KeyError(f'IResNet arch {arch!r} is unknown; choose one of '
                           f'{sorted(self.arch_settings)}')
        if not 1 <= num_stages <= 4:
            raise ValueError(f'IResNet num_stages must be in 1..4, got {num_stages}')
        self.arch = arch
        self.num_stages = num_stages
        self.out_indices = check_out_indices(out_indices, num_stages, 'IResNet')
        self.input_size = input_size
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self.stem = nn.Sequential(
            OrderedDict(
                conv=nn.Conv2d(3, self.stem_channels, 3, 1, 1, bias=False),
                bn=nn.BatchNorm2d(self.stem_channels),
                prelu=nn.PReLU(self.stem_channels)))
        self.res_layers = []
        in_channels = self.stem_channels
        for i, num_units in enumerate(self.arch_settings[arch][:num_stages]):
            out_channels = self.stage_channels[i]
            units = [IRBlock(in_channels, out_channels, stride=2)]
            units += [IRBlock(out_channels, out_channels) for _ in range(num_units - 1)]
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, nn.Sequential(*units))
            self.res_layers.append(layer_name)
            in_channels = out_channels
        self._freeze_stages()

    def init_weights(self) -> None:
        """A ``Pretrained`` ``init_cfg`` loads STRICTLY (MMEngine's own loads whatever fits):
        every key of the built stages must be in the file; stages the file has beyond
        ``num_stages`` are dropped. Other init configs work as in MMEngine."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            unused = tuple(f'layer{i}.' for i in range(self.num_stages + 1, 5))
            load_pretrained(self, cfg['checkpoint'], cfg.get('prefix'), unused,
                            f'IResNet-{self.arch} ({self.num_stages} stages)')
            self._is_init = True
            return
        super().init_weights()

    def _frozen_modules(self) -> List[nn.Module]:
        frozen = [self.stem] if self.frozen_stages >= 0 else []
        return frozen + [getattr(self, name)
                         for name in self.res_layers[:max(self.frozen_stages, 0)]]

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if self.input_size is not None:
            x = F.interpolate(x, size=self.input_size, mode='nearest')
        x = self.stem(x)
        outs = []
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
