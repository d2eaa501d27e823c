"""tools/train.py, tools/test.py, --resume and tools/dist_train.sh on a tiny stock classifier."""
import os
import os.path as osp
import shutil
import sys

import pytest
import torch
from tool_runner import data_options, free_port, run_python_tool, write_images
from tool_runner import run_tool as run

pytestmark = pytest.mark.slow

CONFIG = osp.join('tests', 'data', 'tiny_classifier.py')


@pytest.fixture(scope='module')
def trained(tmp_path_factory, repo_root):
    tmp = tmp_path_factory.mktemp('tools')
    data_root = str(tmp / 'images')
    write_images(data_root)
    work_dir = str(tmp / 'work')
    out = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir,
               '--cfg-options', *data_options(data_root)], cwd=repo_root)
    return dict(data_root=data_root, work_dir=work_dir, log=out)


def test_train_writes_checkpoint_loadable_weights_only(trained):
    ckpt_path = osp.join(trained['work_dir'], 'iter_2.pth')
    assert osp.isfile(ckpt_path), os.listdir(trained['work_dir'])
    assert 'Iter(train) [2/2]' in trained['log']
    ckpt = torch.load(ckpt_path)  # weights_only=True: the compat allowlist at work
    assert ckpt['meta']['iter'] == 2
    assert 'backbone.conv1.weight' in ckpt['state_dict']


def test_test_tool_evaluates_checkpoint(trained, repo_root, tmp_path):
    dump = str(tmp_path / 'preds.pkl')
    out = run([sys.executable, 'tools/test.py', CONFIG,
               osp.join(trained['work_dir'], 'iter_2.pth'), '--work-dir', str(tmp_path),
               '--out', dump, '--cfg-options', *data_options(trained['data_root'])],
              cwd=repo_root)
    assert 'accuracy/top1' in out
    assert osp.isfile(dump)


def test_test_tool_names_missing_checkpoint(repo_root, tmp_path):
    proc = run_python_tool([sys.executable, 'tools/test.py', CONFIG, str(tmp_path / 'no.pth')],
                           cwd=repo_root, timeout=300)
    assert proc.returncode != 0
    assert 'no.pth does not exist' in proc.stderr


def test_resume_continues_from_last_checkpoint(trained, repo_root):
    out = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', trained['work_dir'],
               '--resume', '--cfg-options', *data_options(trained['data_root']),
               'train_cfg.max_iters=4'], cwd=repo_root)
    assert 'resumed epoch: 0, iter: 2' in out, out[-3000:]
    assert 'Iter(train) [3/4]' in out and 'Iter(train) [1/4]' not in out
    resumed = torch.load(osp.join(trained['work_dir'], 'iter_4.pth'))
    assert resumed['meta']['iter'] == 4


def test_dist_train_two_cpu_processes(trained, repo_root, tmp_path):
    work_dir = str(tmp_path / 'dist')
    out = run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
               '--cfg-options', *data_options(trained['data_root']),
               'train_dataloader.batch_size=2'], cwd=repo_root, PORT=str(free_port()))
    assert 'Distributed training: True' in out and 'GPU number: 2' in out, out[-3000:]
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))


def copy_checkpoint(trained, work_dir: str) -> str:
    os.makedirs(work_dir)
    good = osp.join(work_dir, 'iter_2.pth')
    shutil.copy(osp.join(trained['work_dir'], 'iter_2.pth'), good)
    os.utime(good, (1_000_000_000, 1_000_000_000))  # older than what the test writes next
    return good


def test_resume_from_a_truncated_checkpoint_names_the_usable_ones(trained, repo_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    good = copy_checkpoint(trained, work_dir)
    bad = osp.join(work_dir, 'iter_4.pth')
    data = open(good, 'rb').read()
    with open(bad, 'wb') as f:
        f.write(data[:len(data) // 3])  # what a full disk or a killed copy leaves
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(bad)
    out = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--resume',
               '--cfg-options', *data_options(trained['data_root']), 'train_cfg.max_iters=6'],
              cwd=repo_root, expect_ok=False)
    assert f'--resume: cannot resume from {bad}: it cannot be read' in out, out[-3000:]
    assert f'newest first: {good}; pass one with --resume PATH' in out
    assert 'Iter(train)' not in out


def test_resume_from_a_checkpoint_of_another_model_stops(trained, repo_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    good = copy_checkpoint(trained, work_dir)
    checkpoint = torch.load(good)
    checkpoint['state_dict'] = {k: v for k, v in checkpoint['state_dict'].items()
                                if not k.startswith('head.')}
    checkpoint['state_dict']['backbone.conv1.weight'] = torch.zeros(8, 3, 3, 3)
    other = osp.join(work_dir, 'other_model.pth')
    torch.save(checkpoint, other)
    out = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--resume', other,
               '--cfg-options', *data_options(trained['data_root']), 'train_cfg.max_iters=6'],
              cwd=repo_root, expect_ok=False)
    assert f'--resume: cannot resume from {other}: it is a checkpoint of another model' in out, \
        out[-3000:]
    assert '2 keys the model needs are missing (head.fc.weight, head.fc.bias)' in out
    assert 'backbone.conv1.weight (8, 3, 3, 3) vs (64, 3, 3, 3)' in out
    assert f'newest first: {good}' in out
    assert 'Iter(train)' not in out
