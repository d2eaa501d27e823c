"""The command-line tools refuse what they cannot do right, before any training: misspelt
--cfg-options keys, --resume without a checkpoint, --check-data findings, scripts without
arguments. The tests that start Python tools are marked slow (about 10 s each)."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from tool_runner import data_options, run_tool, write_images

CONFIG = osp.join('tests', 'data', 'tiny_classifier.py')


@pytest.mark.parametrize('script,usage', [
    ('dist_train.sh', 'usage: bash tools/dist_train.sh CONFIG GPUS'),
    ('dist_test.sh', 'usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS'),
    ('slurm_train.sh', 'usage: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG GPUS'),
    ('torchrun.sh', 'usage: bash tools/torchrun.sh NPROC SCRIPT'),
])
def test_launch_scripts_without_arguments_print_usage(repo_root, script, usage):
    proc = subprocess.run(['bash', osp.join('tools', script)], cwd=repo_root,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(usage), proc.stderr
    assert 'unbound variable' not in proc.stderr


def test_dist_train_with_a_non_numeric_gpu_count(repo_root):
    proc = subprocess.run(['bash', 'tools/dist_train.sh', CONFIG, 'two'], cwd=repo_root,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "must be a positive integer, got 'two'" in proc.stderr


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('images') / 'images')
    write_images(root)
    return root


@pytest.mark.slow
@pytest.mark.parametrize('tool,option,missing,nearest', [
    ('train.py', 'max_iters=1', 'max_iters', 'train_cfg.max_iters'),
    ('test.py', 'tset_dataloader.batch_size=2', 'tset_dataloader', 'test_dataloader.batch_size'),
])
def test_tools_refuse_unknown_cfg_options(repo_root, tmp_path, images, tool, option, missing,
                                          nearest):
    checkpoint = [str(tmp_path / 'any.pth')] if tool == 'test.py' else []
    for path in checkpoint:
        open(path, 'wb').close()
    out = run_tool([sys.executable, osp.join('tools', tool), CONFIG, *checkpoint,
                    '--work-dir', str(tmp_path / 'work'), '--cfg-options', option,
                    *data_options(images)], cwd=repo_root, expect_ok=False)
    assert f"{option.split('=')[0]}: the config has no key '{missing}'; nearest existing key: " \
           f'{nearest}' in out, out[-3000:]
    assert 'Iter(train)' not in out and 'Iter(test)' not in out


@pytest.mark.slow
def test_resume_without_a_checkpoint_stops(repo_root, tmp_path, images):
    work_dir = str(tmp_path / 'fresh')
    out = run_tool([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--resume',
                    '--cfg-options', *data_options(images)], cwd=repo_root, expect_ok=False)
    assert f'--resume: the work dir {work_dir} has no checkpoint to resume from' in out, \
        out[-3000:]
    assert 'Iter(train)' not in out
    assert not osp.exists(osp.join(work_dir, 'iter_2.pth'))


def write_split_with_bad_images(root: str, missing: bool) -> str:
    """The images of write_images plus one undecodable file; or an annotation list that also
    names a missing file."""
    write_images(root)
    with open(osp.join(root, 'smile', 'broken.png'), 'wb') as f:
        f.write(b'\x89PNG not really')
    if not missing:
        return ''
    os.remove(osp.join(root, 'smile', 'broken.png'))
    ann = osp.join(root, 'list.txt')
    with open(ann, 'w') as f:
        f.write('calm/0.png 0\nsmile/1.png 1\nsmile/gone.png 1\n')
    return ann


@pytest.mark.slow
def test_check_data_finds_bad_images_in_val_and_test_before_training(repo_root, tmp_path,
                                                                     images):
    val, test = str(tmp_path / 'val'), str(tmp_path / 'test')
    write_split_with_bad_images(val, missing=False)
    ann = write_split_with_bad_images(test, missing=True)
    out = run_tool([sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(tmp_path / 'w'),
                    '--check-data', '--cfg-new-keys', '--cfg-options',
                    f'train_dataloader.dataset.data_root={images}',
                    f'val_dataloader.dataset.data_root={val}',
                    f'test_dataloader.dataset.data_root={test}',
                    f'test_dataloader.dataset.ann_file={ann}'], cwd=repo_root, expect_ok=False)
    assert '--check-data found images that cannot be loaded, before the first iteration' in out, \
        out[-3000:]
    broken = osp.join(val, 'smile', 'broken.png')
    assert (f'val_dataloader (CustomDataset): 1 of 9 images cannot be loaded (1 undecodable): '
            f'{broken} (undecodable') in out
    assert (f'test_dataloader (CustomDataset): 1 of 3 images cannot be loaded (1 missing): '
            f'{osp.join(test, "smile", "gone.png")} (missing)') in out
    assert 'train_dataloader' not in out.split('--check-data found')[1]  # the train split is fine
    assert 'Iter(train)' not in out


@pytest.mark.slow
def test_test_tool_checks_its_split(repo_root, tmp_path):
    test = str(tmp_path / 'test')
    write_split_with_bad_images(test, missing=False)
    checkpoint = str(tmp_path / 'any.pth')
    open(checkpoint, 'wb').close()
    out = run_tool([sys.executable, 'tools/test.py', CONFIG, checkpoint, '--check-data',
                    '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                    f'test_dataloader.dataset.data_root={test}'], cwd=repo_root, expect_ok=False)
    assert 'test_dataloader (CustomDataset): 1 of 9 images cannot be loaded' in out, out[-3000:]
