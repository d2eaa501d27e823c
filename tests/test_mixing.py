"""Mixing with stock OpenMMLab both ways (docs/mixing.md): the matrix.

- each config of ``configs/mixing/`` (and a stock one) trained one iteration on tiny data through
  mmpretrain's own ``.mim/tools/train.py`` (one subprocess for all);
- the environment's stock toolbox without the plugin, and stock models bitwise equal with and
  without it;
- ``import orsanet`` after stock imports, in each order;
- stock parts in ORSANet refused by name when they cannot fit; a plugin name in the wrong scope.
"""
import importlib.util
import json
import os.path as osp
import subprocess
import sys
import textwrap
from typing import Optional

import pytest
from extras import require_extra
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from small_orsanet import small_model_cfg
from tool_runner import write_images

from orsanet.engine import registry_scope_hint

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIXING = osp.join(ROOT, 'configs', 'mixing')

TINY_RUNTIME = """
data_root = {data_root!r}
_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=({size}, {size})),
             dict(type='PackInputs')]
train_dataloader = dict(_delete_=True, batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(type='CustomDataset', data_root=data_root,
                                     pipeline=_pipeline),
                        sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = val_cfg = val_evaluator = None
test_dataloader = test_cfg = test_evaluator = None
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=1)
param_scheduler = dict(_delete_=True, type='ConstantLR', factor=1.0, by_epoch=False)
optim_wrapper = dict(_delete_=True, optimizer=dict(type='SGD', lr=0.01))
default_hooks = dict(checkpoint=dict(_delete_=True, type='CheckpointHook', interval=10,
                                     save_last=False),
                     logger=dict(type='LoggerHook', interval=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
"""

# row -> (base config, tiny model overrides, image size)
ROWS = {
    'stock_resnet18_cifar10': ('mmpretrain::resnet/resnet18_8xb16_cifar10.py',
                               "model = dict(head=dict(num_classes=2))", 32),
    'iresnet_in_stock_resnet18_cifar10': (
        osp.join(MIXING, 'iresnet_in_stock_resnet18_cifar10.py'),
        "model = dict(backbone=dict(arch='ir50', num_stages=2), "
        "head=dict(num_classes=2, in_channels=128))", 32),
    'mobilefacenet_in_stock_mobilenet_v2': (
        osp.join(MIXING, 'mobilefacenet_in_stock_mobilenet_v2.py'),
        "model = dict(head=dict(num_classes=2, topk=(1, )))", 32),
    'face_swin_in_stock_resnet18_cifar10': (
        osp.join(MIXING, 'face_swin_in_stock_resnet18_cifar10.py'),
        "model = dict(backbone=dict(embed_dims=16, depths=(1, 1), num_heads=(1, 2), "
        "window_size=4, strides=(4, 2), out_indices=(1, )), "
        "head=dict(num_classes=2, in_channels=32))", 32),
    'orsanet_stock_neck_head_rafdb': (
        osp.join(MIXING, 'orsanet_stock_neck_head_rafdb.py'),
        textwrap.dedent(f"""
        _base_ = [{osp.join(MIXING, 'orsanet_stock_neck_head_rafdb.py')!r},
                  {osp.join(ROOT, 'tests', 'data', 'tiny_parser.py')!r}]
        model = dict(
            data_preprocessor=dict(num_classes=2),
            backbone=dict(num_stages=2, init_cfg=None),
            semantic_prior=dict(_delete_=True, type='SemanticPrior',
                                model={{{{_base_.tiny_parser}}}}, output='probs'),
            landmark_prior=dict(checkpoint=None),
            fusion=dict(hidden_channels=16),
            head=dict(num_classes=2, in_channels=64),
            embed_dims=64, input_size=112)
        """), 112),
}


def _wrapper(tmp_path, name: str, data_root: str) -> str:
    base, model, size = ROWS[name]
    text = model if model.lstrip().startswith('_base_') else f'_base_ = [{base!r}]\n{model}\n'
    path = tmp_path / f'{name}.py'
    path.write_text(text + TINY_RUNTIME.format(data_root=data_root, size=size))
    return str(path)


MIM_ROW = 'iresnet_in_stock_resnet18_cifar10'  # the row `mim train` runs too


def _start_mim_train(tmp_path, data_root: str) -> Optional[subprocess.Popen]:
    """``python -m mim train mmpretrain <config>`` of one row, started (None without openmim)."""
    if importlib.util.find_spec('mim') is None:
        return None
    return subprocess.Popen(
        [sys.executable, '-m', 'mim', 'train', 'mmpretrain', _wrapper(tmp_path, MIM_ROW, data_root),
         '--gpus', '0', '--work-dir', str(tmp_path / 'mim_work')], cwd=str(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """{row: 'ok' | traceback}, from one subprocess running mmpretrain's train.py per row, and
    {'mim train': (exit code, log) | None} from ``mim train`` run beside it (their imports
    overlap on the two cores)."""
    tmp_path = tmp_path_factory.mktemp('mixing')
    data_root = str(tmp_path / 'tiny')
    write_images(data_root)
    mim = _start_mim_train(tmp_path, data_root)
    configs = [_wrapper(tmp_path, name, data_root) for name in ROWS]  # the stock row first
    result = tmp_path / 'result.json'
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tests', 'mixing_driver.py'), str(result),
         str(tmp_path / 'work'), *configs], cwd=str(tmp_path), capture_output=True, text=True,
        timeout=900)
    mim_log = mim.communicate(timeout=600)[0] if mim else None
    assert result.exists(), proc.stderr[-3000:]
    rows = json.loads(result.read_text())
    rows['mim train'] = (mim.returncode, mim_log) if mim else None
    return rows


