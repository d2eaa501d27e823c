"""The dataset configs of ORSANet carry the official recipe (spec section 2)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

RECIPES = {  # config: (classes, lr, warm-up epochs), from the official train.py and logs
    'orsanet_r50_rafdb.py': (7, 4e-5, 7),
    'orsanet_r50_affectnet7.py': (7, 2e-6, 5),
    'orsanet_r50_affectnet8.py': (8, 2e-6, 5),
    'orsanet_r50_occlufer.py': (7, 4e-6, 5),
}


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_recipe(repo_root, name):
    cfg = Config.fromfile(osp.join(repo_root, 'configs', name))
    classes, lr, warmup = RECIPES[name]
    assert cfg.model.head.num_classes == cfg.model.data_preprocessor.num_classes == classes
    dataset = DATASETS.get(cfg.train_dataloader.dataset.type)
    assert len(dataset.METAINFO['classes']) >= classes  # the first `classes` of its order
    assert cfg.model.head.warmup_epochs == warmup
    assert cfg.optim_wrapper.type == 'SAMOptimWrapper' and cfg.optim_wrapper.rho == 0.05
    assert cfg.optim_wrapper.optimizer.type == 'Adam' and cfg.optim_wrapper.optimizer.lr == lr
    assert cfg.param_scheduler.type == 'ExponentialLR' and cfg.param_scheduler.gamma == 0.98
    assert cfg.train_dataloader.sampler == dict(type='ImbalancedSampler')
    assert cfg.train_dataloader.batch_size == 20 and cfg.auto_scale_lr.base_batch_size == 20
    assert [h.type for h in cfg.custom_hooks] == ['DAREWarmupHook']
    assert cfg.default_hooks.checkpoint.save_best == 'accuracy/top1'
    assert cfg.default_scope == 'mmpretrain'
    # starts from the released weights, like the official recipe
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='checkpoints/ir50_mmpretrain.pth', prefix='backbone.')
    assert cfg.model.semantic_prior.checkpoint == 'checkpoints/segface_swinb_lapa_mmseg.pth'
    assert cfg.model.landmark_prior.checkpoint == 'checkpoints/mobilefacenet_68pt_mmpose.pth'
