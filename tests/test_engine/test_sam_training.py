"""End to end: SAM training with the ImbalancedSampler in 1 vs 2 gloo processes, and SIGKILL +
--resume. Real subprocesses of tools/train.py and tools/dist_train.sh on CPU."""
import glob
import json
import os
import os.path as osp
import sys
from typing import Dict

import cv2
import numpy as np
import pytest
import torch
from tool_runner import free_port
from tool_runner import run_tool as train

pytestmark = pytest.mark.slow

CONFIG = osp.join('tests', 'data', 'tiny_sam_classifier.py')
KILLED_CONFIG = osp.join('tests', 'data', 'tiny_sam_classifier_killed.py')
# Two ranks average two half-batch gradients where one process averages the whole batch: the
# same sum in another order, so the weights agree to float32 rounding, amplified by Adam's
# division by sqrt(v) for small gradients and by SAM's normalisation (measured max-abs
# difference after 6 SAM(Adam, lr 1e-3) steps: 1.7e-6, weights up to 0.2).
DDP_TOLERANCE = 1e-5


def write_images(root: str) -> None:
    rng = np.random.default_rng(0)
    for label, (cls, count) in enumerate((('calm', 8), ('smile', 5), ('shock', 3))):
        os.makedirs(osp.join(root, cls))
        for i in range(count):
            img = rng.integers(0, 120, (36, 36), dtype=np.uint8) + 60 * label
            cv2.imwrite(osp.join(root, cls, f'{i}.png'), img)


def weights(work_dir: str, epoch: int = 3) -> Dict[str, torch.Tensor]:
    return torch.load(osp.join(work_dir, f'epoch_{epoch}.pth'))['state_dict']


def scalars(work_dir: str) -> Dict[int, dict]:
    """Logged training values by iteration, from the newest run in the work dir."""
    path = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))[-1]
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return {row['step']: row for row in rows if 'loss' in row}


@pytest.fixture(scope='module')
def single(tmp_path_factory, repo_root):
    tmp = tmp_path_factory.mktemp('sam')
    data_root = str(tmp / 'images')
    write_images(data_root)
    work_dir = str(tmp / 'single')
    log = train([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir,
                 '--cfg-options', f'train_dataloader.dataset.data_root={data_root}'], repo_root)
    return dict(data_root=data_root, work_dir=work_dir, log=log, tmp=tmp)


def test_two_gloo_processes_equal_one_process(single, repo_root):
    work_dir = str(single['tmp'] / 'dist')
    log = train(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
                 '--cfg-options', f'train_dataloader.dataset.data_root={single["data_root"]}',
                 'train_dataloader.batch_size=4'], repo_root, PORT=str(free_port()))
    assert 'Distributed training: True' in log, log[-3000:]
    one, two = weights(single['work_dir']), weights(work_dir)
    assert one.keys() == two.keys()
    diffs = {k: (one[k] - two[k]).abs().max().item() for k in one}
    assert max(diffs.values()) <= DDP_TOLERANCE, diffs
    # the run really trained: the weights moved away from the first epoch's
    first = weights(single['work_dir'], epoch=1)
    assert max((one[k] - first[k]).abs().max().item() for k in one) > 1e-4


@pytest.mark.parametrize('kill_after_iter', [3, 5])  # in the warm-up / in the main phase
def test_sigkill_mid_epoch_then_resume_equals_uninterrupted(single, repo_root, kill_after_iter):
    work_dir = str(single['tmp'] / f'killed_{kill_after_iter}')
    options = ['--cfg-options', f'train_dataloader.dataset.data_root={single["data_root"]}']
    pythonpath = os.pathsep.join([osp.join(repo_root, 'tests', 'data'),
                                  os.environ.get('PYTHONPATH', '')])
    train([sys.executable, 'tools/train.py', KILLED_CONFIG, '--work-dir', work_dir, *options,
           f'custom_hooks.1.after_iter={kill_after_iter}'],
          repo_root, expect_ok=False, PYTHONPATH=pythonpath)
    done_epochs = (kill_after_iter - 1) // 2  # 2 iterations per epoch
    assert osp.isfile(osp.join(work_dir, f'epoch_{done_epochs}.pth'))
    assert not osp.isfile(osp.join(work_dir, f'epoch_{done_epochs + 1}.pth')), \
        'the run was not killed mid-epoch'
    log = train([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--resume',
                 *options], repo_root)
    assert f'resumed epoch: {done_epochs}, iter: {2 * done_epochs}' in log, log[-3000:]
    resumed, full = weights(work_dir), weights(single['work_dir'])
    for key in full:
        assert torch.equal(resumed[key], full[key]), key
    got, want = scalars(work_dir), scalars(single['work_dir'])
    assert sorted(got) == list(range(2 * done_epochs + 1, 7))
    for step in got:
        for key in ('loss', 'loss_ce', 'lr'):
            assert got[step][key] == pytest.approx(want[step][key], rel=1e-6), (step, key)
    # the warm-up switch lands on the same epoch: CE + 2 x LSCE in epochs 1-2, CE + 0.1 DARE in 3
    # (the logger keeps showing a finished term's last value, so check what the total is made of)
    for step in got:
        term = 'loss_ls' if step <= 4 else 'loss_dare'
        row = got[step]
        assert row['loss'] == pytest.approx(row['loss_ce'] + row[term], rel=1e-6), (step, row)
        assert step > 4 or 'loss_dare' not in row
