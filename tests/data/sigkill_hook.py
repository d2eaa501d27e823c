"""Test helper: a hook that SIGKILLs its own training process after a given iteration."""
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class SIGKILLHook(Hook):
    """Kill the process (no clean-up, like a crashed node) after global iteration ``after_iter``
    (1-based)."""

    def __init__(self, after_iter: int) -> None:
        self.after_iter = after_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.after_iter:
            os.kill(os.getpid(), signal.SIGKILL)
