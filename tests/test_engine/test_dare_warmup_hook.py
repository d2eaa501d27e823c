"""DAREWarmupHook: sets DAREHead's phase from runner.epoch (fake runner and a real Runner)."""
import copy
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

from orsanet.engine.hooks.dare_warmup_hook import DAREWarmupHook
from orsanet.models.heads.dare_head import DAREHead


class ToyClassifier(BaseModel):
    """Linear features + DAREHead, speaking DataSample like an mmpretrain classifier."""

    def __init__(self, warmup_epochs: int = 1) -> None:
        super().__init__()
        self.backbone = nn.Linear(4, 8)
        self.head = DAREHead(num_classes=3, in_channels=8, warmup_epochs=warmup_epochs)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        feats = (self.backbone(inputs), )
        if mode == 'loss':
            return self.head.loss(feats, data_samples)
        if mode == 'predict':
            return self.head.predict(feats, data_samples)
        return self.head(feats)


def toy_loader() -> DataLoader:
    torch.manual_seed(0)
    items = [dict(inputs=torch.randn(4), data_samples=DataSample().set_gt_label(i % 3))
             for i in range(8)]

    def collate(batch):
        return dict(inputs=torch.stack([b['inputs'] for b in batch]),
                    data_samples=[b['data_samples'] for b in batch])

    return DataLoader(items, batch_size=4, collate_fn=collate)


class LossKeyRecorder(Hook):
    """Records the loss keys of every training iteration, per epoch."""

    def __init__(self) -> None:
        self.keys = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.keys.setdefault(runner.epoch, set()).update(
            key for key in outputs if key.startswith('loss_'))


def fake_runner(model, epoch):
    return SimpleNamespace(model=model, epoch=epoch)


@pytest.mark.parametrize('wrap', [False, True])
def test_switch_between_epoch_w_minus_1_and_w(wrap):
    model = ToyClassifier(warmup_epochs=5)
    runner_model = nn.DataParallel(model) if wrap else model  # unwrapped by is_model_wrapper
    hook = DAREWarmupHook()
    batch = toy_loader().__iter__().__next__()
    hook.before_train_epoch(fake_runner(runner_model, 4))
    assert model.head.epoch == 4 and model.head.in_warmup
    assert set(model(batch['inputs'], batch['data_samples'], 'loss')) == {'loss_ce', 'loss_ls'}
    hook.before_train_epoch(fake_runner(runner_model, 5))
    assert not model.head.in_warmup
    assert set(model(batch['inputs'], batch['data_samples'], 'loss')) == {'loss_ce', 'loss_dare'}


def test_before_train_sets_phase_for_resume():
    model = ToyClassifier(warmup_epochs=2)
    DAREWarmupHook().before_train(fake_runner(model, 3))
    assert model.head.epoch == 3 and not model.head.in_warmup


def test_model_without_dare_head_stands_aside_with_one_warning(mm_logs):
    hook, runner = DAREWarmupHook(), fake_runner(nn.Linear(2, 2), 0)
    hook.before_train(runner)
    for epoch in range(3):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
    warnings = [m for m in mm_logs if 'no DAREHead' in m]
    assert len(warnings) == 1 and 'Linear' in warnings[0] and 'does nothing' in warnings[0]


def test_registered():
    assert isinstance(HOOKS.build(dict(type='DAREWarmupHook')), DAREWarmupHook)


def _runner(tmp_path, max_epochs, recorder, **kwargs) -> Runner:
    return Runner(
        model=ToyClassifier(warmup_epochs=1), work_dir=str(tmp_path),
        train_dataloader=toy_loader(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=[dict(type='DAREWarmupHook'), recorder],
        default_scope='mmpretrain', **kwargs)


@pytest.fixture
def restore_default_scope():
    """A Runner makes its default scope the global current one: undo that after the test."""
    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


def test_real_runner_switches_after_warmup_and_on_resume(tmp_path, restore_default_scope):
    recorder = LossKeyRecorder()
    _runner(tmp_path, 2, recorder, experiment_name='fresh').train()
    assert recorder.keys == {0: {'loss_ce', 'loss_ls'}, 1: {'loss_ce', 'loss_dare'}}

    resumed = LossKeyRecorder()
    _runner(tmp_path, 2, resumed, experiment_name='resumed', resume=True,
            load_from=str(tmp_path / 'epoch_1.pth')).train()
    assert resumed.keys == {1: {'loss_ce', 'loss_dare'}}
