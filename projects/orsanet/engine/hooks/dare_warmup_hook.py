"""DAREWarmupHook: tells ORSANet's DAREHead which training epoch it is in."""
import logging
from typing import List

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS

from orsanet.models.heads.dare_head import DAREHead

from ..distributed import unwrap_model


@HOOKS.register_module()
class DAREWarmupHook(Hook):
    """Switch :class:`DAREHead` from its warm-up losses to its main losses.

    Before training (which covers resuming: ``runner.epoch`` is restored by then) and before every
    training epoch, calls ``head.set_epoch(runner.epoch)`` on every DAREHead of the model (model
    wrappers such as DDP are unwrapped). With ``warmup_epochs=W`` the 0-based epochs ``0..W-1``
    (the official recipe's epochs 1..W) use the warm-up losses. For epoch-based training loops.

    Example:
        >>> custom_hooks = [dict(type='DAREWarmupHook')]
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._warned = False

    def _dare_heads(self, runner) -> List[DAREHead]:
        model = unwrap_model(runner.model)
        heads = [module for module in model.modules() if isinstance(module, DAREHead)]
        if not heads and not self._warned:
            self._warned = True
            print_log(f'DAREWarmupHook: the model ({type(model).__name__}) has no DAREHead, so '
                      'there is no warm-up to switch; the hook does nothing (remove it from '
                      'custom_hooks to silence this)', logger='current', level=logging.WARNING)
        return heads

    def _set_epoch(self, runner) -> None:
        for head in self._dare_heads(runner):
            was_warmup = head.in_warmup if head.epoch is not None else None
            head.set_epoch(runner.epoch)
            if was_warmup is not head.in_warmup:
                phase = 'warm-up' if head.in_warmup else 'main'
                terms = ', '.join(head.current_loss_terms().keys())
                print_log(f'DAREHead: epoch {runner.epoch + 1} uses the {phase} losses '
                          f'({terms}); warmup_epochs={head.warmup_epochs}', logger='current')

    def before_train(self, runner) -> None:
        self._set_epoch(runner)

    def before_train_epoch(self, runner) -> None:
        self._set_epoch(runner)
