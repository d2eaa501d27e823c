"""Compatibility of the OpenMMLab 2.x stack with current PyTorch and transformers.

``import orsanet`` calls :func:`apply` before any OpenMMLab model package is imported. Each of the
three patches acts only where its problem exists, and each is idempotent:

1. :func:`serve_mmcv_ops_lazily` -- without mmcv's compiled extension (``mmcv-lite``, our default
   install, or an mmcv built against another torch), ``mmseg.models``, ``mmpose.models`` and
   ``mmdet.models`` fail at import on their module-level ``from mmcv.ops import ...``. We give
   mmcv's loader a stand-in extension: the kernels the toolboxes' common models call (NMS,
   RoIAlign, sigmoid focal loss, deformable convolutions) are served by torchvision / PyTorch
   (:mod:`orsanet.mmcv_ops`); any other raises :class:`MissingMMCVOpError`, naming the op and the
   command that builds the full mmcv, only when it is actually called.
2. :func:`allow_mmengine_checkpoints` -- torch >= 2.6 loads with ``weights_only=True``, which
   refuses MMEngine checkpoints (their message hub pickles ``HistoryBuffer`` and numpy arrays).
   We extend torch's allowlist with exactly those globals; the safety stays on.
3. :func:`disable_mmpretrain_multimodal` -- with transformers >= 4.52 (5 included),
   ``import mmpretrain.models`` crashes in its multimodal models (they import helpers that
   ``transformers.modeling_utils`` no longer re-exports, then subclass ``None``). We switch those
   models off, as mmpretrain itself does when transformers is absent. The project's environment
   pins transformers below 4.52, so stock mmpretrain works there without orsanet; the patch is for
   users who bring a newer transformers.

Patch 1 works in any import order: if ``mmcv.cnn.bricks.transformer`` was imported before (stock
``mmpretrain.models`` does), its failed ``MultiScaleDeformableAttention`` import is repaired.
Patch 3 must run before ``mmpretrain.models`` is first imported under transformers >= 4.52.
"""
import importlib
import importlib.metadata
import importlib.util
import sys
from typing import Any, Dict, Optional, Tuple

import torch

from .mmcv_ops import MissingMMCVOpError, served_extension

__all__ = ['apply', 'MissingMMCVOpError']

_APPLIED: Dict[str, bool] = {}


def _mmcv_ext_import_error() -> Optional[ImportError]:
    try:
        importlib.import_module('mmcv._ext')
    except ImportError as err:  # absent (mmcv-lite) or built for another torch
        return err
    return None


def serve_mmcv_ops_lazily() -> bool:
    """Make ``mmcv.ops`` importable and its common ops work without compiled ops (the kernels of
    :mod:`orsanet.mmcv_ops`). Returns True if it had to."""
    if 'mmcv.ops' in sys.modules:
        return False  # imported already: it either worked or it is too late
    if importlib.util.find_spec('mmcv') is None:
        raise ImportError('orsanet needs mmcv 2.1: `pip install mmcv-lite==2.1.0` (ORSANet serves '
                          'the common compiled ops) or a full mmcv 2.1.0 with compiled ops')
    error = _mmcv_ext_import_error()
    if error is None:
        return False
    from mmcv.utils import ext_loader

    stand_in = served_extension(f'{type(error).__name__}: {error}')
    ext_loader.load_ext = lambda name, funcs: stand_in  # mmcv.ops modules call it at import
    _repair_bricks_transformer()
    return True


def _repair_bricks_transformer() -> None:
    """Give an already imported ``mmcv.cnn.bricks.transformer`` the name it failed to import.

    Imported before the stand-in (stock ``mmpretrain.models`` or mmcv's transformer bricks first),
    that module caught the ImportError of ``MultiScaleDeformableAttention`` and lacks the name
    mmdet (``msdeformattn_pixel_decoder``) imports from it.
    """
    bricks = sys.modules.get('mmcv.cnn.bricks.transformer')
    if bricks is None or hasattr(bricks, 'MultiScaleDeformableAttention'):
        return
    from mmcv.ops.multi_scale_deform_attn import MultiScaleDeformableAttention

    bricks.MultiScaleDeformableAttention = MultiScaleDeformableAttention


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


# The first transformers whose ``modeling_utils`` lacks what mmpretrain 1.2 imports from it
# (``GenerationMixin``; 4.56 also drops ``apply_chunking_to_forward``).
FIRST_BREAKING_TRANSFORMERS = (4, 52)


def _release(package: str) -> Optional[Tuple[int, int]]:
    """(major, minor) of an installed package; None if absent or unreadable."""
    try:
        major, minor = importlib.metadata.version(package).split('.')[:2]
        return int(major), int(''.join(ch for ch in minor if ch.isdigit()) or 0)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def disable_mmpretrain_multimodal() -> bool:
    """Turn off mmpretrain's multimodal models under transformers >= 4.52. True if it did."""
    release = _release('transformers')
    if release is None or release < FIRST_BREAKING_TRANSFORMERS:
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
