"""Config-level speed options: data loaders that keep a GPU fed, the fast-path switches of the
ORSANet configs, and how tools/train.py and tools/test.py adapt them to the machine."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from orsanet.apis import fit_dataloaders, route_compile

DATASETS = ('rafdb', 'affectnet7', 'affectnet8', 'ferplus', 'occlu_fer')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.mark.parametrize('name', DATASETS)
def test_dataset_loaders_keep_the_gpu_fed(repo_root, name):
    cfg = Config.fromfile(osp.join(repo_root, 'configs', '_base_', 'datasets', f'{name}.py'))
    for loader in LOADERS:
        assert cfg[loader].num_workers >= 4, loader
        assert cfg[loader].persistent_workers is True, loader
        assert cfg[loader].pin_memory is True, loader


@pytest.mark.parametrize('name', ['orsanet_r50_rafdb.py', 'orsanet_r50_occlufer.py'])
def test_recipes_switch_the_fast_paths(repo_root, name):
    model = Config.fromfile(osp.join(repo_root, 'configs', name)).model
    assert model.cache_priors is True and model.neck.use_sdpa is True
    assert model.channels_last is False and model.compile is False


def test_fit_dataloaders_to_the_machine():
    cfg = Config(dict(
        train_dataloader=dict(num_workers=0, persistent_workers=True, pin_memory=True),
        val_dataloader=dict(num_workers=2, persistent_workers=True, pin_memory=True),
        test_dataloader=None))
    fit_dataloaders(cfg)
    assert cfg.train_dataloader.persistent_workers is False  # torch refuses it without workers
    assert cfg.val_dataloader.persistent_workers is True
    cuda = torch.cuda.is_available()
    assert cfg.train_dataloader.pin_memory is cuda and cfg.val_dataloader.pin_memory is cuda


def test_route_compile_to_orsanet_only():
    cfg = Config(dict(compile=dict(backend='eager'), model=dict(type='ORSANet')))
    route_compile(cfg)
    assert cfg.compile is False and cfg.model.compile == dict(backend='eager')
    other = Config(dict(compile=True, model=dict(type='ImageClassifier')))
    route_compile(other)
    assert other.compile is True and 'compile' not in other.model  # MMEngine compiles it
    off = Config(dict(model=dict(type='ORSANet')))
    route_compile(off)
    assert 'compile' not in off.model
