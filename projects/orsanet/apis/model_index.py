"""Building a FER model for inference: from a config + checkpoint or a name in the model index.

The index is ``configs/model_index.yml`` of the repository (name -> config, the checkpoint path
the user supplies, alignment). Configs and checkpoints are ordinary MMPretrain ones.
"""
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config

from .config_options import merge_cfg_options

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


def dataset_classes(cfg: Optional[Config]) -> Tuple[str, ...]:
    """All class names of the config's test dataset type, in its (official) order; ``()`` when
    the config has none or the type declares none."""
    from mmpretrain.registry import DATASETS

    dataset = ((cfg or {}).get('test_dataloader') or {}).get('dataset') or {}
    dataset_cls = DATASETS.get(dataset.get('type', '')) if isinstance(dataset, dict) else None
    return tuple((getattr(dataset_cls, 'METAINFO', None) or {}).get('classes') or ())


def default_classes(num_classes: int, cfg: Optional[Config] = None) -> Sequence[str]:
    """Class names for a model whose checkpoint names none: the first ``num_classes`` of the
    config's test dataset (its official order), else RAF-DB's 7, else ``class_0 ...``."""
    names = dataset_classes(cfg)
    if len(names) >= num_classes:
        return names[:num_classes]
    if num_classes == 7:
        from orsanet.datasets.rafdb import RAFDB
        return tuple(RAFDB.METAINFO['classes'])
    return tuple(f'class_{i}' for i in range(num_classes))


RANDOM_WEIGHTS_WARNING = 'random weights (random_weights=True): the scores mean nothing'


def init_fer_model(model: Union[str, Config], checkpoint: Optional[str] = None,
                   device: Union[str, torch.device, None] = None,
                   cfg_options: Optional[dict] = None,
                   random_weights: bool = False,
                   cfg_new_keys: bool = False) -> torch.nn.Module:
    """An MMPretrain classifier in eval mode with ``_config`` and ``dataset_meta`` set.

    The checkpoint is loaded STRICTLY (:func:`orsanet.checkpoints.load_model_checkpoint`): one
    that misses a part of the model, holds another model's weights or has other shapes is
    refused, naming the keys. A checkpoint that carries the priors (a converted official one)
    needs no prior weight files.

    Args:
        model: A model-index name, a config file or a Config.
        checkpoint: MMEngine checkpoint (None: the index's path).
        device: Defaults to CUDA when available, else CPU.
        cfg_options: Config overrides (``{'model.head.num_classes': 8}``); a key the config
            does not have is refused unless ``cfg_new_keys`` (see
            :func:`orsanet.apis.config_options.merge_cfg_options`).
        random_weights (bool): Build without a checkpoint (and priors without weight files) on
            purpose, for smoke tests; ``dataset_meta['warning']`` says so. Defaults to False:
            a missing checkpoint is an error.
    """
    from mmpretrain.registry import MODELS

    import orsanet  # noqa: F401  (registries and compatibility patches)
    from orsanet.checkpoints import load_model_checkpoint, model_cfg_for_checkpoint

    cfg, checkpoint = resolve_model(model, checkpoint)
    merge_cfg_options(cfg, cfg_options, cfg_new_keys)
    name = model if isinstance(model, str) else (cfg.filename or 'the given config')
    meta = {}
    if checkpoint is None:
        if not random_weights:
            raise ValueError(f'{name}: no checkpoint given, so the model would classify with '
                             'random weights; pass checkpoint=... (--checkpoint), or '
                             'random_weights=True (--random-weights) for a smoke test')
        net = MODELS.build(cfg.model)
        meta['warning'] = RANDOM_WEIGHTS_WARNING
    else:
        net = MODELS.build(model_cfg_for_checkpoint(cfg.model, checkpoint))
        loaded = load_model_checkpoint(net, checkpoint, f'the model of {name}',
                                       random_weights_ok=random_weights)
        meta.update(loaded.get('dataset_meta') or {})
    num_classes = int(getattr(net.head, 'num_classes', 0) or cfg.model.head.num_classes)
    classes = tuple(meta.get('classes') or default_classes(num_classes, cfg))
    if len(classes) != num_classes:
        raise ValueError(f'checkpoint {checkpoint} names {len(classes)} classes but the model has '
                         f'{num_classes} outputs')
    net.dataset_meta = dict(meta, classes=classes)
    net._config = cfg
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    return net.to(device).eval()
