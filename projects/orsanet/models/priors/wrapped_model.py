"""Building, loading and feeding the OpenMMLab model that a frozen prior wraps.

The helpers here resolve a model config given as a dict, a file or a ``pkg::path`` string, build
the model in its own toolbox's scope, load its checkpoint with clear errors, and work out the
per-channel affine map from the classifier's input normalisation to the wrapped model's.
"""
import copy
import difflib
import importlib
import os.path as osp
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from torch import Tensor, nn

from ...checkpoints import REMOTE_PREFIXES, load_state_dict_strict, read_checkpoint, state_dict_of

ModelSpec = Union[str, dict, Config]


def load_model_cfg(model: ModelSpec) -> ConfigDict:
    """The model config of ``model``: a model dict, a full config (dict/Config), a config file
    path, or an OpenMMLab ``'pkg::path'`` (e.g. ``'mmseg::_base_/models/bisenetv2.py'``)."""
    if isinstance(model, str):
        if '::' in model:
            from mmengine.hub import get_config

            cfg = get_config(model)
        elif not osp.isfile(model):
            raise FileNotFoundError(f'prior model config {model} does not exist; give a config '
                                    "file, an OpenMMLab 'pkg::path' config or a model dict")
        else:
            cfg = Config.fromfile(model)
    elif isinstance(model, (dict, Config)):
        cfg = model
    else:
        raise TypeError(f'prior model must be a config dict, file or pkg::path, not {type(model)}')
    if 'type' in cfg:
        return ConfigDict(copy.deepcopy(dict(cfg)))
    if 'model' in cfg:
        return ConfigDict(copy.deepcopy(cfg['model']))
    raise KeyError(f'prior model config {model if isinstance(model, str) else ""} has neither a '
                   "'type' nor a 'model' key")


def build_wrapped_model(model_cfg: ConfigDict, scope: str) -> nn.Module:
    """Build ``model_cfg`` with toolbox ``scope``'s registry, in that scope; SyncBN -> BN.

    The scope matters: the model builds its data preprocessor (``SegDataPreProcessor``,
    ``PoseDataPreprocessor``) through MMEngine's root registry, which finds it only there.
    """
    importlib.import_module(f'{scope}.models')  # registers the toolbox's modules
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(model_cfg)
    return revert_sync_batchnorm(model)  # frozen and in eval: no need to synchronise


def check_layer(model: nn.Module, layer: str) -> None:
    """Raise a ValueError naming close candidates if ``model`` has no submodule ``layer``."""
    names = [name for name, _ in model.named_modules() if name]
    if layer in names:
        return
    close = difflib.get_close_matches(layer, names, n=6, cutoff=0.5)
    raise ValueError(f'the wrapped {type(model).__name__} has no layer {layer!r}; close '
                     f'candidates: {close or names[:6]} (dotted names of model.named_modules())')


def load_wrapped_checkpoint(model: nn.Module, path: str, allow_missing: Sequence[str],
                            owner: str) -> None:
    """Load ``path`` into ``model`` (on CPU) strictly: every key the model has must be there,
    with its shape, except keys under the ``allow_missing`` prefixes (parts the prior never
    runs, e.g. a decode head); no key may be unexpected.

    Args:
        model: The wrapped model.
        path (str): Checkpoint file (MMEngine layout ``{'state_dict': ...}`` or a bare state dict).
        allow_missing (sequence of str): Key prefixes that may be absent.
        owner (str): The prior's name, for messages.
    """
    if path.startswith(REMOTE_PREFIXES):
        raise ValueError(f'{owner}: checkpoint {path} is remote; nothing is downloaded at run '
                         'time: fetch the file and give its local path')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: checkpoint {path} does not exist (convert the official '
                                'weights with tools/model_converters/, or set checkpoint=None)')
    state = state_dict_of(read_checkpoint(path), path)
    load_state_dict_strict(
        model, state, path, f'the model wrapped by {owner}',
        'Give the checkpoint of this model (see its config), or list the parts the prior does '
        f'not run in allow_missing (now {list(allow_missing)}).', allow_missing)


def channel_stats(cfg: Optional[Mapping]) -> Tuple[str, List[float], List[float]]:
    """``(order, mean, std)`` of a data preprocessor config (mmpretrain/mmseg/mmpose keys).

    ``order`` is the channel order of the normalised batch: 'rgb' when the preprocessor flips
    the loaded (BGR) image (``to_rgb``/``bgr_to_rgb``/``rgb_to_bgr``), else 'bgr'. Missing
    mean/std mean no normalisation (0 and 1).
    """
    cfg = cfg or {}
    flips = any(bool(cfg.get(key, False)) for key in ('to_rgb', 'bgr_to_rgb', 'rgb_to_bgr'))

    def three(values: Optional[Sequence[float]], default: float) -> List[float]:
        values = [default] if values is None else [float(v) for v in values]
        if len(values) not in (1, 3):
            raise ValueError(f'mean/std must have 1 or 3 values, got {values}')
        return values * 3 if len(values) == 1 else values

    return ('rgb' if flips else 'bgr', three(cfg.get('mean'), 0.0), three(cfg.get('std'), 1.0))


def renormalisation(source: Optional[Mapping],
                    target: Optional[Mapping]) -> Optional[Tuple[List[int], Tensor, Tensor]]:
    """Map a batch normalised by ``source`` to ``target``'s normalisation, per channel.

    Returns ``None`` when the two agree (or ``source`` is None: the caller feeds the wrapped
    model's own normalisation), else ``(order, scale, shift)`` with
    ``x_target[c] = x_source[order[c]] * scale[c] + shift[c]``.
    """
    if source is None:
        return None
    src, tgt = channel_stats(source), channel_stats(target)
    if src == tgt:
        return None
    order = [0, 1, 2] if src[0] == tgt[0] else [2, 1, 0]
    src_mean = torch.tensor(src[1], dtype=torch.float64)[order]
    src_std = torch.tensor(src[2], dtype=torch.float64)[order]
    tgt_mean = torch.tensor(tgt[1], dtype=torch.float64)
    tgt_std = torch.tensor(tgt[2], dtype=torch.float64)
    scale = (src_std / tgt_std).float()
    shift = ((src_mean - tgt_mean) / tgt_std).float()
    return order, scale, shift
