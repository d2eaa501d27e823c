"""Fast paths give the plain path's numbers: SDPA, channels_last, inference_mode, the priors'
early stop, the float32 loss under autocast, bf16 autocast (within a stated tolerance) and
torch.compile with its eager fallback."""
import copy
import os.path as osp

import pytest
import small_orsanet as helpers
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from orsanet.models.heads import DAREHead
from orsanet.models.necks import MCMNeck
from orsanet.models.necks.mcm_neck import LandmarkQueryAttention
from orsanet.models.priors import SemanticPrior
from orsanet.models.utils import SafeCompiled


def max_rel(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """max |a - e| / max |e| (0 when both are 0)."""
    scale = expected.abs().max().clamp(min=1e-12)
    return ((actual.float() - expected.float()).abs().max() / scale).item()


def worst_grad_error(actual: dict, expected: dict) -> float:
    """max over tensors of max |a - e|, over the largest gradient of any tensor: a tensor whose
    gradient is float32 rounding noise (e.g. 1e-7 where others are 1e-1) is judged on that
    common scale."""
    assert actual.keys() == expected.keys()
    scale = max(g.abs().max() for g in expected.values()).clamp(min=1e-12)
    return max(((actual[k].float() - g).abs().max() / scale).item() for k, g in expected.items())


def build_small(repo_root, seed=0, **overrides):
    torch.manual_seed(seed)
    model = MODELS.build(helpers.small_model_cfg(repo_root, **overrides))
    model.head.set_epoch(0)
    return model


def copy_weights(src, dst):
    """All weights, the priors' wrapped models included (left out of state_dict)."""
    dst.load_state_dict(src.state_dict())
    for name in ('semantic_prior', 'landmark_prior'):
        getattr(dst, name).model.load_state_dict(getattr(src, name).model.state_dict())


def loss_and_grads(model, inputs, labels):
    model.zero_grad()
    losses = model.loss(inputs, helpers.samples(labels))
    loss = sum(v for k, v in losses.items() if k.startswith('loss'))
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), grads


@pytest.fixture(scope='module')
def small(repo_root):
    return build_small(repo_root)


# ---- SDPA in MCM ---------------------------------------------------------------------------
def test_sdpa_equals_explicit_attention():
    torch.manual_seed(0)
    sdpa = MCMNeck(embed_dims=64, depth=2, num_heads=4, num_img_tokens=49, num_lm_tokens=49,
                   drop_path_rate=0.)
    explicit = copy.deepcopy(sdpa)
    for module in explicit.modules():
        if isinstance(module, LandmarkQueryAttention):
            module.use_sdpa = False
    assert MCMNeck(embed_dims=64, depth=1, num_heads=4, use_sdpa=False).blocks[0].fuse_large \
        .attn.use_sdpa is False
    x_img = torch.randn(3, 49, 64, requires_grad=True)
    x_lm = torch.randn(3, 49, 64, requires_grad=True)
    outs, grads = [], []
    for neck in (sdpa, explicit):
        out = neck(x_img, x_lm)
        (out * torch.linspace(-1, 1, 64)).sum().backward()
        outs.append(out.detach())
        grads.append(dict(x_img=x_img.grad.clone(), x_lm=x_lm.grad.clone(),
                          **{n: p.grad.clone() for n, p in neck.named_parameters()}))
        x_img.grad = x_lm.grad = None
    assert max_rel(outs[0], outs[1]) < 1e-5
    assert max_rel(grads[0]['x_lm'], grads[1]['x_lm']) < 1e-5
    assert worst_grad_error(grads[0], grads[1]) < 1e-5
    assert outs[0].abs().max() > 0.1  # not a trivial output


