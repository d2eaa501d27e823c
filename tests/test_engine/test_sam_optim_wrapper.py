"""SAMOptimWrapper: equals a hand-written SAM step (fp32, bf16 autocast, ASAM, clipping)."""
import copy
from contextlib import nullcontext

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import OPTIM_WRAPPERS

from orsanet.engine.optim_wrappers import SAMOptimWrapper


class TinyNet(BaseModel):
    """Two linear layers speaking MMEngine's train_step protocol."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, inputs, labels=None, mode='tensor'):
        logits = self.fc2(torch.tanh(self.fc1(inputs)))
        if mode == 'loss':
            return dict(loss_ce=F.cross_entropy(logits.float(), labels))
        return logits


def batches(n=3):
    gen = torch.Generator().manual_seed(1)
    return [dict(inputs=torch.randn(8, 6, generator=gen),
                 labels=torch.randint(0, 3, (8, ), generator=gen)) for _ in range(n)]


def reference_sam_step(model, opt, batch, rho, adaptive, dtype, clip=None):
    """SAM written out by hand: the spec's recipe, step by step."""
    ctx = torch.autocast('cpu', dtype=dtype) if dtype else nullcontext()
    params = [p for p in model.parameters()]

    def loss_fn():
        with ctx:
            return model(batch['inputs'], batch['labels'], mode='loss')['loss_ce']

    loss_fn().backward()
    with torch.no_grad():
        weight = [p.abs() if adaptive else torch.ones_like(p) for p in params]
        norm = torch.sqrt(sum(((w * p.grad) ** 2).sum() for w, p in zip(weight, params)))
        old = [p.clone() for p in params]
        for w, p in zip(weight, params):
            p += rho * w * w * p.grad / (norm + 1e-12)
    opt.zero_grad()
    loss_fn().backward()
    with torch.no_grad():
        for p, o in zip(params, old):
            p.copy_(o)
    if clip is not None:
        torch.nn.utils.clip_grad_norm_(params, clip)
    opt.step()
    opt.zero_grad()


def run_wrapper(model, batch_list, **kwargs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    wrapper = SAMOptimWrapper(optimizer=opt, **kwargs)
    for batch in batch_list:
        model.train_step(batch, wrapper)
    return wrapper


@pytest.mark.parametrize('adaptive', [False, True])
@pytest.mark.parametrize('amp,cast', [
    ({}, None),
    (dict(dtype='bfloat16'), torch.bfloat16),
    (dict(loss_scale='dynamic'), torch.bfloat16),  # tools/train.py --amp: bf16 on CPU, no scaler
])
def test_train_step_equals_reference_sam(adaptive, amp, cast):
    torch.manual_seed(0)
    model = TinyNet()
    ref = copy.deepcopy(model)
    plain = copy.deepcopy(model)
    wrapper = run_wrapper(model, batches(), rho=0.05, adaptive=adaptive, **amp)
    assert wrapper.cast_dtype == cast and wrapper.loss_scaler is None
    opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    for batch in batches():
        reference_sam_step(ref, opt, batch, 0.05, adaptive, cast)
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        assert (p - q).abs().max() <= 1e-6, name
    # not a plain Adam step: the second gradient (at w + e) is what moved the weights
    plain_opt = torch.optim.Adam(plain.parameters(), lr=1e-2)
    for batch in batches():
        with torch.autocast('cpu', dtype=cast) if cast else nullcontext():
            plain(**batch, mode='loss')['loss_ce'].backward()
        plain_opt.step()
        plain_opt.zero_grad()
    assert max((p - q).abs().max() for p, q in zip(model.parameters(), plain.parameters())) > 1e-4


def test_clip_grad_applies_to_second_gradient():
    torch.manual_seed(0)
    model = TinyNet()
    ref = copy.deepcopy(model)
    run_wrapper(model, batches(), rho=0.1, clip_grad=dict(max_norm=0.05))
    opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    for batch in batches():
        reference_sam_step(ref, opt, batch, 0.1, False, None, clip=0.05)
    for p, q in zip(model.parameters(), ref.parameters()):
        assert (p - q).abs().max() <= 1e-6


def test_float16_grad_scaler_unscales_the_perturbation():
    torch.manual_seed(0)
    model = TinyNet()
    ref = copy.deepcopy(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    wrapper = SAMOptimWrapper(optimizer=opt, dtype='float16', loss_scale=1024.)
    for batch in batches():
        model.train_step(batch, wrapper)
    assert wrapper.loss_scaler is not None and 'loss_scaler' in wrapper.state_dict()
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    for batch in batches():
        reference_sam_step(ref, ref_opt, batch, 0.05, False, torch.float16)
    for p, q in zip(model.parameters(), ref.parameters()):
        assert (p - q).abs().max() <= 1e-5


def test_closure_and_missing_forward():
    torch.manual_seed(0)
    model = TinyNet()
    batch = batches(1)[0]
    wrapper = SAMOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    loss = model(**batch, mode='loss')['loss_ce']
    with pytest.raises(RuntimeError, match='optim_context'):
        wrapper.update_params(loss)
    before = model.fc1.weight.detach().clone()
    loss = model(**batch, mode='loss')['loss_ce']
    wrapper.update_params(loss, closure=lambda: model(**batch, mode='loss')['loss_ce'])
    assert not torch.equal(before, model.fc1.weight)


def test_bad_config_and_registry():
    opt = torch.optim.SGD(TinyNet().parameters(), lr=0.1)
    with pytest.raises(ValueError, match='accumulative_counts'):
        SAMOptimWrapper(optimizer=opt, accumulative_counts=2)
    with pytest.raises(ValueError, match='rho'):
        SAMOptimWrapper(optimizer=opt, rho=0.)
    with pytest.raises(ValueError, match='dtype'):
        SAMOptimWrapper(optimizer=opt, dtype='int8')
    built = OPTIM_WRAPPERS.build(dict(type='SAMOptimWrapper', optimizer=opt, rho=0.1))
    assert isinstance(built, SAMOptimWrapper) and built.rho == 0.1
