"""ORSANet through the user's commands: tools/train.py (2 epochs), tools/test.py, --resume."""
import os.path as osp
import sys

import pytest
import torch
from tool_runner import data_options, write_images
from tool_runner import run_tool as run

pytestmark = pytest.mark.slow

CONFIG = osp.join('tests', 'data', 'tiny_orsanet.py')


def test_orsanet_trains_tests_and_resumes(repo_root, tmp_path):
    data_root = str(tmp_path / 'images')
    write_images(data_root)
    work_dir = str(tmp_path / 'work')
    train = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir,
             '--cfg-options', *data_options(data_root)]
    out = run(train, cwd=repo_root)
    # DAREWarmupHook: warm-up losses in epoch 1, DARE from epoch 2 (warmup_epochs=1)
    assert 'loss_ls' in out and 'loss_dare' in out, out[-3000:]

    ckpt = torch.load(osp.join(work_dir, 'epoch_2.pth'))
    keys = list(ckpt['state_dict'])
    assert any(k.startswith('neck.') for k in keys)
    assert not any(k.startswith(('semantic_prior.model.', 'landmark_prior.model.')) for k in keys)

    out = run([sys.executable, 'tools/test.py', CONFIG, osp.join(work_dir, 'epoch_2.pth'),
               '--work-dir', str(tmp_path / 'test'), '--random-weights',  # the random priors
               '--cfg-options', *data_options(data_root)], cwd=repo_root)
    assert 'accuracy/top1' in out

    out = run(train[:-len(data_options(data_root)) - 1] + [
        '--resume', osp.join(work_dir, 'epoch_1.pth'), '--cfg-options',
        *data_options(data_root)], cwd=repo_root)
    assert 'resumed epoch: 1' in out, out[-3000:]
    assert 'Epoch(train) [2]' in out and 'Epoch(train) [1]' not in out
