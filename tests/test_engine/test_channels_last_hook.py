"""ChannelsLastHook: converts 4-D weights in place, same outputs and gradients, any scope."""
import copy
from types import SimpleNamespace

import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from mmpose.registry import HOOKS as POSE_HOOKS

from orsanet.engine.hooks.channels_last_hook import ChannelsLastHook


def small_convnet() -> nn.Module:
    """Depthwise and pointwise convolutions with BN and PReLU, as in MobileFaceNet."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.PReLU(8),
        nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.PReLU(8),
        nn.Conv2d(8, 16, 1), nn.Flatten(), nn.Linear(16 * 8 * 8, 5))


def loss_and_grads(model: nn.Module, inputs: torch.Tensor):
    model.zero_grad()
    loss = model(inputs).pow(2).mean()
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters()]


def test_converts_in_place_with_same_outputs_and_gradients():
    model = small_convnet()
    reference = copy.deepcopy(model)
    params = list(model.parameters())
    optimizer = torch.optim.SGD(params, lr=0.1)  # built before the hook, as in Runner.train
    ChannelsLastHook().before_train(SimpleNamespace(model=model))

    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs)
    assert not model[0].weight.is_contiguous()  # 3x3 over 3 channels: the layout really changed
    assert all(a is b for a, b in zip(params, model.parameters()))  # the same Parameter objects
    for a, b in zip(model.state_dict().values(), reference.state_dict().values()):
        assert a.shape == b.shape and torch.equal(a, b)

    inputs = torch.randn(4, 3, 16, 16)
    loss, grads = loss_and_grads(model, inputs)
    ref_loss, ref_grads = loss_and_grads(reference, inputs)
    torch.testing.assert_close(loss, ref_loss, rtol=1e-5, atol=1e-6)
    for grad, ref in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref, rtol=1e-4, atol=1e-6)
    before = params[0].detach().clone()
    optimizer.step()  # the optimizer still updates the converted weights
    assert not torch.equal(before, model[0].weight)


def test_val_and_test_convert_too():
    for stage in ('before_val', 'before_test'):
        model = small_convnet()
        getattr(ChannelsLastHook(), stage)(SimpleNamespace(model=model))
        assert model[0].weight.is_contiguous(memory_format=torch.channels_last), stage


def test_builds_from_another_toolbox_scope():
    """The demo's landmark config (mmpose scope) names it as mmpretrain.ChannelsLastHook."""
    with DefaultScope.overwrite_default_scope('mmpose'):
        hook = POSE_HOOKS.build(dict(type='mmpretrain.ChannelsLastHook'))
    assert isinstance(hook, ChannelsLastHook)
