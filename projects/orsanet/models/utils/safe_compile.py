"""``torch.compile`` for a module, falling back to eager where it does not work."""
import logging
from typing import Any, Optional, Union

import torch
from mmengine.logging import print_log
from torch import nn


def compile_options(compile_cfg: Union[bool, dict, None]) -> Optional[dict]:
    """``compile=True | False | None | dict(backend=..., mode=...)`` -> torch.compile kwargs or
    None (off). The same convention as MMEngine's ``cfg.compile``."""
    if compile_cfg is None or compile_cfg is False:
        return None
    if compile_cfg is True:
        return {}
    if isinstance(compile_cfg, dict):
        return dict(compile_cfg)
    raise TypeError(f'compile must be a bool or a dict of torch.compile arguments, got '
                    f'{compile_cfg!r}')


class SafeCompiled:
    """Calls ``module`` through ``torch.compile(module, **options)``; if the compiled call fails
    (no compiler, an unsupported op, a backend error) and the eager call of the same inputs
    works, it logs a warning naming the module and the error and stays eager from then on.

    The compile happens at the first call (``torch.compile`` is lazy), so a failure is seen
    there; an error that eager mode raises too (bad input) propagates unchanged. Compile errors
    are raised before a graph runs, so the eager retry sees untouched state; only a failure in
    a later graph of a module with graph breaks can have run the earlier ones (e.g. BatchNorm
    statistics updated twice for that one call).

    Not an ``nn.Module``: the owner keeps it outside its module tree, so ``state_dict``,
    ``parameters()`` and checkpoints are those of the eager module. Copies and pickles drop the
    compiled function (it is rebuilt on the next call).

    Args:
        module (nn.Module): The module to run.
        name (str): Its name in log messages.
        options (dict): ``torch.compile`` keyword arguments.
    """

    def __init__(self, module: nn.Module, name: str, options: dict) -> None:
        self.module = module
        self.name = name
        self.options = dict(options)
        self.failed: Optional[str] = None  # the error that made it fall back
        self._compiled = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.failed is not None:
            return self.module(*args, **kwargs)
        if self._compiled is None:
            self._compiled = torch.compile(self.module, **self.options)
        try:
            return self._compiled(*args, **kwargs)
        except Exception as compiled_error:  # noqa: BLE001 (any compile failure falls back)
            output = self.module(*args, **kwargs)  # raises on its own if the input is bad
            self.failed = ' '.join(f'{type(compiled_error).__name__}: {compiled_error}'.split())
            self._compiled = None
            print_log(f'torch.compile of {self.name} failed ({self.failed[:300]}); running it '
                      'eagerly from now on', logger='current', level=logging.WARNING)
            return output

    def __getstate__(self) -> dict:
        return dict(self.__dict__, _compiled=None)
