"""SemanticPrior / LandmarkPrior around stock mmseg and mmpose models (random weights), and the
official landmark prior (MobileFaceNet) against the reference tensors."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.hub import get_config
from mmengine.model import BaseModule
from mmengine.runner import load_checkpoint, save_checkpoint
from mmengine.runner.checkpoint import get_state_dict
from mmpretrain.registry import MODELS
from torch import nn

from orsanet.conversion import mobilefacenet
from orsanet.models.priors import LandmarkPrior, SemanticPrior
from orsanet.models.priors.landmark_prior import argmax_coords, render_heatmaps
from orsanet.models.priors.layer_adapters import get_layer_adapter

BISENET = 'mmseg::_base_/models/bisenetv2.py'
HRNET = 'mmpose::face_2d_keypoint/topdown_heatmap/wflw/td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256.py'
RTMPOSE = 'mmpose::face_2d_keypoint/rtmpose/face6/rtmpose-t_8xb256-120e_face6-256x256.py'
REGRESSION = ('mmpose::face_2d_keypoint/topdown_regression/wflw/'
              'td-reg_res50_8xb64-210e_wflw-256x256.py')
IMAGENET_RGB = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return ((actual - expected).abs().max() / expected.abs().max()).item()


def bisenet(**kwargs) -> SemanticPrior:
    torch.manual_seed(0)
    return SemanticPrior(model=BISENET, **kwargs)


def regression_model_cfg() -> dict:
    """The stock WFLW regression model, shrunk to ResNet-18 (a dict config)."""
    model = get_config(REGRESSION).model
    model.backbone.depth = 18
    model.head.in_channels = 512
    return model


class Parent(nn.Module):
    """A stand-in classifier: a trainable conv on top of a prior."""

    def __init__(self, prior: nn.Module) -> None:
        super().__init__()
        self.prior = prior
        self.conv = nn.Conv2d(prior.out_channels, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.prior(x))


class ParentModule(BaseModule):
    """A stand-in classifier as MMEngine initialises it (``init_cfg``, ``init_weights``)."""

    def __init__(self, prior: nn.Module, init_cfg: dict) -> None:
        super().__init__(init_cfg=init_cfg)
        self.prior = prior
        self.conv = nn.Conv2d(prior.out_channels, 4, 1)


@pytest.fixture(scope='module')
def logits_prior() -> SemanticPrior:
    """BiSeNetV2 tapped at its classifier conv (the logits), fed ImageNet-normalised RGB."""
    return bisenet(layer='decode_head.conv_seg', data_preprocessor=IMAGENET_RGB)


# --- frozen, eval, no grad --------------------------------------------------------------------

def test_frozen_eval_no_grad(logits_prior):
    parent = Parent(logits_prior)
    assert not any(p.requires_grad for p in logits_prior.parameters())
    assert parent.train() is parent and parent.training and parent.conv.training
    assert not any(m.training for m in logits_prior.modules())
    assert logits_prior.train() is logits_prior
    x = torch.randn(2, 3, 64, 64, requires_grad=True)
    feats = logits_prior(x)
    assert not feats.requires_grad
    parent(x).sum().backward()
    assert parent.conv.weight.grad is not None
    assert all(p.grad is None for p in logits_prior.parameters())


def test_built_from_mmpretrain_registry():
    prior = MODELS.build(dict(type='SemanticPrior', model=BISENET, output='probs'))
    assert isinstance(prior, SemanticPrior) and prior.out_channels == 19


# --- normalisation ----------------------------------------------------------------------------

def test_renormalisation_is_exact_noop_when_equal(logits_prior):
    x = torch.randn(2, 3, 64, 64)
    assert not logits_prior.renormalise and logits_prior.prepare_inputs(x) is x
    with torch.no_grad():
        expected = logits_prior.model(x, None, mode='tensor')
    assert torch.equal(logits_prior(x), expected)


def test_renormalisation_when_different(logits_prior):
    """Classifier: BGR, (x - 127.5) / 127.5; wrapped BiSeNet: RGB, ImageNet mean/std."""
    prior = bisenet(layer='decode_head.conv_seg',
                    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, to_rgb=False))
    rgb = torch.rand(2, 3, 64, 64) * 255
    classifier_batch = (rgb.flip(1) - 127.5) / 127.5
    mean = torch.tensor(IMAGENET_RGB['mean']).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_RGB['std']).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = prior.model((rgb - mean) / std, None, mode='tensor')
        unadapted = prior.model(classifier_batch, None, mode='tensor')
    assert prior.renormalise
    assert relative_error(prior(classifier_batch), expected) < 1e-5
    assert relative_error(unadapted, expected) > 0.01  # the adaptation is needed


# --- semantic outputs -------------------------------------------------------------------------

def test_semantic_probs_and_resize():
    prior = bisenet(output='probs', input_size=(96, 64), resize_mode='bilinear')
    assert prior.out_shape == (19, 96, 64)
    probs = prior(torch.randn(2, 3, 128, 128))
    assert probs.shape == (2, 19, 96, 64)
    assert torch.allclose(probs.sum(dim=1), torch.ones(2, 96, 64), atol=1e-5)
    assert probs.min() >= 0


def test_semantic_features_tap_a_named_layer():
    prior = bisenet(layer='backbone.bga')
    x = torch.randn(2, 3, 64, 64)
    captured = []
    handle = prior.model.backbone.bga.register_forward_hook(lambda m, a, o: captured.append(o))
    with torch.no_grad():
        prior.model(x, None, mode='tensor')
    handle.remove()
    feats = prior(x)
    assert torch.equal(feats, captured[0])
    assert prior.out_channels == feats.shape[1] == 128
    assert not prior.model.backbone.bga._forward_hooks  # the per-call hook is gone


def test_default_layer_is_backbone_last_map():
    prior = bisenet()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        outs = prior.model.backbone(x)
    assert torch.equal(prior(x), outs[-1])


# --- landmark outputs -------------------------------------------------------------------------

@pytest.mark.slow
def test_landmark_heatmap_model_all_modes():
    """HRNetV2-w18 WFLW (98 points, heatmap head), built from its mmpose config alone."""
    torch.manual_seed(0)
    prior = LandmarkPrior(model=HRNET, output='heatmaps', input_size=128)
    x = torch.randn(2, 3, 224, 224)
    heatmaps = prior(x)
    assert heatmaps.shape == (2, 98, 32, 32) and prior.out_shape == (98, 32, 32)
    coords_prior = LandmarkPrior(model=HRNET, output='coords', input_size=128)
    coords_prior.model.load_state_dict(prior.model.state_dict())
    coords = coords_prior(x)
    assert coords.shape == (2, 98, 2) and coords_prior.out_channels == 98
    assert torch.equal(coords, argmax_coords(heatmaps))
    feats = LandmarkPrior(model=HRNET, layer='neck', input_size=128)
    assert feats(x).shape == (2, 270, 32, 32)  # HRNetV2's neck concatenates the branches


def test_landmark_simcc_model():
    """RTMPose-t (SimCC head, CSPNeXt from mmdet), 106 points, 256 x 256."""
    torch.manual_seed(0)
    prior = LandmarkPrior(model=RTMPOSE, output='coords', input_size=256)
    coords = prior(torch.randn(1, 3, 224, 224))
    assert coords.shape == (1, 106, 2) and 0 <= coords.min() and coords.max() < 1
    heatmap_prior = LandmarkPrior(model=RTMPOSE, output='heatmaps', input_size=256, sigma=1.5)
    heatmap_prior.model.load_state_dict(prior.model.state_dict())
    heatmaps = heatmap_prior(torch.zeros(1, 3, 256, 256))
    assert heatmaps.shape == (1, 106, 64, 64)
    coords0 = prior(torch.zeros(1, 3, 256, 256))
    assert (argmax_coords(heatmaps) - coords0).abs().max() <= 1 / 64 + 1e-6


def test_landmark_regression_model_from_dict():
    torch.manual_seed(0)
    prior = LandmarkPrior(model=regression_model_cfg(), output='coords', input_size=64)
    x = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        expected = prior.model(prior.prepare_inputs(x), None, mode='tensor')
    assert torch.equal(prior(x), expected) and expected.shape == (2, 98, 2)
    heatmap_prior = LandmarkPrior(model=regression_model_cfg(), output='heatmaps',
                                  input_size=64, heatmap_size=(20, 16))
    assert heatmap_prior(x).shape == (2, 98, 20, 16)


def test_render_and_argmax_round_trip():
    coords = torch.tensor([[[3 / 16, 5 / 20], [15 / 16, 0.0]]])  # integer pixels of 16 x 20
    heatmaps = render_heatmaps(coords, (20, 16), sigma=2.0)
    assert heatmaps.shape == (1, 2, 20, 16)
    assert heatmaps[0, 0, 5, 3] == 1.0
    assert torch.allclose(heatmaps[0, 0, 5, 5], torch.exp(torch.tensor(-4 / 8)))
    assert torch.equal(argmax_coords(heatmaps), coords)


def test_official_landmark_prior_matches_reference(reference, repo_root, tmp_path):
    """Official mode: 224 px batch, nearest resize to 112, conv_6_sep features (and landmarks)."""
    ref = reference('mobilefacenet.pt')
    converted, _ = mobilefacenet.convert(ref['state_dict'])
    path = str(tmp_path / 'mobilefacenet_mmpose.pth')
    save_checkpoint({'state_dict': converted}, path)
    config = osp.join(repo_root, 'configs', 'priors', 'mobilefacenet_68pt_300w.py')
    x224 = ref['x'].repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)  # nearest 112->224
    features = LandmarkPrior(model=config, checkpoint=path, layer='backbone.conv_6_sep',
                             input_size=112, data_preprocessor=IMAGENET_RGB)
    assert features.out_shape == (512, 7, 7) and not features.renormalise
    assert relative_error(features(x224), ref['conv_6_sep']) < 1e-5
    coords = LandmarkPrior(model=config, checkpoint=path, output='coords', input_size=112)
    assert relative_error(coords(x224), ref['landmarks'].view(-1, 68, 2)) < 1e-5


# --- state dict -------------------------------------------------------------------------------

def test_state_dict_leaves_prior_weights_out(logits_prior, tmp_path):
    parent = Parent(logits_prior)
    state = parent.state_dict()
    assert set(state) == {'conv.weight', 'conv.bias'}
    other = Parent(bisenet(layer='decode_head.conv_seg', data_preprocessor=IMAGENET_RGB))
    before = {k: v.clone() for k, v in other.prior.model.state_dict().items()}
    other.load_state_dict(state, strict=True)
    assert torch.equal(other.conv.weight, parent.conv.weight)
    assert all(torch.equal(v, before[k]) for k, v in other.prior.model.state_dict().items())
    # MMEngine's own saving and loading (the runner's path)
    path = str(tmp_path / 'parent.pth')
    save_checkpoint({'state_dict': get_state_dict(parent)}, path)
    assert set(torch.load(path, weights_only=True)['state_dict']) == set(state)
    load_checkpoint(other, path, strict=True)


def test_state_dict_with_save_weights():
    parent = Parent(bisenet(layer='decode_head.conv_seg', save_weights=True))
    state = parent.state_dict()
    prior_keys = [k for k in state if k.startswith('prior.model.')]
    assert len(prior_keys) == len(parent.prior.model.state_dict())
    other = Parent(bisenet(layer='decode_head.conv_seg', save_weights=True))
    with torch.no_grad():
        for param in other.prior.model.parameters():
            param.add_(1.0)
    other.load_state_dict(state, strict=True)
    assert all(torch.equal(v, state['prior.model.' + k])
               for k, v in other.prior.model.state_dict().items())
    partial = {k: v for k, v in state.items() if not k.startswith('prior.model.')}
    with pytest.raises(RuntimeError, match='Missing key'):
        other.load_state_dict(partial, strict=True)


# --- checkpoints and errors -------------------------------------------------------------------

def test_checkpoint_loading_and_init_weights(logits_prior, tmp_path):
    path = str(tmp_path / 'bisenet.pth')
    save_checkpoint(logits_prior.model.state_dict(), path)
    prior = bisenet(layer='decode_head.conv_seg', checkpoint=path)
    reference = logits_prior.model.state_dict()
    assert all(torch.equal(v, reference[k]) for k, v in prior.model.state_dict().items())
    # a parent whose init_cfg re-initialises every conv (the prior's too) ...
    parent = ParentModule(prior, init_cfg=dict(type='Normal', layer='Conv2d', std=1.0))
    parent.init_weights()  # ... then the prior reloads its checkpoint
    assert all(torch.equal(v, reference[k]) for k, v in prior.model.state_dict().items())
    assert parent.conv.weight.std() > 0.5  # the parent's own layers did get its init


def test_bad_checkpoints(logits_prior, tmp_path):
    missing = str(tmp_path / 'nowhere.pth')
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        bisenet(checkpoint=missing)
    state = dict(logits_prior.model.state_dict())
    state['decode_head.conv_seg.weight'] = torch.zeros(7, 1024, 1, 1)
    bad_shape = str(tmp_path / 'bad_shape.pth')
    save_checkpoint(state, bad_shape)
    with pytest.raises(ValueError, match=r'decode_head\.conv_seg\.weight: checkpoint '
                       r'\(7, 1024, 1, 1\) vs model \(19, 1024, 1, 1\)'):
        bisenet(checkpoint=bad_shape)
    state = {k: v for k, v in logits_prior.model.state_dict().items()
             if not k.startswith('auxiliary_head')}
    partial = str(tmp_path / 'partial.pth')
    save_checkpoint(state, partial)
    with pytest.raises(ValueError, match='missing keys.*auxiliary_head'):
        bisenet(checkpoint=partial)
    bisenet(checkpoint=partial, allow_missing=('auxiliary_head.', ))  # listed: allowed
    unrelated = str(tmp_path / 'unrelated.pth')
    save_checkpoint({'foo.weight': torch.zeros(2)}, unrelated)
    with pytest.raises(ValueError, match='no key of checkpoint'):
        bisenet(checkpoint=unrelated, allow_missing=('auxiliary_head.', ))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"no layer 'backbone\.bgaa'.*'backbone\.bga'"):
        bisenet(layer='backbone.bgaa')
    with pytest.raises(ValueError, match="unknown output 'maps'.*'probs'"):
        bisenet(output='maps')
    with pytest.raises(ValueError, match="unknown output 'probs'"):
        LandmarkPrior(model=HRNET, output='probs')
    with pytest.raises(FileNotFoundError, match='no_such_config.py'):
        SemanticPrior(model=str(tmp_path / 'no_such_config.py'))
    with pytest.raises(KeyError, match="unknown layer_adapter 'nope'"):
        bisenet(layer_adapter='nope')
    with pytest.raises(ValueError, match='resize_mode'):
        bisenet(resize_mode='linear')


def test_config_file_and_full_config_forms(repo_root):
    cfg = get_config(BISENET)
    prior = SemanticPrior(model=cfg, output='probs')  # a full config: its `model` is used
    assert prior.out_channels == 19
    path = osp.join(repo_root, 'configs', 'priors', 'segface_swinb_lapa.py')
    assert osp.isfile(path)


# --- layer adapters ---------------------------------------------------------------------------

def test_token_stage_adapter():
    tokens = torch.arange(2 * 6 * 4, dtype=torch.float32).view(2, 6, 4)  # B, H*W, C
    stage = (torch.zeros(1), (2, 3), tokens, (2, 3))
    out = get_layer_adapter('auto')(stage)
    assert out.shape == (2, 4, 2, 3)
    assert torch.equal(out[1, :, 1, 2], tokens[1, 5])  # row-major (h, w) -> token h * W + w
    maps = [torch.zeros(1, 2, 4, 4), torch.ones(1, 3, 2, 2)]
    assert torch.equal(get_layer_adapter('auto')(maps), maps[-1])
    with pytest.raises(TypeError, match='expected a \\(B, C, H, W\\) tensor'):
        get_layer_adapter('tensor')(torch.zeros(2, 3))


def test_decoding_and_rendering_agree_with_mmpose_codecs():
    """The batched torch versions (they run on the model's device inside forward) give mmpose's
    numpy codecs' numbers: arg-max of heatmaps and SimCC, Gaussians within mmpose's 3-sigma
    window (mmpose cuts them to 0 outside it)."""
    from mmpose.codecs.utils import (
        generate_gaussian_heatmaps,
        get_heatmap_maximum,
        get_simcc_maximum,
    )

    torch.manual_seed(0)
    heatmaps = torch.rand(2, 5, 16, 12)
    locs, _ = get_heatmap_maximum(heatmaps.numpy())
    assert torch.equal(argmax_coords(heatmaps) * torch.tensor([12., 16.]),
                       torch.from_numpy(locs).float())
    simcc_x, simcc_y = torch.rand(2, 5, 24), torch.rand(2, 5, 32)
    locs, _ = get_simcc_maximum(simcc_x.numpy(), simcc_y.numpy())
    ours = torch.cat([argmax_coords(simcc_x) * 24, argmax_coords(simcc_y) * 32], dim=-1)
    assert torch.equal(ours, torch.from_numpy(locs).float())
    points = torch.tensor([[[3., 5.], [9., 12.], [6., 8.]]])  # integer heatmap pixels
    theirs, _ = generate_gaussian_heatmaps((12, 16), points.numpy(), np.ones((1, 3)), sigma=2.0)
    rendered = render_heatmaps(points / torch.tensor([12., 16.]), (16, 12), sigma=2.0)[0]
    window = torch.from_numpy(theirs) > 0
    assert torch.allclose(rendered[window], torch.from_numpy(theirs)[window], atol=1e-6)
    assert rendered[~window].max() < np.exp(-4.5) + 1e-6  # beyond 3 sigma
