"""Compatibility of the OpenMMLab 2.x stack with current PyTorch and transformers.

``import orsanet`` calls :func:`apply` before any OpenMMLab model package is imported. Each of the
three patches acts only where its problem exists, and each is idempotent:

1. :func:`serve_mmcv_ops_lazily` -- without mmcv's compiled extension (``mmcv-lite``, or an mmcv
   built against another torch), ``mmseg.models``, ``mmpose.models`` and ``mmdet.models`` fail at
   import on their module-level ``from mmcv.ops import ...``. We make ``mmcv.ops`` importable by
   giving its loader a stand-in extension whose functions raise :class:`MissingMMCVOpError`,
   naming the op, only when a compiled op is actually called.
2. :func:`allow_mmengine_checkpoints` -- torch >= 2.6 loads with ``weights_only=True``, which
   refuses MMEngine checkpoints (their message hub pickles ``HistoryBuffer`` and numpy arrays).
   We extend torch's allowlist with exactly those globals; the safety stays on.
3. :func:`disable_mmpretrain_multimodal` -- with transformers >= 5, ``import mmpretrain.models``
   crashes in its multimodal models (they subclass classes transformers 5 removed). We switch those
   models off, as mmpretrain itself does when transformers is absent.

Patches 1 and 3 must run before ``mmseg``/``mmpose``/``mmpretrain.models`` are first imported:
import ``orsanet`` first (``custom_imports`` in a config does, before the runner builds anything).
"""
import importlib
import importlib.metadata
import sys
import types
from typing import Any, Callable, Dict, Optional

import torch

_APPLIED: Dict[str, bool] = {}


class MissingMMCVOpError(RuntimeError):
    """A compiled mmcv op was called, but this mmcv has no compiled ops."""


class _MissingExtension(types.ModuleType):
    """Stands in for ``mmcv._ext``: every attribute is a function that raises when called."""

    def __init__(self, reason: str) -> None:
        super().__init__('mmcv._ext')
        self._reason = reason

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith('__'):
            raise AttributeError(name)
        reason = self._reason

        def missing_op(*args: Any, **kwargs: Any) -> Any:
            raise MissingMMCVOpError(
                f'mmcv op `{name}` needs mmcv\'s compiled extension (mmcv._ext), which this '
                f'installation lacks ({reason}). Install full mmcv built for torch '
                f'{torch.__version__} (`bash tools/setup_env.sh` does), or use a model without '
                'this op.')

        missing_op.__name__ = name
        return missing_op


def _mmcv_ext_import_error() -> Optional[ImportError]:
    try:
        importlib.import_module('mmcv._ext')
    except ImportError as err:  # absent (mmcv-lite) or built for another torch
        return err
    return None


def serve_mmcv_ops_lazily() -> bool:
    """Make ``mmcv.ops`` importable without compiled ops. Returns True if it had to."""
    if 'mmcv.ops' in sys.modules:
        return False  # imported already: it either worked or it is too late
    error = _mmcv_ext_import_error()
    if error is None:
        return False
    from mmcv.utils import ext_loader

    stand_in = _MissingExtension(f'{type(error).__name__}: {error}')
    ext_loader.load_ext = lambda name, funcs: stand_in  # mmcv.ops modules call it at import
    return True


def _numpy_globals() -> list:
    """What MMEngine's message hub pickles of numpy (numpy 2 module paths)."""
    import numpy as np
    from numpy._core import multiarray

    dtype_classes = [
        type(np.dtype(name)) for name in ('float16', 'float32', 'float64', 'int8', 'int16',
                                          'int32', 'int64', 'uint8', 'bool')
    ]
    # pickle protocol 2 (torch.save's) writes an empty ``bytes`` as a call of ``bytes``: numpy
    # arrays reduce with ``b''`` placeholders, e.g. the arrays in mmpose's dataset_meta
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype, *dtype_classes,
            bytes]


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` as unpickling sees it: only HistoryBuffer's statistic methods.

    ``HistoryBuffer`` keeps its statistics as bound methods, which pickle as
    ``getattr(HistoryBuffer, 'mean')``; any other use of ``getattr`` is refused.
    """
    from mmengine.logging import HistoryBuffer

    # the four built-in ones are registered lazily, by the first HistoryBuffer instance
    allowed = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise torch.serialization.pickle.UnpicklingError(
        f'orsanet allows getattr only on HistoryBuffer statistics, not {obj!r}.{name}')


def allow_mmengine_checkpoints() -> None:
    """Let ``torch.load(weights_only=True)`` read what MMEngine writes into checkpoints."""
    from mmengine.logging import HistoryBuffer

    torch.serialization.add_safe_globals([
        HistoryBuffer, *_numpy_globals(), (_history_buffer_getattr, 'builtins.getattr')
    ])


def _major_version(package: str) -> Optional[int]:
    try:
        return int(importlib.metadata.version(package).split('.')[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def disable_mmpretrain_multimodal() -> bool:
    """Turn off mmpretrain's multimodal models under transformers >= 5. True if it did."""
    major = _major_version('transformers')
    if major is None or major < 5:
        return False
    if 'mmpretrain.models' in sys.modules:
        return False  # already imported (and it worked, or raised before we got here)
    from mmpretrain.utils import dependency

    dependency.WITH_MULTIMODAL = False
    return True


def apply() -> Dict[str, bool]:
    """Apply the three patches once; returns which of them were needed."""
    if not _APPLIED:
        _APPLIED['lazy_mmcv_ops'] = serve_mmcv_ops_lazily()
        allow_mmengine_checkpoints()
        _APPLIED['mmengine_checkpoint_allowlist'] = True
        _APPLIED['mmpretrain_multimodal_off'] = disable_mmpretrain_multimodal()
    return dict(_APPLIED)
