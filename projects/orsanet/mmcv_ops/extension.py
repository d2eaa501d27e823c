"""The stand-in for ``mmcv._ext`` that mmcv's op modules load when mmcv has no compiled ops."""
import types
from typing import Any, Callable, Dict

import torch

FULL_MMCV_COMMAND = 'make env MMCV=full'


class MissingMMCVOpError(RuntimeError):
    """A compiled mmcv op was called that this mmcv lacks and ORSANet does not serve."""


class ServedExtension(types.ModuleType):
    """Stands in for ``mmcv._ext``: the kernels in ``served`` by their mmcv names; any other
    attribute is a function that raises :class:`MissingMMCVOpError` when called (mmcv's op
    modules look their kernels up at import, but call them only when the op runs).

    Args:
        served (dict): mmcv kernel name -> implementation with the kernel's signature.
        reason (str): Why the compiled extension is missing (said in the error).
    """

    def __init__(self, served: Dict[str, Callable[..., Any]], reason: str) -> None:
        super().__init__('mmcv._ext')
        self._served = dict(served)
        self._reason = reason

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith('__'):
            raise AttributeError(name)
        if name in self._served:
            return self._served[name]
        return self._missing(name)

    def _missing(self, name: str) -> Callable[..., Any]:
        reason = self._reason

        def missing_op(*args: Any, **kwargs: Any) -> Any:
            raise MissingMMCVOpError(
                f'mmcv op `{name}` needs mmcv\'s compiled extension (mmcv._ext), which this '
                f'installation lacks ({reason}); ORSANet serves only the ops the supported '
                'detectors, segmentors and pose models call (see docs/install.md). Build the '
                f'full mmcv with `{FULL_MMCV_COMMAND}` in the ORSANet-MM checkout (or install an '
                f'mmcv 2.1.0 with compiled ops for torch {torch.__version__}), or use a model '
                'without this op.')

        missing_op.__name__ = name
        return missing_op