# ---- channels_last ---------------------------------------------------------------------------
@pytest.mark.slow
def test_channels_last_same_outputs_and_gradients(repo_root, small):
    """float32: loss and logits to 1e-5. Gradients are compared in float64 (to 1e-6): in float32
    the other summation order of channels_last convolutions, amplified by train-mode BatchNorm
    over a batch of 2 through the IR-50 stages, moves backbone gradients by up to ~2e-3 of
    their scale (~3e-4 of the largest gradient); float64 shows that is rounding alone."""
    fast = build_small(repo_root, channels_last=True)
    copy_weights(small, fast)
    conv_weights = [p for p in fast.backbone.parameters() if p.dim() == 4]
    assert conv_weights and all(
        w.is_contiguous(memory_format=torch.channels_last) for w in conv_weights)
    inputs = torch.randn(2, 3, 112, 112)
    reference, copy_ = copy.deepcopy(small), copy.deepcopy(fast)
    small.train(), fast.train()
    loss, _ = loss_and_grads(small, inputs, [0, 3])
    fast_loss, _ = loss_and_grads(fast, inputs, [0, 3])
    assert torch.allclose(fast_loss, loss, rtol=1e-5, atol=0)
    small.eval(), fast.eval()
    with torch.no_grad():
        logits = small(inputs, mode='tensor')
        assert max_rel(fast(inputs, mode='tensor'), logits) < 1e-5
    reference.double().train(), copy_.double().train()
    _, grads = loss_and_grads(reference, inputs.double(), [0, 3])
    _, fast_grads = loss_and_grads(copy_, inputs.double(), [0, 3])
    assert worst_grad_error(fast_grads, grads) < 1e-6


# ---- inference_mode, priors ---------------------------------------------------------------
def test_inference_mode_equals_no_grad(small):
    small.eval()
    inputs = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        expected = small(inputs, mode='tensor')
    with torch.inference_mode():
        actual = small(inputs, mode='tensor')
        scores = small.predict(inputs)
    assert torch.equal(actual, expected)
    assert scores[0].pred_score.shape == (7, )


def _count_calls(module, counter, name):
    return module.register_forward_hook(
        lambda *_: counter.__setitem__(name, counter.get(name, 0) + 1))


@pytest.mark.slow
def test_official_semantic_prior_runs_only_the_stages_it_needs(repo_root):
    """Swin-B tapped at stage 4: neither its output norms nor the parsing head run."""
    cfg = Config.fromfile(osp.join(repo_root, helpers.OFFICIAL_CONFIG)).model.semantic_prior
    cfg = {k: v for k, v in cfg.to_dict().items() if k != 'type'}
    prior = SemanticPrior(**dict(cfg, checkpoint=None, probe_size=112))
    model, calls = prior.model, {}
    watched = dict(decode_head=model.decode_head, stage3=model.backbone.stages[3],
                   **{f'norm{i}': getattr(model.backbone, f'norm{i}') for i in range(4)})
    handles = [_count_calls(m, calls, n) for n, m in watched.items()]
    with torch.no_grad():
        out = prior(torch.randn(1, 3, 224, 224))
    for handle in handles:
        handle.remove()
    assert out.shape == (1, 1024, 7, 7)
    # stage 4 runs once; its output norm and the decode head never (norm0-2, cheap LayerNorms
    # of the earlier stages' outputs, run inside the backbone's loop before stage 4)
    assert calls['stage3'] == 1 and 'decode_head' not in calls and 'norm3' not in calls


def test_landmark_prior_stops_after_its_layer(small):
    calls = {}
    model = small.landmark_prior.model
    handles = [_count_calls(model.head, calls, 'head'),
               _count_calls(model.backbone.conv_6_sep, calls, 'tapped')]
    small.landmark_prior(torch.randn(1, 3, 112, 112))
    for handle in handles:
        handle.remove()
    assert calls == dict(tapped=1)


