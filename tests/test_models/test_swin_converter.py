"""SegFace / torchvision Swin-B -> mmseg converter and FaceSwinTransformer's shift rule.

torchvision's ``swin_b`` with random weights stands in for SegFace's Swin (same layout, see
``official_checkpoint_keys.json``); its stage-4 output (``features(x)``, before the final norm)
is what the official ORSANet taps.
"""
import json
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.models.backbones.swin import ShiftWindowMSA, SwinTransformer
from mmseg.registry import MODELS as SEG_MODELS
from torchvision.models import swin_b

from orsanet.conversion import segface
from orsanet.conversion.common import missing_keys
from orsanet.models.backbones.face_swin import AxisShiftWindowMSA, FaceSwinTransformer
from orsanet.models.priors import SemanticPrior

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'priors', 'segface_swinb_lapa.py')
SEGFACE_ENTRY = "SegFace swinb_lapa_224 model_299.pt ['state_dict_backbone']"
SIZES = [(224, 224), (224, 320), (256, 192)]


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return ((actual - expected).abs().max() / expected.abs().max()).item()


@pytest.fixture(scope='module')
def tool():
    return segface


@pytest.fixture(scope='module')
def cli(load_converter):
    return load_converter('segface_to_mmseg')


@pytest.fixture(scope='module')
def torchvision_swin():
    """torchvision swin_b with every tensor random (norms and biases too), in eval mode."""
    torch.manual_seed(0)
    model = swin_b(weights=None).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() != 1:
                continue
            if 'norm' in name:  # LayerNorms: weight about 1, bias about 0
                param.copy_(torch.randn_like(param) * 0.1 + name.endswith('weight'))
            else:  # Linear biases
                param.copy_(torch.randn_like(param) * 0.02)
    return model


@pytest.fixture(scope='module')
def segmentor():
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = SEG_MODELS.build(Config.fromfile(CONFIG).model)
    model.eval()
    return model


@pytest.fixture(scope='module')
def converted(tool, torchvision_swin, segmentor):
    return tool.convert(torchvision_swin.state_dict(), segmentor.state_dict())


@pytest.fixture(scope='module')
def loaded_segmentor(segmentor, converted):
    result = segmentor.load_state_dict(converted[0], strict=False)
    assert not result.unexpected_keys
    return segmentor


def stage4(backbone: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """mmseg Swin: the last stage's blocks' output as NHWC (before the output norm)."""
    captured = []
    handle = backbone.stages[-1].register_forward_hook(lambda m, a, out: captured.append(out))
    with torch.no_grad():
        backbone(x)
    handle.remove()
    tokens, (height, width) = captured[0][2], captured[0][3]
    return tokens.view(x.shape[0], height, width, -1)


def test_report_ignored_and_missing(converted, segmentor, tool):
    state, ignored = converted
    assert set(ignored) == {'head.weight', 'head.bias'}
    missing = missing_keys(state, segmentor.state_dict())
    assert missing and all(k.startswith(('decode_head.', 'backbone.norm0', 'backbone.norm1',
                                         'backbone.norm2')) for k in missing)
    assert not [k for k in segmentor.state_dict() if k.startswith('backbone.stages')
                and k not in state]


@pytest.mark.parametrize('size', SIZES)
def test_stage4_matches_torchvision(loaded_segmentor, torchvision_swin, size):
    torch.manual_seed(1)
    x = torch.randn(1, 3, *size)
    with torch.no_grad():
        expected = torchvision_swin.features(x)  # B x h x w x 1024, before the final norm
        expected_norm = torchvision_swin.norm(expected)
        outs = loaded_segmentor.backbone(x)
    actual = stage4(loaded_segmentor.backbone, x)
    assert actual.shape == expected.shape
    assert relative_error(actual, expected) < 1e-5
    assert relative_error(outs[-1].permute(0, 2, 3, 1), expected_norm) < 1e-5


def backbone_state(state: dict) -> dict:
    return {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}


def test_shift_rule_matters(converted, torchvision_swin, loaded_segmentor):
    """mmseg's stock Swin (always shifts) differs clearly where a window covers an axis."""
    assert sum(type(m) is AxisShiftWindowMSA for m in loaded_segmentor.modules()) == 12
    stock = SwinTransformer(embed_dims=128, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32),
                            out_indices=(3, ))
    stock.load_state_dict(backbone_state(converted[0]), strict=True)
    stock.eval()
    for size in [(224, 224), (224, 320)]:
        x = torch.randn(1, 3, *size)
        with torch.no_grad():
            expected = torchvision_swin.features(x)
        assert relative_error(stage4(stock, x), expected) > 1e-2  # 1000 x the tolerance


def test_rule_off_is_mmseg():
    face = FaceSwinTransformer(skip_shift_when_window_covers=False, embed_dims=32, depths=(2, 2),
                               num_heads=(1, 2), out_indices=(1, ))
    assert not any(isinstance(m, AxisShiftWindowMSA) for m in face.modules())
    assert type(face.stages[1].blocks[1].attn) is ShiftWindowMSA


def test_merge_reorder_matters(tool, torchvision_swin, loaded_segmentor, converted, monkeypatch):
    monkeypatch.setattr(tool, 'unfold_order', lambda merged: merged)
    state, _ = tool.convert(torchvision_swin.state_dict(), loaded_segmentor.state_dict())
    backbone = loaded_segmentor.backbone
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected = torchvision_swin.features(x)
    try:
        backbone.load_state_dict(backbone_state(state), strict=False)
        assert relative_error(stage4(backbone, x), expected) > 1e-2
    finally:
        backbone.load_state_dict(backbone_state(converted[0]), strict=False)


