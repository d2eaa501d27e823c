"""configs/priors/segface_swinb_lapa.py is a working mmseg config (model, data, evaluator)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS, METRICS, MODELS

LAPA_CLASSES = ('background', 'skin', 'left_eyebrow', 'right_eyebrow', 'left_eye', 'right_eye',
                'nose', 'upper_lip', 'inner_mouth', 'lower_lip', 'hair')


@pytest.fixture(scope='module')
def cfg(repo_root) -> Config:
    return Config.fromfile(osp.join(repo_root, 'configs', 'priors', 'segface_swinb_lapa.py'))


def fake_lapa(root: str, split: str, count: int = 2) -> None:
    """LaPa's layout: <split>/images/*.jpg, <split>/labels/*.png with ids 0..10."""
    rng = np.random.default_rng(0)
    for folder in ('images', 'labels'):
        os.makedirs(osp.join(root, split, folder), exist_ok=True)
    for i in range(count):
        cv2.imwrite(osp.join(root, split, 'images', f'face_{i}.jpg'),
                    rng.integers(0, 255, (300, 260, 3), dtype=np.uint8))
        label = np.zeros((300, 260), dtype=np.uint8)
        label[:, :130] = 2  # left brow on the left half, right brow on the right half
        label[:, 130:] = 3
        cv2.imwrite(osp.join(root, split, 'labels', f'face_{i}.png'), label)


def test_model_builds_in_mmseg_scope(cfg):
    assert cfg.default_scope == 'mmseg' and 'orsanet' in cfg.custom_imports.imports
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'FaceSwinTransformer'
    assert model.decode_head.num_classes == 11 and model.decode_head.out_channels == 11
    assert cfg.model.data_preprocessor.bgr_to_rgb  # ImageNet mean/std on RGB, as official
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 224, 224), None, mode='tensor')
    assert logits.shape == (1, 11, 56, 56)


def test_datasets_pipelines_and_metric(cfg, tmp_path):
    root = str(tmp_path)
    for split in ('train', 'val', 'test'):
        fake_lapa(root, split)
    with DefaultScope.overwrite_default_scope('mmseg'):
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            dataset_cfg = cfg[loader].dataset.copy()
            dataset_cfg.data_root = root
            dataset = DATASETS.build(dataset_cfg)
            assert len(dataset) == 2 and dataset.metainfo['classes'] == LAPA_CLASSES
            sample = dataset[0]
            assert sample['inputs'].shape == (3, 224, 224)
            labels = set(sample['data_samples'].gt_sem_seg.data.unique().tolist())
            assert labels <= {2, 3, 255}
        metric = METRICS.build(cfg.val_evaluator)
    assert type(metric).__name__ == 'IoUMetric'
