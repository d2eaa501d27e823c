"""EvalProgressHook: a terminal progress bar over the test set (rank 0)."""
import sys
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class EvalProgressHook(Hook):
    """Show an :class:`mmengine.utils.ProgressBar` while ``runner.test()`` runs.

    One tick per test batch (of this rank; every rank runs the same number of batches), drawn on
    rank 0 only. ``tools/test.py`` adds it; in a config:

    Example:
        >>> custom_hooks = [dict(type='EvalProgressHook')]

    Args:
        bar_width (int): Width of the bar in characters. Defaults to 50.
    """

    priority = 'VERY_LOW'

    def __init__(self, bar_width: int = 50) -> None:
        self.bar_width = bar_width
        self._bar: Optional[ProgressBar] = None

    def before_test_epoch(self, runner) -> None:
        if is_main_process():
            self._bar = ProgressBar(len(runner.test_dataloader), bar_width=self.bar_width,
                                    file=sys.stdout)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._bar is not None:
            self._bar.update()

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar.file.flush()
            self._bar = None
