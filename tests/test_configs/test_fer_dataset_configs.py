"""The FER dataset configs: official pipelines, dataset arguments, and a test run through the
configured pipeline + evaluator on an Occlu-FER-layout fixture with subset tags."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

DATASET_CONFIGS = {'rafdb': ('RAFDB', 7), 'affectnet7': ('AffectNet', 7),
                   'affectnet8': ('AffectNet', 8), 'ferplus': ('FERPlus', 8),
                   'occlu_fer': ('OccluFER', 7)}


def load(repo_root, name):
    return Config.fromfile(osp.join(repo_root, 'configs', '_base_', 'datasets', f'{name}.py'))


@pytest.mark.parametrize('name', sorted(DATASET_CONFIGS))
def test_official_pipelines(repo_root, name):
    cfg = load(repo_root, name)
    dataset_type, num_classes = DATASET_CONFIGS[name]
    train, test = cfg.train_dataloader.dataset, cfg.test_dataloader.dataset
    assert train.type == test.type == dataset_type
    if dataset_type == 'AffectNet':
        assert train.num_classes == test.num_classes == num_classes
        assert train.max_per_class == 5000 and 'max_per_class' not in test
    steps = [t['type'] for t in train.pipeline]
    load_step = [] if name == 'ferplus' else ['LoadImageFromFile']  # FERPlus decodes CSV pixels
    assert steps == load_step + ['RandomFlip', 'PILResize', 'TorchvisionErasing', 'PackInputs']
    erasing = train.pipeline[len(load_step) + 2]
    assert (erasing.prob, tuple(erasing.scale)) == (0.5, (.02, .1))
    assert [t['type'] for t in test.pipeline] == load_step + ['PILResize', 'PackInputs']
    assert test.pipeline[-2].scale == (224, 224) and test.test_mode
    assert 'subset_tags' in test.pipeline[-1].meta_keys
    assert [e['type'] for e in cfg.test_evaluator] == ['Accuracy', 'FERMetric']


def test_occlufer_training_config(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'orsanet_r50_occlufer.py'))
    assert cfg.model.head.num_classes == cfg.model.data_preprocessor.num_classes == 7
    assert cfg.model.head.warmup_epochs == 5
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(4e-6)
    assert cfg.train_dataloader.dataset.type == 'OccluFER'
    assert cfg.test_dataloader.dataset.data_prefix == 'valid'
    rafdb = Config.fromfile(osp.join(repo_root, 'configs', 'orsanet_r50_rafdb.py'))
    assert rafdb.train_dataloader.dataset.type == 'RAFDB'


def test_configured_occlu_fer_test_run_reports_tags(repo_root, tmp_path):
    codes = ('AN', 'CO', 'DI', 'FE', 'HA', 'NE', 'SA', 'SU')
    for i, code in enumerate(codes):
        os.makedirs(tmp_path / 'valid' / code)
        cv2.imwrite(str(tmp_path / 'valid' / code / f'img{i}.jpg'), np.full((40, 30, 3), 9 * i,
                                                                            np.uint8))
    # a user's occlusion list of the fixture, in the RAN "<label>/<name>" format; labels in the
    # official order AN DI FE HA NE SA SU, then CO (img4 is HA: 3)
    (tmp_path / 'occ.txt').write_text('0/img0.jpg\n3/img4.jpg\n')
    cfg = load(repo_root, 'occlu_fer')
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(tmp_path),
                                  tag_files=dict(occlusion='occ.txt')))
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = dataset.metainfo
    assert dataset.get_gt_labels().tolist() == [0, 7, 1, 2, 3, 4, 5, 6]  # folders AN, CO, ...
    for i in range(len(dataset)):
        packed = dataset[i]
        assert packed['inputs'].shape == (3, 224, 224)
        sample = packed['data_samples']
        wrong = i == 4  # the second occluded image is predicted as Anger
        label = 0 if wrong else int(sample.gt_label)
        sample.set_pred_score(torch.nn.functional.one_hot(torch.tensor(label), 8).float())
        evaluator.process([sample])
    metrics = evaluator.evaluate(len(dataset))
    assert metrics['accuracy/top1'] == pytest.approx(100 * 7 / 8)
    assert metrics['fer/top1'] == pytest.approx(100 * 7 / 8)
    assert metrics['fer/occlusion/top1'] == pytest.approx(50.0)
    assert metrics['fer/occlusion/num_samples'] == 2