@pytest.mark.slow
@pytest.mark.parametrize('row', list(ROWS))
def test_trains_one_iteration_through_mmpretrain_train_py(trained, row):
    assert trained[row] == 'ok', trained[row]


@pytest.mark.slow
def test_mim_train_runs_a_plugin_config(trained):
    """``python -m mim train mmpretrain <config>`` (openmim 0.3.9, ``make env-mim``) trains a
    config of configs/mixing/ for one iteration, offline: mim runs mmpretrain's own
    ``.mim/tools/train.py``, which imports the plugin through the config's custom_imports."""
    require_extra('mim', ('mim', ))
    code, log = trained['mim train']
    assert code == 0 and 'Training finished successfully' in log, log[-3000:]
    assert 'Iter(train) [1/1]' in log and "type='IResNet'" in log, log[-3000:]


@pytest.mark.slow
def test_stock_config_trains_without_the_plugin(trained):
    assert trained['stock_resnet18_cifar10'] == 'ok'
    assert trained['stock_resnet18_cifar10:orsanet_imported'] is False


STOCK_THEN_PLUGIN = """
    import sys, torch
    from mmpretrain import get_model
    import mmpretrain.models  # the stock toolbox, multimodal models included, no plugin
    from mmpretrain.models import BlipCaption  # noqa: F401
    import numpy as np
    np.in1d  # mmpretrain's retrieval metrics call it
    from mmpretrain.evaluation import RetrievalRecall
    RetrievalRecall.calculate(torch.tensor([[0.9, 0.1], [0.2, 0.8]]), [[0], [0]], topk=1)
    assert 'orsanet' not in sys.modules

    def outputs():
        result = []
        for name in ('resnet18_8xb16_cifar10', 'mobilenet-v2_8xb32_in1k'):
            torch.manual_seed(0)
            model = get_model(name).eval()
            with torch.no_grad():
                result.append(model(torch.rand(2, 3, 32, 32, generator=torch.Generator()
                                              .manual_seed(1))))
        return result

    before = outputs()
    import orsanet  # after stock mmpretrain.models (and mmcv's transformer bricks)
    import mmseg.models, mmdet.models, mmpose.models  # noqa: F401
    after = outputs()
    assert all(torch.equal(a, b) for a, b in zip(before, after)), 'outputs changed'
    print('OK')
"""

ORDERS = {
    'mmseg_first': 'import mmseg, mmseg.registry',
    'mmdet_first': 'import mmdet, mmdet.registry',
    'mmcv_transformer_bricks_first': 'import mmcv.cnn.bricks.transformer',
}
PLUGIN_AFTER = """
    import orsanet  # imports mmseg.models (and through it mmdet) and mmpose.models
    import mmdet.models, mmpretrain.models  # noqa: F401
    from mmdet.models.layers import MSDeformAttnPixelDecoder  # noqa: F401
    print('OK')
"""


def _run(code: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=str(cwd),
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_stock_toolbox_without_plugin_then_plugin_bitwise_equal(tmp_path):
    proc = _run(STOCK_THEN_PLUGIN, tmp_path)
    assert proc.returncode == 0 and 'OK' in proc.stdout, proc.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize('order', list(ORDERS))
def test_plugin_imports_after_stock_imports(tmp_path, order):
    proc = _run(ORDERS[order] + '\n' + textwrap.dedent(PLUGIN_AFTER), tmp_path)
    assert proc.returncode == 0 and 'OK' in proc.stdout, proc.stderr[-3000:]


def test_plugin_first_then_every_toolbox():
    # this process imported orsanet first (tests/conftest.py)
    import mmseg.models  # noqa: F401
    from mmdet.models.layers import MSDeformAttnPixelDecoder
    assert MSDeformAttnPixelDecoder is not None


def test_plugin_name_in_the_wrong_scope_gets_a_hint():
    init_default_scope('mmpretrain')
    with pytest.raises(KeyError, match=r"type='mmpose\.MobileFaceNet'"):
        with registry_scope_hint():
            MODELS.build(dict(type='MobileFaceNet'))
    with pytest.raises(KeyError, match='NoSuchNet') as info:
        with registry_scope_hint():
            MODELS.build(dict(type='NoSuchNet'))
    assert 'registered in the' not in str(info.value)  # no scope holds it: no hint


def test_neck_that_cannot_take_tokens_refused_by_name(repo_root):
    init_default_scope('mmpretrain')

    @MODELS.register_module(force=True)
    class TwoInputNeck(__import__('torch').nn.Module):  # forward needs two inputs, no sizes
        def __init__(self) -> None:
            super().__init__()

        def forward(self, a, b):
            return a

    with pytest.raises(ValueError, match='neck TwoInputNeck: its forward needs 2 inputs'):
        MODELS.build(small_model_cfg(repo_root, neck=dict(type='TwoInputNeck')))
    with pytest.raises(ValueError, match='neck GlobalAveragePooling and head LinearClsHead'):
        MODELS.build(small_model_cfg(
            repo_root, neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=7, in_channels=32)))
