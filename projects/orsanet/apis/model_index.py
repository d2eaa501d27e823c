"""Building a FER model for inference: from a config + checkpoint or a name in the model index.

The index is ``configs/model_index.yml`` of the repository (name -> config, the checkpoint path
the user supplies, alignment). Configs and checkpoints are ordinary MMPretrain ones.
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
MODEL_INDEX = osp.join(REPO_ROOT, 'configs', 'model_index.yml')


def load_model_index(path: str = MODEL_INDEX) -> Dict[str, dict]:
    """The model index: ``{name: dict(config=..., checkpoint=..., ...)}`` with absolute paths."""
    import yaml

    if not osp.isfile(path):
        raise FileNotFoundError(f'model index {path} not found: model names work from a checkout '
                                'of the repository; otherwise pass a config file and checkpoint')
    with open(path, encoding='utf-8') as f:
        index = yaml.safe_load(f) or {}
    root = osp.dirname(osp.dirname(path))
    for name, entry in index.items():
        if 'config' not in entry:
            raise KeyError(f'{path}: model {name!r} has no config')
        for key in ('config', 'checkpoint'):
            if entry.get(key) and not osp.isabs(entry[key]):
                entry[key] = osp.join(root, entry[key])
    return index


def list_fer_models() -> List[str]:
    """Names in the model index."""
    return sorted(load_model_index())


def resolve_model(model: Union[str, Config], checkpoint: Optional[str]):
    """(config, checkpoint) for a model name, a config path or a Config."""
    if isinstance(model, Config):
        return copy.deepcopy(model), checkpoint
    if not isinstance(model, str):
        raise TypeError(f'model must be a name, a config path or a Config, got {type(model)}')
    if model.endswith('.py'):
        if not osp.isfile(model):
            raise FileNotFoundError(f'config {model} does not exist')
        return Config.fromfile(model), checkpoint
    index = load_model_index()
    if model not in index:
        raise KeyError(f'unknown model {model!r}; the model index ({MODEL_INDEX}) has '
                       f'{sorted(index)}; or pass a config file (.py)')
    entry = index[model]
    checkpoint = checkpoint or entry.get('checkpoint')
    if checkpoint and not osp.isfile(checkpoint):
        raise FileNotFoundError(
            f'model {model!r} expects its checkpoint at {checkpoint}, which does not exist: '
            'train or convert the weights (see README) and put them there, or pass checkpoint=')
    return Config.fromfile(entry['config']), checkpoint


def default_classes(num_classes: int) -> Sequence[str]:
    """RAF-DB's 7 class names for a 7-class model, else ``class_0 ...``."""
    if num_classes == 7:
        from orsanet.datasets.rafdb import RAFDB
        return tuple(RAFDB.METAINFO['classes'])
    return tuple(f'class_{i}' for i in range(num_classes))


def init_fer_model(model: Union[str, Config], checkpoint: Optional[str] = None,
                   device: Union[str, torch.device, None] = None,
                   cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """An MMPretrain classifier in eval mode with ``_config`` and ``dataset_meta`` set.

    Args:
        model: A model-index name, a config file or a Config.
        checkpoint: MMEngine checkpoint (None: the index's path, or random weights for a config).
        device: Defaults to CUDA when available, else CPU.
        cfg_options: Config overrides (``{'model.head.num_classes': 8}``).
    """
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS

    import orsanet  # noqa: F401  (registries and compatibility patches)

    cfg, checkpoint = resolve_model(model, checkpoint)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    net = MODELS.build(cfg.model)
    meta = {}
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
        loaded = load_checkpoint(net, checkpoint, map_location='cpu')
        meta = (loaded.get('meta') or {}).get('dataset_meta') or {}
    num_classes = int(getattr(net.head, 'num_classes', 0) or cfg.model.head.num_classes)
    classes = tuple(meta.get('classes') or default_classes(num_classes))
    if len(classes) != num_classes:
        raise ValueError(f'checkpoint {checkpoint} names {len(classes)} classes but the model has '
                         f'{num_classes} outputs')
    net.dataset_meta = dict(meta, classes=classes)
    net._config = cfg
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    return net.to(device).eval()
