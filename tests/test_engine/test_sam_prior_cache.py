"""ORSANet's cache_priors: SAM's second pass reuses the frozen priors' outputs, with the same
numbers, and nothing is reused across steps, batches, in-place edits, autocast or new weights."""
import copy

import pytest
import small_orsanet as helpers
import torch
from mmpretrain.registry import MODELS

from orsanet.engine.optim_wrappers import SAMOptimWrapper


class PriorCalls:
    """Counts the forward calls of both priors of a model."""

    def __init__(self, model):
        self.count = 0
        self.handles = [prior.register_forward_hook(self._hook)
                        for prior in (model.semantic_prior, model.landmark_prior)]

    def _hook(self, *args):
        self.count += 1

    def remove(self):
        for handle in self.handles:
            handle.remove()


@pytest.fixture(scope='module')
def model(repo_root):
    torch.manual_seed(0)
    built = MODELS.build(helpers.small_model_cfg(repo_root))
    built.head.set_epoch(0)
    return built


def batch(seed, size=4):
    generator = torch.Generator().manual_seed(seed)
    return dict(inputs=torch.rand(size, 3, 112, 112, generator=generator) * 255,
                data_samples=helpers.samples([i % 2 for i in range(size)]))


def sam(model):
    trainable = [p for p in model.parameters() if p.requires_grad]
    return SAMOptimWrapper(optimizer=torch.optim.Adam(trainable, lr=1e-3), rho=0.05)


# bf16 autocast is slow on CPUs without native bf16 (16x float32 on AVX2): one small step (the
# float32 case covers a new batch every step)
@pytest.mark.parametrize('dtype,steps,size', [
    (None, 3, 4), pytest.param('bfloat16', 1, 2, marks=pytest.mark.slow)])
def test_sam_with_cached_priors_equals_plain_sam(model, dtype, steps, size):
    plain = copy.deepcopy(model)
    plain.cache_priors = False
    cached = copy.deepcopy(model)
    cached.cache_priors = True
    wrappers = [SAMOptimWrapper(optimizer=torch.optim.Adam(
        [p for p in m.parameters() if p.requires_grad], lr=1e-3), rho=0.05, dtype=dtype)
        for m in (plain, cached)]
    calls = [PriorCalls(m) for m in (plain, cached)]
    for step in range(steps):  # a new batch every step
        logs = [m.train_step(batch(step, size), w) for m, w in zip((plain, cached), wrappers)]
        assert logs[0].keys() == logs[1].keys()
        for key in logs[0]:
            assert logs[0][key] == logs[1][key], key
        for (name, p), q in zip(plain.named_parameters(), cached.parameters()):
            assert torch.equal(p, q), f'step {step}: {name}'
        assert calls[0].count == 4 * (step + 1)  # 2 priors x 2 passes
        assert calls[1].count == 2 * (step + 1)  # 2 priors x 1 pass
        assert cached.prior_cache._entry is None  # cleared at the end of the step
    assert cached.prior_cache.hits == steps and cached.prior_cache.misses == steps
    for counter in calls:
        counter.remove()
    changed = max((p - q).abs().max() for p, q in zip(model.parameters(), plain.parameters()))
    assert changed > 1e-4  # the steps did train


def test_cache_is_never_stale(model):
    cached = copy.deepcopy(model)
    cached.cache_priors = True
    cached.train()
    cache = cached.prior_cache
    x = torch.randn(2, 3, 112, 112)

    def check(inputs, hits, misses):
        """The (maybe cached) prior outputs equal a fresh run; the cache counted as expected."""
        outputs = cached._run_priors(inputs)
        fresh = (cached.semantic_prior(inputs), cached.landmark_prior(inputs))
        assert all(torch.equal(a, b) for a, b in zip(outputs, fresh))
        assert (cache.hits, cache.misses) == (hits, misses)
        return outputs

    first = check(x, 0, 1)
    assert check(x, 1, 1)[0] is first[0]  # reused: the same tensor, unchanged
    x.mul_(0.5)  # in place: its version counter changes
    assert not torch.equal(check(x, 1, 2)[0], first[0])
    check(x.clone(), 1, 3)  # another tensor object with the same values
    with torch.autocast('cpu', dtype=torch.bfloat16):
        check(x, 1, 4)  # another autocast state
    check(x, 1, 5)
    prior = cached.semantic_prior.model
    prior.load_state_dict({k: v * 1.01 for k, v in prior.state_dict().items()})
    check(x, 1, 6)  # new prior weights
    cached.eval()  # no caching in eval mode; eval() and train() clear the entry
    assert cache._entry is None
    check(x, 1, 6)
    check(x, 1, 6)
    cached.train()
    with torch.inference_mode():
        frozen = torch.randn(1, 3, 112, 112)
        check(frozen, 1, 6)  # inference tensors have no version counter: never cached
    losses = cached.loss(x, helpers.samples([0, 1]))
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()  # cached outputs
    losses = cached.loss(x, helpers.samples([0, 1]))  # are reused in a new graph
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert (cache.hits, cache.misses) == (2, 7)


def test_optim_context_clears_a_cache_left_by_a_failed_step(model):
    cached = copy.deepcopy(model)
    cached.cache_priors = True
    cached.train()
    cached.loss(torch.randn(2, 3, 112, 112), helpers.samples([0, 1]))
    assert cached.prior_cache._entry is not None
    with sam(cached).optim_context(cached):
        assert cached.prior_cache._entry is None
