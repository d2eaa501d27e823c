"""SPADEFusion: official reference, key mapping, spectral norm, shapes, gradients, errors."""
import pytest
import torch
from mmpretrain.registry import MODELS

from orsanet.conversion.orsanet_official import convert_official_spade
from orsanet.models.necks.spade_fusion import SPADEFusion


def _official_block(reference, use_spectral_norm=True):
    ref = reference('spade_block.pt')
    cfg = ref['config']
    assert cfg['fin'] == cfg['fout']
    model = SPADEFusion(cfg['fin'], cfg['semantic_nc'], cfg['hidden'],
                        use_spectral_norm=use_spectral_norm)
    converted, ignored = convert_official_spade(ref['state_dict'], use_spectral_norm)
    model.load_state_dict(converted, strict=True)
    return model.eval(), ref, ignored


@pytest.mark.parametrize('use_spectral_norm', [True, False])
def test_matches_official_reference(reference, use_spectral_norm):
    model, ref, ignored = _official_block(reference, use_spectral_norm)
    assert ignored == []
    with torch.no_grad():
        out = model(ref['x'], ref['seg'])
    scale = ref['out'].abs().max()
    assert out.shape == ref['out'].shape
    assert (out - ref['out']).abs().max() <= 1e-5 * scale


def test_eval_keeps_spectral_norm_vectors_training_updates_them(reference):
    model, ref, _ = _official_block(reference)
    u_before = model.conv_0.weight_u.clone()
    with torch.no_grad():
        model(ref['x'], ref['seg'])
    assert torch.equal(model.conv_0.weight_u, u_before)
    model.train()
    with torch.no_grad():
        model(ref['x'], ref['seg'])
    assert not torch.equal(model.conv_0.weight_u, u_before)


def test_converter_reports_unknown_keys(reference):
    state = dict(reference('spade_block.pt')['state_dict'])
    state['conv_s.weight'] = torch.zeros(1)
    converted, ignored = convert_official_spade(state)
    assert ignored == ['conv_s.weight']
    assert 'spade_0.to_gamma.weight' in converted and 'conv_1.weight_orig' in converted


def test_shapes_and_gradients():
    model = SPADEFusion(16, 8, 32).train()
    x = torch.randn(2, 16, 7, 7, requires_grad=True)
    semantic = torch.randn(2, 8, 14, 14)  # resized to 7 x 7 by nearest interpolation
    out = model(x, semantic)
    assert out.shape == (2, 16, 7, 7)
    out.square().mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_bfloat16_forward_is_finite_and_close():
    torch.manual_seed(0)
    model = SPADEFusion(16, 8, 32).eval()
    x, semantic = torch.randn(2, 16, 7, 7), torch.randn(2, 8, 7, 7)
    with torch.no_grad():
        ref = model(x, semantic)
        out = model.to(torch.bfloat16)(x.bfloat16(), semantic.bfloat16())
    assert out.dtype == torch.bfloat16 and torch.isfinite(out).all()
    assert (out.float() - ref).abs().max() <= 0.05 * ref.abs().max()


def test_bad_inputs_name_the_expected_shape():
    model = SPADEFusion(16, 8, 32)
    with pytest.raises(ValueError, match=r'\(B, 16, H, W\).*got \(2, 12, 7, 7\)'):
        model(torch.randn(2, 12, 7, 7), torch.randn(2, 8, 7, 7))
    with pytest.raises(ValueError, match=r'\(B, 8, h, w\).*got \(2, 3, 7, 7\)'):
        model(torch.randn(2, 16, 7, 7), torch.randn(2, 3, 7, 7))
    with pytest.raises(ValueError, match='batch sizes differ'):
        model(torch.randn(2, 16, 7, 7), torch.randn(3, 8, 7, 7))


def test_registered_and_official_parameter_count():
    model = MODELS.build(dict(type='SPADEFusion'))
    assert isinstance(model, SPADEFusion)
    assert sum(p.numel() for p in model.parameters()) == 8_260_864  # 8.26 M (spec)
