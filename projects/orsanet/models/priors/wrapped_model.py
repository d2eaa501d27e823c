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
from mmengine.logging import print_log
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader
from torch import Tensor, nn

from orsanet.utils.checkpoint_conversion import summarise_keys

ModelSpec = Union[str, dict, Config]
REMOTE_PREFIXES = ('http://', 'https://', 's3://', 'open-mmlab://', 'torchvision://',
                   'modelzoo://', 'mmcls://', 'pavi://')


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


def _state_dict_of(checkpoint: object, path: str) -> Mapping[str, Tensor]:
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, Mapping) else None
    if not isinstance(state, Mapping):
        raise ValueError(f'checkpoint {path} holds no state dict')
    return {(k[len('module.'):] if k.startswith('module.') else k): v for k, v in state.items()}


def _key_list(keys: Sequence[str]) -> str:
    return ', '.join(summarise_keys(keys, depth=3)[:8])


def load_wrapped_checkpoint(model: nn.Module, path: str, strict: bool, owner: str) -> None:
    """Load ``path`` into ``model`` (on CPU), refusing tensors of the wrong shape.

    Args:
        model: The wrapped model.
        path (str): Checkpoint file (MMEngine layout ``{'state_dict': ...}`` or a bare state dict).
        strict (bool): Also refuse missing and unexpected keys (else they are logged).
        owner (str): The prior's name, for messages.
    """
    if not path.startswith(REMOTE_PREFIXES) and not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: checkpoint {path} does not exist (convert the official '
                                'weights with tools/model_converters/, or set checkpoint=None)')
    state = _state_dict_of(CheckpointLoader.load_checkpoint(path, map_location='cpu'), path)
    own = model.state_dict()
    shapes = [(k, tuple(v.shape), tuple(own[k].shape)) for k, v in state.items()
              if k in own and tuple(v.shape) != tuple(own[k].shape)]
    if shapes:
        listed = '; '.join(f'{k}: checkpoint {a} vs model {b}' for k, a, b in shapes[:6])
        raise ValueError(f'{owner}: checkpoint {path} does not fit the model: {len(shapes)} '
                         f'mismatched keys ({listed}{"; ..." if len(shapes) > 6 else ""})')
    if not set(state) & set(own):
        raise ValueError(f'{owner}: no key of checkpoint {path} belongs to the model (checkpoint '
                         f'keys start {list(state)[:3]}, model keys {list(own)[:3]})')
    missing = [k for k in own if k not in state and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        message = (f'{owner}: checkpoint {path}: {len(missing)} missing keys '
                   f'[{_key_list(missing)}], {len(unexpected)} unexpected keys '
                   f'[{_key_list(unexpected)}]')
        if strict:
            raise ValueError(f'{message}; pass strict=False if the prior does not use them')
        print_log(message, logger='current', level=30)
    model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)


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
