"""Checkpoints are loaded strictly wherever a user hands one over: tools/test.py, the
inferencer, the priors, the IR-50 init; a recipe without its weight files stops before training.
"""
import os.path as osp
import re
import sys

import pytest
import torch
from fer_checkpoint import CONFIG as SMALL_CONFIG
from mmengine.config import Config
from mmpretrain.registry import MODELS
from tool_runner import run_tool

from orsanet.apis import FERInferencer
from orsanet.checkpoints import CheckpointError, load_model_checkpoint
from orsanet.engine import missing_weight_files, setup_cpu_distributed
from orsanet.faces.sample_photos import astronaut

TINY_CONFIG = osp.join('tests', 'data', 'tiny_orsanet.py')


@pytest.fixture(scope='module')
def small_state(checkpoint):
    return torch.load(checkpoint, weights_only=True)['state_dict']


@pytest.fixture(scope='module')
def broken(small_state, tmp_path_factory):
    """A checkpoint without the neck and head, and one of another model (a ResNet-50)."""
    folder = tmp_path_factory.mktemp('broken')
    partial = {k: v for k, v in small_state.items() if not k.startswith(('neck.', 'head.'))}
    torch.save({'state_dict': partial}, folder / 'no_neck_head.pth')
    resnet = MODELS.build(dict(type='ImageClassifier',
                               backbone=dict(type='ResNet', depth=50),
                               neck=dict(type='GlobalAveragePooling'),
                               head=dict(type='LinearClsHead', num_classes=7,
                                         in_channels=2048)))
    torch.save({'state_dict': resnet.state_dict()}, folder / 'resnet50.pth')
    return {name: str(folder / f'{name}.pth') for name in ('no_neck_head', 'resnet50')}


def test_inferencer_refuses_partial_and_foreign_checkpoints(broken):
    with pytest.raises(CheckpointError, match=r'missing keys .*head\.(fc|se).*neck\.'):
        FERInferencer(SMALL_CONFIG, checkpoint=broken['no_neck_head'], device='cpu')
    with pytest.raises(CheckpointError, match=r'unexpected keys .*backbone\.layer1'):
        FERInferencer(SMALL_CONFIG, checkpoint=broken['resnet50'], device='cpu')


@pytest.mark.slow
def test_no_checkpoint_means_no_random_answers():
    with pytest.raises(ValueError, match='random weights.*--random-weights'):
        FERInferencer(SMALL_CONFIG, device='cpu')
    smoke = FERInferencer(SMALL_CONFIG, device='cpu', random_weights=True)
    result = smoke(astronaut())[0]
    assert result['faces'] and any('random weights' in w for w in result['warnings'])


@pytest.mark.slow
def test_tools_test_refuses_partial_and_foreign_checkpoints(broken, repo_root, tmp_path):
    """tools/test.py on the small ORSANet config (its priors are random: --random-weights)."""
    model = MODELS.build(Config.fromfile(osp.join(repo_root, TINY_CONFIG)).model)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith(('neck.', 'head.'))}
    partial = str(tmp_path / 'partial.pth')
    torch.save({'state_dict': state}, partial)
    for path, expected in ((partial, r'missing keys .*(head|neck)\.'),
                           (broken['resnet50'], r'unexpected keys .*backbone\.layer1')):
        output = run_tool([sys.executable, 'tools/test.py', TINY_CONFIG, path, '--random-weights',
                           '--work-dir', str(tmp_path / 'work')], cwd=repo_root, expect_ok=False)
        assert f'error: checkpoint {path} does not fit' in output, output[-3000:]
        assert re.search(expected, output) and 'Traceback' not in output


def test_truncated_checkpoint_is_named(checkpoint, tmp_path, repo_root):
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(open(checkpoint, 'rb').read()[:5000])
    output = run_tool([sys.executable, 'tools/test.py', TINY_CONFIG, str(cut)], cwd=repo_root,
                      expect_ok=False)
    assert f'error: checkpoint {cut}' in output and 'truncated' in output, output[-3000:]
    assert 'Traceback' not in output


def test_a_checkpoint_carrying_part_of_a_prior_is_refused(checkpoint, small_state, tmp_path):
    cfg = Config.fromfile(SMALL_CONFIG)
    model = MODELS.build(cfg.model)
    partial = {k: v for k, v in small_state.items()
               if not k.startswith('landmark_prior.model.backbone.conv_5')}
    path = str(tmp_path / 'partial_prior.pth')
    torch.save({'state_dict': partial}, path)
    with pytest.raises(CheckpointError, match=r'missing keys .*landmark_prior\.model\.backbone'):
        load_model_checkpoint(model, path, 'the small model')


def test_prior_without_weights_is_refused(repo_root, tmp_path):
    """A prior built without a weight file and not carried by the checkpoint: random."""
    model = MODELS.build(Config.fromfile(osp.join(repo_root, TINY_CONFIG)).model)
    path = str(tmp_path / 'no_priors.pth')
    torch.save({'state_dict': model.state_dict()}, path)  # save_weights=False: no prior keys
    with pytest.raises(CheckpointError, match=r'model.semantic_prior has no weight file'):
        load_model_checkpoint(model, path, 'the small model')
    load_model_checkpoint(model, path, 'the small model', random_weights_ok=True)


def test_recipe_lists_every_missing_weight_file(repo_root, tmp_path):
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'orsanet_r50_rafdb.py'))
    lines = missing_weight_files(cfg)
    assert len(lines) == 3
    assert 'model.backbone.init_cfg.checkpoint = checkpoints/ir50_mmpretrain.pth' in lines[0]
    assert 'ir50_to_mmpretrain.py ir50.pth checkpoints/ir50_mmpretrain.pth' in lines[0]
    assert 'segface_to_mmseg.py model_299.pt' in lines[1]
    assert 'mobilefacenet_to_mmpose.py mobilefacenet_model_best.pth.tar' in lines[2]
    output = run_tool([sys.executable, 'tools/train.py', 'configs/orsanet_r50_rafdb.py',
                       '--work-dir', str(tmp_path)], cwd=repo_root, expect_ok=False)
    assert 'needs 3 weight file(s) that are not there' in output, output[-3000:]
    assert 'Traceback' not in output and not list(tmp_path.glob('*/*.log'))
    # training the IR-50 from scratch is said explicitly; the priors are still needed
    cfg.model.backbone.init_cfg = None
    assert len(missing_weight_files(cfg)) == 2


def test_sync_bn_refused_on_cpu_processes():
    cfg = Config(dict(launcher='pytorch', sync_bn='torch'))
    if torch.cuda.is_available():
        pytest.skip('the check is for machines without CUDA')
    with pytest.raises(ValueError, match='SyncBatchNorm runs on GPUs only'):
        setup_cpu_distributed(cfg)
