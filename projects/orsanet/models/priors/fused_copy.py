"""A copy of a frozen model with every BatchNorm folded into the convolution before it."""
import copy
import logging
from typing import Any, Callable, List, Tuple

import torch
from mmcv.cnn import fuse_conv_bn
from mmengine.logging import print_log
from torch import Tensor, nn


def count_batch_norms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def max_abs_diff(a: Any, b: Any) -> Tuple[float, float]:
    """(max |a - b|, max |a|) over two outputs of the same structure (tensors, tuples, lists)."""
    if isinstance(a, Tensor):
        return (a - b).abs().max().item(), a.abs().max().item()
    pairs = [max_abs_diff(x, y) for x, y in zip(a, b)]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def weights_version(model: nn.Module) -> int:
    """Changes whenever the weights change in place (``load_state_dict``, ``copy_``)."""
    return sum(t._version for t in (*model.parameters(), *model.buffers()))


class FusedCopy:
    """The BN-folded copy of a frozen model (``mmcv.cnn.fuse_conv_bn``), kept while the
    model's weights stay the same.

    :meth:`get` builds the copy at the first call and again after the weights change in place
    (version counters); :meth:`forget` drops it (the owner calls it when the model moves). A
    copy is checked on a probe: ``compare(module)`` runs the owner's forward with ``module``
    in place of the model; above 1e-4 relative the copy is refused, with a warning, and the model
    itself is returned (mmcv pairs each BN with the conv registered before it, which need not be
    the conv it follows).

    Args:
        owner (str): Name for the log messages.
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._cache: List[Tuple[int, nn.Module]] = []  # (weights version, module)

    def forget(self) -> None:
        self._cache.clear()

    def get(self, model: nn.Module, compare: Callable[[nn.Module], Any]) -> nn.Module:
        version = weights_version(model)
        if not self._cache or self._cache[0][0] != version:
            self._cache[:] = [(version, self._build(model, compare))]
        return self._cache[0][1]

    def _build(self, model: nn.Module, compare: Callable[[nn.Module], Any]) -> nn.Module:
        if not count_batch_norms(model):
            return model
        fused = fuse_conv_bn(copy.deepcopy(model)).eval()
        device = next(model.parameters()).device
        with torch.autocast(device.type, enabled=False):  # compare at full precision
            diff, scale = max_abs_diff(compare(model), compare(fused))
        if diff > 1e-4 * max(scale, 1.0):
            print_log(f'{self.owner}: fuse_conv_bn refused: the fused model differs from the '
                      f'model by {diff:.3g} (output scale {scale:.3g}); mmcv pairs each BN with '
                      'the conv registered before it, which is not the one it follows here. '
                      'Running the model unfused.', logger='current', level=logging.WARNING)
            return model
        folded = count_batch_norms(model) - count_batch_norms(fused)
        print_log(f'{self.owner}: {folded} BatchNorm layers folded into convolutions (max abs '
                  f'diff {diff:.2g} on a probe batch)', logger='current')
        return fused
