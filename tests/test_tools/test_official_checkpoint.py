"""A whole trained official ORSANet checkpoint: convert it with one command, load it as
tools/test.py does (strictly), and get the official model's logits and features back.

``../shared/reference/whole_model/make_official_checkpoint.py`` writes a full-size checkpoint in
the official format (made-up weights, every part, ``module.`` keys); ``io.pt`` holds a normalised
batch and the official model's outputs for it (eval mode).
"""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from tool_runner import run_python_tool

from orsanet.checkpoints import load_model_checkpoint, model_cfg_for_checkpoint

CONFIG = 'configs/orsanet_r50_rafdb.py'
pytestmark = pytest.mark.slow


def run(args, cwd) -> subprocess.CompletedProcess:
    return run_python_tool([sys.executable, *args], cwd=cwd)


@pytest.fixture(scope='module')
def official(tmp_path_factory, shared_dir, repo_root):
    """(official checkpoint path, io.pt) for the reference seed."""
    folder = osp.join(shared_dir, 'reference', 'whole_model')
    io = torch.load(osp.join(folder, 'io.pt'), weights_only=True)
    path = str(tmp_path_factory.mktemp('official') / 'epoch127_acc0.9224.pth')
    proc = run([osp.join(folder, 'make_official_checkpoint.py'), path, '--seed',
                str(int(io['seed']))], repo_root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return path, io


@pytest.fixture(scope='module')
def converted(official, tmp_path_factory, repo_root):
    src, _ = official
    dst = str(tmp_path_factory.mktemp('converted') / 'orsanet_r50_rafdb_official.pth')
    proc = run(['tools/model_converters/orsanet_to_mmpretrain.py', src, dst, '--config', CONFIG],
               repo_root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f'test it with: python tools/test.py {CONFIG} {dst}' in proc.stdout
    return dst


def test_converted_checkpoint_gives_the_official_logits(official, converted, repo_root):
    _, io = official
    cfg = Config.fromfile(osp.join(repo_root, CONFIG))
    # as tools/test.py: the priors come from the checkpoint (their own files do not exist here)
    model_cfg = model_cfg_for_checkpoint(cfg.model, converted)
    assert model_cfg['semantic_prior']['checkpoint'] is None
    assert model_cfg['landmark_prior']['checkpoint'] is None
    model = MODELS.build(model_cfg)
    meta = load_model_checkpoint(model, converted, CONFIG)
    assert tuple(meta['dataset_meta']['classes']) == tuple(cfg_classes(cfg))
    model.eval()
    with torch.no_grad():
        feature = model.extract_feat(io['x'], stage='pre_logits')
        logits = model.head.fc(feature)
    for name, ours in (('feature', feature), ('logits', logits)):
        expected = io[name]
        scale = expected.abs().max().item()
        diff = (ours - expected).abs().max().item()
        assert diff <= 1e-5 * scale, f'{name}: max abs diff {diff:.3g} (scale {scale:.3g})'


def cfg_classes(cfg: Config):
    from mmpretrain.registry import DATASETS

    return DATASETS.get(cfg.test_dataloader.dataset.type).METAINFO['classes']


def test_landmark_prior_keeps_the_checkpoints_drifted_statistics(official, converted):
    """The official loop leaves MobileFaceNet in train mode: the converted checkpoint must carry
    the BatchNorm statistics of THIS checkpoint, not of the released landmark file."""
    src, _ = official
    source = torch.load(src, weights_only=True, mmap=True)['model_state_dict']
    target = torch.load(converted, weights_only=True, mmap=True)['state_dict']
    assert torch.equal(target['landmark_prior.model.backbone.conv1.bn.running_var'],
                       source['module.face_landback.conv1.bn.running_var'])


def test_tools_test_runs_the_converted_checkpoint(converted, tmp_path, repo_root):
    """tools/test.py CONFIG CKPT with no prior weight file on disk: exit 0 with metrics."""
    import cv2
    import numpy as np

    root = tmp_path / 'RAF-DB'
    (root / 'Image' / 'aligned').mkdir(parents=True)
    (root / 'EmoLabel').mkdir()
    rng = np.random.default_rng(0)
    lines = []
    for i in range(1, 3):
        name = f'test_{i:04d}'
        cv2.imwrite(str(root / 'Image' / 'aligned' / f'{name}_aligned.jpg'),
                    rng.integers(0, 255, (100, 100, 3), dtype=np.uint8))
        lines.append(f'{name}.jpg {i}')
    (root / 'EmoLabel' / 'list_patition_label.txt').write_text('\n'.join(lines) + '\n')
    proc = run(['tools/test.py', CONFIG, converted, '--work-dir', str(tmp_path / 'work'),
                '--cfg-options', f'test_dataloader.dataset.data_root={root}',
                'test_dataloader.num_workers=0', 'test_dataloader.batch_size=2'], repo_root)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'accuracy/top1' in proc.stdout + proc.stderr


def test_converter_refuses_a_checkpoint_without_a_part(official, tmp_path, repo_root):
    """A checkpoint missing its MCM (or anything else) stops the converter, naming the keys."""
    src, _ = official
    state = torch.load(src, weights_only=True, mmap=True)['model_state_dict']
    partial = {k: v for k, v in state.items() if not k.startswith('module.pyramid_fuse.')}
    path, dst = str(tmp_path / 'partial.pth'), str(tmp_path / 'out.pth')
    torch.save({'model_state_dict': partial}, path)
    proc = run(['tools/model_converters/orsanet_to_mmpretrain.py', path, dst, '--config',
                CONFIG], repo_root)
    assert proc.returncode == 1
    assert 'missing keys' in proc.stderr and 'neck.blocks' in proc.stderr, proc.stderr
    assert not osp.exists(dst)


def test_converter_refuses_another_model(tmp_path, repo_root):
    """A ResNet's weights (nothing of ORSANet) stop the converter: exit 1, keys named, no file."""
    from mmpretrain.models import ResNet

    path, dst = str(tmp_path / 'resnet.pth'), str(tmp_path / 'out.pth')
    torch.save({'model_state_dict': ResNet(depth=18).state_dict()}, path)
    proc = run(['tools/model_converters/orsanet_to_mmpretrain.py', path, dst], repo_root)
    assert proc.returncode == 1 and not osp.exists(dst)
    assert "official part 'ir_back'" in proc.stderr or 'map to no part' in proc.stderr, \
        proc.stderr