# ---- losses in float32, bf16 autocast ---------------------------------------------------
@pytest.mark.parametrize('epoch', [0, 10])  # warm-up (CE + LS) and main (CE + DARE) losses
def test_head_losses_are_float32_under_autocast(epoch):
    torch.manual_seed(0)
    head = DAREHead(num_classes=7, in_channels=32, warmup_epochs=5)
    head.set_epoch(epoch)
    feats = (torch.randn(6, 32), )
    samples = [DataSample().set_gt_label(i % 7) for i in range(6)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = head.loss(feats, samples)
        logits = head(feats)
    assert logits.dtype == torch.bfloat16
    expected = head._get_loss(logits.float(), samples)
    assert losses.keys() == expected.keys() and len(losses) == 2
    for name, value in losses.items():
        assert value.dtype == torch.float32, name
        assert torch.equal(value, expected[name]), name


def test_spectral_norm_convs_stay_float32_under_autocast():
    from orsanet.models.necks import SPADEFusion
    torch.manual_seed(0)
    fusion = SPADEFusion(in_channels=16, semantic_channels=16, hidden_channels=8).train()
    seen = []
    for conv in (fusion.conv_0, fusion.conv_1):
        conv.register_forward_hook(lambda m, args, out: seen.append((args[0].dtype, out.dtype,
                                                                     m.weight.dtype)))
    x, semantic = torch.randn(2, 16, 7, 7), torch.randn(2, 16, 7, 7)
    reference = copy.deepcopy(fusion)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = fusion(x, semantic)
    assert seen == [(torch.float32, ) * 3] * 2  # inputs, outputs and normalised weights
    reference(x, semantic)  # float32: the same power-iteration update of u
    assert torch.equal(fusion.conv_0.weight_u, reference.conv_0.weight_u)
    assert out.dtype == torch.float32


@pytest.mark.slow
def test_bf16_autocast_close_to_float32(small):
    """Stated tolerance: logits within 5 % of their scale, loss within 2 %, gradients within
    10 % (max abs difference over the largest gradient, see worst_grad_error) of float32."""
    small.train()
    inputs = torch.randn(4, 3, 112, 112)
    loss, grads = loss_and_grads(small, inputs, [0, 1, 2, 3])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        amp_loss, amp_grads = loss_and_grads(small, inputs, [0, 1, 2, 3])
    assert amp_loss.dtype == torch.float32
    assert abs(amp_loss - loss) / loss < 0.02
    assert worst_grad_error(amp_grads, grads) < 0.1
    small.eval()
    with torch.no_grad():
        logits = small(inputs, mode='tensor')
        with torch.autocast('cpu', dtype=torch.bfloat16):
            amp_logits = small(inputs, mode='tensor')
    assert max_rel(amp_logits, logits) < 0.05
    assert not torch.equal(amp_logits.float(), logits)  # autocast did run in bf16


# ---- torch.compile and its fallback -------------------------------------------------------
def broken_backend(graph_module, example_inputs):
    raise RuntimeError('no compiler on this machine')


@pytest.mark.slow
def test_compile_falls_back_to_eager_with_a_warning(repo_root, small):
    fast = build_small(repo_root, compile=dict(backend=broken_backend))
    copy_weights(small, fast)
    assert set(fast.compiled) == {'backbone', 'fusion', 'neck'}
    assert not any(k.startswith('compiled') for k in fast.state_dict())
    small.eval(), fast.eval()
    inputs = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        assert torch.equal(fast(inputs, mode='tensor'), small(inputs, mode='tensor'))
    for part in fast.compiled.values():
        assert 'no compiler on this machine' in part.failed
    duplicate = copy.deepcopy(fast)  # the copy's parts call the copy's modules
    assert duplicate.compiled['neck'].module is duplicate.neck is not fast.neck
    fast.train()
    loss, grads = loss_and_grads(fast, inputs, [0, 1])  # eager from now on, gradients flow
    assert torch.isfinite(loss) and 'backbone.stem.conv.weight' in grads


def test_compile_keeps_errors_of_bad_inputs():
    neck = MCMNeck(embed_dims=32, depth=1, num_heads=2, num_img_tokens=4, num_lm_tokens=4)
    compiled = SafeCompiled(neck, 'neck', dict(backend='eager'))
    with pytest.raises(ValueError, match='MCMNeck expects x_img'):
        compiled(torch.randn(1, 5, 32), torch.randn(1, 4, 32))
    assert compiled.failed is None


def test_compiled_neck_equals_eager():
    torch.manual_seed(0)
    neck = MCMNeck(embed_dims=32, depth=1, num_heads=2, num_img_tokens=4, num_lm_tokens=4,
                   drop_path_rate=0.).eval()
    compiled = SafeCompiled(neck, 'neck', dict(backend='aot_eager'))
    x_img, x_lm = torch.randn(2, 4, 32), torch.randn(2, 4, 32)
    assert max_rel(compiled(x_img, x_lm), neck(x_img, x_lm)) < 1e-5
    assert compiled.failed is None


@pytest.mark.slow  # inductor generates and builds C++ here: about 50 s on 2 cores
def test_inductor_compiled_neck_equals_eager():
    torch.manual_seed(0)
    neck = MCMNeck(embed_dims=32, depth=1, num_heads=2, num_img_tokens=4, num_lm_tokens=4,
                   drop_path_rate=0.).eval()
    compiled = SafeCompiled(neck, 'neck', {})  # torch.compile's default backend
    x_img, x_lm = torch.randn(2, 4, 32), torch.randn(2, 4, 32)
    with torch.no_grad():
        assert max_rel(compiled(x_img, x_lm), neck(x_img, x_lm)) < 1e-5
    assert compiled.failed is None  # it did compile: no fallback