def test_unfold_order_matches_unfold(tool):
    """The permutation is the one between torchvision's slicing and nn.Unfold, on data."""
    x = torch.randn(1, 5, 4, 6)  # B, C, H, W
    unfold = torch.nn.functional.unfold(x, kernel_size=2, stride=2)[0].T  # (L, 4C) mmseg order
    nhwc = x.permute(0, 2, 3, 1)
    grids = [nhwc[:, 0::2, 0::2], nhwc[:, 1::2, 0::2], nhwc[:, 0::2, 1::2], nhwc[:, 1::2, 1::2]]
    torchvision = torch.cat(grids, dim=-1).reshape(-1, 20)  # (L, 4C) torchvision order
    assert torch.equal(tool.unfold_order(torchvision), unfold)


def test_wrong_shape_refused(tool, torchvision_swin, segmentor):
    state = dict(torchvision_swin.state_dict())
    state['features.3.1.mlp.0.weight'] = torch.zeros(2048, 256)
    with pytest.raises(ValueError, match=r"features\.3\.1\.mlp\.0\.weight.*\(2048, 256\).*"
                       r"\(1024, 256\)"):
        tool.convert(state, segmentor.state_dict())
    with pytest.raises(ValueError, match='not a torchvision-layout Swin'):
        tool.convert({'foo.weight': torch.zeros(1)}, segmentor.state_dict())


def test_official_segface_layout_is_covered(shared_dir, tool, segmentor):
    """Every Swin key of the released model_299.pt maps onto the mmseg model, shapes equal."""
    with open(osp.join(shared_dir, 'reference', 'official_checkpoint_keys.json')) as f:
        official = json.load(f)[SEGFACE_ENTRY]
    layout = tool.detect_layout(list(official))
    expected = segmentor.state_dict()
    mapped = {}
    for key, shape in official.items():
        target = tool.map_key(key, layout)
        if key.startswith('backbone.'):
            assert target in expected, key
            if not key.endswith('relative_position_index'):
                assert list(expected[target].shape) == shape, key
            mapped[target] = key
        else:
            assert target is None, key
    backbone_keys = {k for k in expected if k.startswith('backbone.')}
    assert backbone_keys - set(mapped) == {
        f'backbone.norm{i}.{p}' for i in range(3) for p in ('weight', 'bias')}


def test_cli_on_segface_layout(cli, torchvision_swin, converted, tmp_path, monkeypatch, capsys):
    """A SegFace-style file (Swin under backbone.0/1, decoder keys, 'state_dict_backbone')."""
    state = {}
    for key, value in torchvision_swin.state_dict().items():
        if key.startswith('features.'):
            state['backbone.0.' + key[len('features.'):]] = value
        elif key.startswith('norm.'):
            state['backbone.1.' + key[len('norm.'):]] = value
    state['face_decoder.face_token.weight'] = torch.zeros(1, 256)
    src, dst = tmp_path / 'model_299.pt', tmp_path / 'out.pth'
    torch.save({'state_dict_backbone': state}, src)
    monkeypatch.setattr(sys, 'argv', ['segface_to_mmseg.py', str(src), str(dst)])
    cli.main()
    printed = capsys.readouterr().out
    assert 'face_decoder.face_token (1 key)' in printed and 'missing' in printed
    saved = torch.load(dst, weights_only=True)['state_dict']
    assert saved.keys() == converted[0].keys()
    assert all(torch.equal(saved[k], converted[0][k]) for k in saved)


@pytest.mark.slow
def test_semantic_prior_gives_official_feature(torchvision_swin, converted, tmp_path):
    """Converted weights + config -> SemanticPrior features == torchvision stage 4 (NCHW)."""
    path = tmp_path / 'segface_mmseg.pth'
    torch.save({'state_dict': converted[0]}, path)
    prior = SemanticPrior(model=CONFIG, checkpoint=str(path), layer='backbone.stages.3',
                          allow_missing=segface.NOT_IN_SOURCE)
    assert prior.out_shape == (1024, 7, 7)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = torchvision_swin.features(x).permute(0, 3, 1, 2)
    actual = prior(x)
    assert actual.shape == (2, 1024, 7, 7)
    assert relative_error(actual, expected) < 1e-5
    # mmseg's own backbone init (init_cfg Pretrained) reads the converted file as well
    backbone = FaceSwinTransformer(embed_dims=128, depths=(2, 2, 18, 2),
                                   num_heads=(4, 8, 16, 32), out_indices=(3, ),
                                   init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    backbone.init_weights()
    assert all(torch.equal(v, converted[0]['backbone.' + k])
               for k, v in backbone.state_dict().items())


def test_face_swin_keeps_mmseg_keys():
    kwargs = dict(embed_dims=32, depths=(2, 2), num_heads=(1, 2), out_indices=(1, ))
    face, stock = FaceSwinTransformer(**kwargs), SwinTransformer(**kwargs)
    assert face.state_dict().keys() == stock.state_dict().keys()
    assert type(stock.stages[0].blocks[1].attn) is ShiftWindowMSA
    # where every axis spans several windows, the two agree exactly
    face.load_state_dict(stock.state_dict())
    face.eval()
    stock.eval()
    x = torch.randn(1, 3, 112, 112)  # stage 2: 14 x 14 = two windows per axis
    with torch.no_grad():
        assert torch.equal(face(x)[0], stock(x)[0])
