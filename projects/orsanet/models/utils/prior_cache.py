"""A one-entry cache of the frozen priors' outputs, for the two passes of a SAM step."""
from typing import Callable, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn


def _autocast_state(device_type: str) -> Tuple[bool, Optional[torch.dtype]]:
    if not torch.is_autocast_enabled(device_type):
        return False, None
    return True, torch.get_autocast_dtype(device_type)


class PriorCache:
    """Remembers the outputs of frozen priors for one input batch.

    SAM runs the same batch twice (at ``w`` and at ``w + e``); the priors are frozen, in eval
    mode and without randomness, so their outputs are the same in both passes and the second
    pass can reuse them. An entry is reused only for THE SAME input tensor object, unchanged
    since (its in-place version counter), under the same autocast state, and with the priors'
    parameters unchanged (their version counters: ``load_state_dict`` bumps them). Anything
    else recomputes. :meth:`clear` drops the entry; ``SAMOptimWrapper`` calls the classifier's
    ``reset_step_cache`` at the start and end of every step, so nothing outlives a step.
    Inference tensors (``torch.inference_mode``) have no version counter and are never cached.

    Args:
        modules (Sequence[nn.Module]): The frozen priors whose parameters key the cache.
    """

    def __init__(self, modules: Sequence[nn.Module]) -> None:
        self._params = [p for m in modules for p in m.parameters()]
        self._entry: Optional[tuple] = None
        self.hits = 0
        self.misses = 0

    def _key(self, inputs: Tensor) -> tuple:
        return (inputs._version, _autocast_state(inputs.device.type),
                sum(p._version for p in self._params))

    def clear(self) -> None:
        """Forget the cached batch (and release its tensors)."""
        self._entry = None

    def get_or_compute(self, inputs: Tensor,
                       compute: Callable[[Tensor], Tuple[Tensor, ...]]) -> Tuple[Tensor, ...]:
        """``compute(inputs)``, or its cached result for this very tensor."""
        if inputs.is_inference():
            return compute(inputs)
        key = self._key(inputs)
        entry = self._entry
        if entry is not None and entry[0] is inputs and entry[1] == key:
            self.hits += 1
            return entry[2]
        self.misses += 1
        outputs = compute(inputs)
        if any(t.requires_grad for t in outputs):  # never keep an autograd graph alive
            self._entry = None
            return outputs
        self._entry = (inputs, key, outputs)
        return outputs

    def __getstate__(self) -> dict:
        """Copies and pickles start empty (a cached batch belongs to one step)."""
        return dict(self.__dict__, _entry=None)
