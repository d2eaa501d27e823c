"""The three compatibility patches of ``orsanet.compat``: each must be needed and must work."""
import importlib.util
import os
import os.path as osp
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from cached_venv import cached_venv_python
from mmengine.logging import MessageHub

from orsanet import compat


def run_python(code: str, cwd: str, python: str = sys.executable,
               env: dict = None) -> subprocess.CompletedProcess:
    return subprocess.run([python, '-c', textwrap.dedent(code)], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=env)


# (b) MMEngine checkpoints under weights_only=True ------------------------------------------------

def _message_hub_checkpoint(path: str) -> None:
    hub = MessageHub.get_instance('compat_test')
    for value in (1.5, 0.5, 2.0):
        hub.update_scalar('train/loss', value)
    hub.update_scalar('train/count', 3)
    hub.update_info('iter', 7)
    torch.save({'state_dict': {'w': torch.ones(2)}, 'message_hub': hub.state_dict(),
                'meta': {'epoch': 1, 'iter': 7}}, path)


def test_mmengine_checkpoint_loads_weights_only(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    _message_hub_checkpoint(path)
    ckpt = torch.load(path)  # torch's default: weights_only=True
    restored = MessageHub.get_instance('compat_test_restored')
    restored.load_state_dict(ckpt['message_hub'])
    assert restored.get_scalar('train/loss').mean() == pytest.approx(4.0 / 3)
    assert restored.get_scalar('train/loss').current() == 2.0
    assert restored.get_info('iter') == 7


def test_without_allowlist_such_checkpoints_fail(tmp_path, repo_root):
    """Proves the allowlist is what makes the test above pass."""
    path = str(tmp_path / 'ckpt.pth')
    _message_hub_checkpoint(path)
    proc = run_python(f"""
        import torch
        try:
            torch.load({path!r})
        except Exception as err:
            print('REFUSED', type(err).__name__)
        """, cwd=str(tmp_path))
    assert 'REFUSED UnpicklingError' in proc.stdout, proc.stdout + proc.stderr


def test_mmpose_dataset_meta_loads_weights_only(tmp_path):
    """mmpose checkpoints keep dataset_meta, with empty arrays (300W: no sigmas, no skeleton
    colours); pickle protocol 2 writes their empty data as a call of ``bytes``."""
    path = str(tmp_path / 'pose.pth')
    meta = dict(sigmas=np.array([], np.float32), skeleton_link_colors=np.zeros((0, 3), np.uint8),
                flip_indices=[1, 0])
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': {'dataset_meta': meta}}, path)
    loaded = torch.load(path)['meta']['dataset_meta']
    assert loaded['sigmas'].shape == (0, ) and loaded['sigmas'].dtype == np.float32
    assert loaded['skeleton_link_colors'].shape == (0, 3)
    # the numpy part of the allowlist alone, without bytes, is not enough
    proc = run_python(f"""
        import numpy as np, torch
        from numpy._core import multiarray
        torch.serialization.add_safe_globals([
            multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
            type(np.dtype('float32')), type(np.dtype('uint8'))])
        try:
            torch.load({path!r})
        except Exception as err:
            print('REFUSED', 'GLOBAL bytes' in str(err))
        """, cwd=str(tmp_path))
    assert 'REFUSED True' in proc.stdout, proc.stdout + proc.stderr


class _Exploit:
    """Unpickles as getattr(np.ndarray, 'tofile'): both globals allowed, the attribute is not."""

    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


def test_allowlist_keeps_arbitrary_getattr_out(tmp_path):
    path = str(tmp_path / 'evil.pth')
    with open(path, 'wb') as f:
        pickle.dump({'x': _Exploit()}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match='only on HistoryBuffer statistics'):
        torch.load(path)


# (c) transformers >= 4.52 and mmpretrain.models ----------------------------------------------

def test_multimodal_switched_off_under_a_breaking_transformers(monkeypatch):
    """transformers >= 4.52 (5 included): the multimodal models are switched off before
    ``mmpretrain.models`` is imported (the venv pins an older transformers, so the import itself
    is checked in tests/test_mixing.py without the plugin)."""
    from mmpretrain.utils import dependency
    monkeypatch.delitem(sys.modules, 'mmpretrain.models')  # not imported yet, as seen by apply
    monkeypatch.setattr(dependency, 'WITH_MULTIMODAL', True)
    for release in ((4, 52), (5, 0)):
        monkeypatch.setattr(compat, '_release', lambda name, release=release: release)
        assert compat.disable_mmpretrain_multimodal() is True
        assert dependency.WITH_MULTIMODAL is False
        dependency.WITH_MULTIMODAL = True


def test_multimodal_left_alone_before_transformers_4_52(monkeypatch):
    from mmpretrain.utils import dependency
    monkeypatch.delitem(sys.modules, 'mmpretrain.models')
    monkeypatch.setattr(dependency, 'WITH_MULTIMODAL', True)
    for release in ((4, 51), None):
        monkeypatch.setattr(compat, '_release', lambda name, release=release: release)
        assert compat.disable_mmpretrain_multimodal() is False
        assert dependency.WITH_MULTIMODAL is True


def test_transformers_release_read_from_metadata():
    from importlib.metadata import version
    major, minor = version('transformers').split('.')[:2]
    assert compat._release('transformers') == (int(major), int(minor))
    assert compat._release('transformers') < compat.FIRST_BREAKING_TRANSFORMERS, (
        'the venv pins transformers<4.52 (requirements/env.txt)')
    assert compat._release('no-such-package-orsanet') is None


# (a) mmcv without compiled ops ------------------------------------------------------------------

# Trains one step of a stock mmseg model (no mmcv ops in it), runs a served op (NMS) and calls an
# op orsanet does not serve (soft-NMS).
LITE_SCRIPT = """
    import orsanet, torch
    from orsanet.compat import MissingMMCVOpError
    assert orsanet.compat.apply()['lazy_mmcv_ops'], 'compiled ops were found'
    import mmseg.models, mmpose.models, mmdet.models  # import mmcv.ops at module level
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    model = MODELS.build(dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1]),
        backbone=dict(type='ResNetV1c', depth=18, num_stages=2, out_indices=(1, ),
                      strides=(1, 2), dilations=(1, 1), norm_cfg=dict(type='BN')),
        decode_head=dict(type='FCNHead', in_channels=128, channels=16, num_convs=1,
                         num_classes=3, in_index=0, norm_cfg=dict(type='BN'),
                         loss_decode=dict(type='CrossEntropyLoss')),
        train_cfg=dict(), test_cfg=dict(mode='whole')))
    from mmseg.structures import SegDataSample
    from mmengine.structures import PixelData
    samples = []
    for _ in range(2):
        s = SegDataSample(metainfo=dict(img_shape=(32, 32), ori_shape=(32, 32)))
        s.gt_sem_seg = PixelData(data=torch.randint(0, 3, (1, 32, 32)))
        samples.append(s)
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = model.loss(torch.rand(2, 3, 32, 32), samples)
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    loss.backward()
    optim.step()
    print('TRAINED', float(loss))
    from mmcv.ops import nms, soft_nms
    boxes = torch.tensor([[0., 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]])
    print('SERVED_NMS', nms(boxes, torch.tensor([.9, .8, .7]), 0.5)[1].tolist())
    try:
        soft_nms(boxes, torch.tensor([.9, .8, .7]))
    except MissingMMCVOpError as err:
        print('OP_ERROR', err)
"""

BLOCK_EXT = """
    import sys
    class _NoExt:
        def find_spec(self, name, path=None, target=None):
            if name == 'mmcv._ext':
                raise ImportError('simulated: no compiled mmcv ops')
    sys.meta_path.insert(0, _NoExt())
"""


def _check_lite_run(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert 'TRAINED' in proc.stdout
    assert 'SERVED_NMS [0, 2]' in proc.stdout, proc.stdout
    assert 'OP_ERROR mmcv op `softnms`' in proc.stdout, proc.stdout
    assert '`make env MMCV=full`' in proc.stdout


def _has_compiled_mmcv() -> bool:
    return importlib.util.find_spec('mmcv._ext') is not None


@pytest.mark.slow
def test_mmcv_ops_served_lazily_when_extension_missing(tmp_path):
    """Simulates mmcv-lite by hiding ``mmcv._ext`` from the import system."""
    proc = run_python(BLOCK_EXT + LITE_SCRIPT, cwd=str(tmp_path))
    _check_lite_run(proc)


@pytest.mark.compiled
def test_full_mmcv_needs_no_patch(tmp_path, repo_root):
    """In the full-mmcv venv (built by tools/setup_env.sh --mmcv full), mmcv's compiled NMS runs
    and orsanet serves nothing."""
    proc = run_python("""
        import sys, orsanet, torch
        assert orsanet.compat.apply()['lazy_mmcv_ops'] is False
        from mmcv.ops import nms
        ext = sys.modules['mmcv.ops.nms'].ext_module
        assert type(ext).__name__ == 'module' and ext.__name__ == 'mmcv._ext', ext
        boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]])
        print('KEEP', nms(boxes, torch.tensor([0.9, 0.8]), 0.5)[1].tolist())
        """, cwd=str(tmp_path), python=cached_venv_python(repo_root, 'full'),
        env={**os.environ, 'PYTHONPATH': osp.join(repo_root, 'projects')})
    assert 'KEEP [0]' in proc.stdout, proc.stdout + proc.stderr[-3000:]


def _throwaway_lite_venv(tmp_path, repo_root) -> str:
    """A venv with the real ``mmcv-lite`` wheel, the rest taken from this (full-mmcv) venv."""
    venv = tmp_path / 'lite'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    lite_site = next((venv / 'lib').glob('python*/site-packages'))
    our_site = osp.dirname(osp.dirname(torch.__file__))  # where the pinned packages are
    # our site-packages after the venv's own, so its mmcv-lite shadows the full mmcv
    (lite_site / 'orsanet_base.pth').write_text(f'{osp.join(repo_root, "projects")}\n{our_site}\n')
    pip = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
                          '--target', str(lite_site), 'mmcv-lite==2.1.0'],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr[-2000:]
    lite_python = str(venv / 'bin' / 'python')
    check = run_python('import mmcv, os; print(mmcv.__file__)', cwd=str(tmp_path),
                       python=lite_python)
    assert str(lite_site) in check.stdout, check.stdout + check.stderr
    return lite_python


@pytest.mark.slow
def test_real_mmcv_lite(tmp_path, repo_root):
    """The real ``mmcv-lite`` wheel: this environment (the default flavour), or a throwaway venv
    when the tests run in a full-mmcv one."""
    if _has_compiled_mmcv():
        python = _throwaway_lite_venv(tmp_path, repo_root)
    else:
        from importlib.metadata import version
        assert version('mmcv-lite') == '2.1.0'
        python = sys.executable
    _check_lite_run(run_python(LITE_SCRIPT, cwd=str(tmp_path), python=python))
