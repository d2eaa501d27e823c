"""What the CNN backbones share: default init, ``out_indices``, frozen stages, ``norm_eval``."""
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm


def default_init_cfg() -> List[dict]:
    """Kaiming-initialised convolutions and unit BatchNorm (as mmpretrain's ResNet)."""
    return [
        dict(type='Kaiming', layer=['Conv2d']),
        dict(type='Constant', val=1, layer=['_BatchNorm'])
    ]


def check_out_indices(out_indices: Optional[Union[int, Sequence[int]]], num_stages: int,
                      owner: str) -> Tuple[int, ...]:
    """Validate stage indices (negative ones count from the end); None -> the last stage."""
    if out_indices is None:
        return (num_stages - 1, )
    if isinstance(out_indices, int):
        out_indices = [out_indices]
    if not out_indices or any(not -num_stages <= i < num_stages for i in out_indices):
        raise ValueError(f'{owner} out_indices {tuple(out_indices)} must be non-empty and lie in '
                         f'[-{num_stages}, {num_stages - 1}] ({num_stages} stages)')
    return tuple(i % num_stages for i in out_indices)


class StageControlMixin:
    """Freezes the modules of ``_frozen_modules()`` and keeps BatchNorm in eval if ``norm_eval``.

    Mix in before the toolbox's ``BaseBackbone``; the class sets ``norm_eval`` and calls
    ``_freeze_stages()`` at the end of ``__init__``.
    """

    norm_eval: bool

    def _frozen_modules(self) -> List[nn.Module]:
        raise NotImplementedError

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self
