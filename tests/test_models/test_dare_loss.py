"""DARELoss: official reference (loss and gradient), formula, low precision, ignore_index."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from orsanet.models.losses.dare_loss import DARELoss


def brute_force(logits: torch.Tensor, target: torch.Tensor, temperature: float) -> torch.Tensor:
    """Per-sample DARE in float64, written from the spec: 2-class CE over {y, m} of z'."""
    z = logits.double()
    losses = []
    for row, y in zip(z, target.tolist()):
        p_y = torch.softmax(row.detach(), 0)[y]
        wrong = [j for j in range(len(row)) if j != y]
        m = max(wrong, key=lambda j: row[j].item())
        pair = torch.stack([row[y], row[m] + temperature * (1 - p_y)])
        losses.append(-torch.log_softmax(pair, 0)[0])
    return torch.stack(losses)


def test_matches_official_reference_loss_and_grad(reference):
    ref = reference('dare_loss.pt')
    logits = ref['logits'].clone().requires_grad_()
    loss = DARELoss(temperature=float(ref['temperature']))(logits, ref['target'])
    loss.backward()
    assert abs(loss.item() - ref['loss'].item()) <= 1e-5 * abs(ref['loss'].item())
    assert (logits.grad - ref['grad']).abs().max() <= 1e-5 * ref['grad'].abs().max()


@pytest.mark.parametrize('temperature', [0.5, 1.0, 3.0])
def test_equals_spec_formula(temperature):
    torch.manual_seed(0)
    logits, target = torch.randn(16, 8) * 3, torch.randint(0, 8, (16, ))
    loss = DARELoss(temperature=temperature, reduction='none')(logits, target)
    assert torch.allclose(loss.double(), brute_force(logits, target, temperature), atol=1e-6)


def test_only_target_and_hardest_wrong_logits_get_gradient():
    torch.manual_seed(1)
    logits, target = torch.randn(10, 7, requires_grad=True), torch.randint(0, 7, (10, ))
    DARELoss()(logits, target).backward()
    hardest = logits.detach().scatter(1, target[:, None], float('-inf')).argmax(1)
    nonzero = logits.grad != 0
    assert nonzero.sum(1).eq(2).all()
    assert nonzero.gather(1, target[:, None]).all() and nonzero.gather(1, hardest[:, None]).all()


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_low_precision_is_finite_and_near_fp32(dtype):
    torch.manual_seed(2)
    logits, target = torch.randn(32, 7) * 4, torch.randint(0, 7, (32, ))
    ref = DARELoss()(logits, target)
    low = logits.to(dtype).requires_grad_()
    loss = DARELoss()(low, target)
    loss.backward()
    assert loss.dtype == torch.float32  # documented: computed and returned in float32
    assert torch.isfinite(loss) and torch.isfinite(low.grad).all() and low.grad.dtype == dtype
    assert abs(loss.item() - ref.item()) <= 2e-2 * ref.item()


@pytest.mark.parametrize('dtype', [torch.float32, torch.bfloat16, torch.float16])
def test_huge_logits_do_not_overflow(dtype):
    # |z| ~ 1e4, exactly representable in every dtype (the official -9999 masking breaks here)
    logits = torch.tensor([[8192., -8192., 0., 4096.]] * 2, dtype=dtype)
    target = torch.tensor([0, 1])
    loss = DARELoss(reduction='none')(logits.requires_grad_(), target)
    # sample 0: confident (p_y = 1), margin 0: softplus(4096 - 8192) = 0
    # sample 1: p_y = 0, margin T: softplus(8192 + 1 + 8192) = 16385
    expected = brute_force(logits.detach().float(), target, 1.0).float()
    assert torch.isfinite(loss).all()
    assert torch.allclose(loss, expected, rtol=1e-6)
    assert loss[0].item() == 0 and loss[1].item() == 16385.0
    loss.sum().backward()
    assert torch.isfinite(logits.grad).all()


def test_ignore_index_samples_contribute_nothing():
    torch.manual_seed(3)
    logits, target = torch.randn(8, 5), torch.randint(0, 5, (8, ))
    ignored = target.clone()
    ignored[[1, 4]] = -100
    keep = ignored != -100
    x = logits.clone().requires_grad_()
    loss = DARELoss()(x, ignored)
    loss.backward()
    assert torch.allclose(loss, DARELoss()(logits[keep], target[keep]))
    assert x.grad[~keep].abs().sum() == 0
    all_ignored = DARELoss()(logits, torch.full((8, ), -100))
    assert all_ignored.item() == 0


def test_reductions_weight_and_avg_factor():
    torch.manual_seed(4)
    logits, target = torch.randn(6, 4), torch.randint(0, 4, (6, ))
    per_sample = DARELoss(reduction='none')(logits, target)
    loss = DARELoss(loss_weight=0.1)
    assert torch.allclose(loss(logits, target), 0.1 * per_sample.mean())
    assert torch.allclose(loss(logits, target, reduction_override='sum'), 0.1 * per_sample.sum())
    weight = torch.rand(6)
    assert torch.allclose(loss(logits, target, weight=weight, avg_factor=3.),
                          0.1 * (per_sample * weight).sum() / 3)


def test_bad_inputs():
    loss = DARELoss()
    with pytest.raises(ValueError, match='soft or one-hot'):
        loss(torch.randn(4, 3), F.one_hot(torch.tensor([0, 1, 2, 0]), 3).float())
    with pytest.raises(ValueError, match='C >= 2'):
        loss(torch.randn(4, 1), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match='reduction'):
        DARELoss(reduction='avg')


def test_registered():
    assert isinstance(MODELS.build(dict(type='DARELoss', loss_weight=0.1)), DARELoss)
