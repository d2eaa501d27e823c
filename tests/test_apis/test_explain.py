"""Explanations: MCM attention weights (side path = the real attention), attention maps in both
token layouts, Grad-CAM, t-SNE, and the two analysis tools on photos / a synthetic test set."""
import json
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from fer_checkpoint import CONFIG
from mmengine.config import Config
from mmpretrain.registry import MODELS
from tool_runner import run_tool

from orsanet.apis.explain import attention_map, grad_cam, mcm_attention, tsne
from orsanet.faces.sample_photos import astronaut


def build(layout: str = 'spatial'):
    torch.manual_seed(0)
    cfg = Config.fromfile(CONFIG)
    cfg.model.token_layout = layout
    return MODELS.build(cfg.model).eval()


@pytest.fixture(scope='module')
def model():
    return build()


def test_attention_weights_are_the_models_attention(model):
    """softmax(q k^T / sqrt(d)) @ v through the layer's projection equals the layer's output."""
    inputs = torch.randn(2, 3, 112, 112)
    layer = model.neck.blocks[-1].fuse_large.attn
    seen = {}
    handle = layer.register_forward_hook(lambda m, args, out: seen.update(args=args, out=out))
    with torch.no_grad():
        before = model.head(model.extract_feat(inputs))
    handle.remove()
    weights, shape = mcm_attention(model, inputs)
    x_img, _ = seen['args']
    value = layer._split_heads(layer.kv(x_img).chunk(2, dim=-1)[1])
    rebuilt = layer.proj((weights @ value).transpose(1, 2).flatten(2))
    torch.testing.assert_close(rebuilt, seen['out'], atol=1e-5, rtol=1e-5)
    assert weights.shape == (2, 8, 50, 50)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 8, 50))
    with torch.no_grad():  # the side path leaves the model's numerics alone
        torch.testing.assert_close(model.head(model.extract_feat(inputs)), before)
    heat = attention_map(model, weights, shape)
    assert heat.shape == (2, 7, 7) and torch.all(heat >= 0)


def test_official_layout_back_projection():
    model = build('official')
    inputs = torch.randn(1, 3, 112, 112)
    weights, shape = mcm_attention(model, inputs)
    channels, height, width = shape
    fake = torch.zeros_like(weights)
    fake[..., 1] = 1.0  # all attention on image token 0 = the first chunk of the backbone map
    heat = attention_map(model, fake, shape)[0]
    chunk = channels * height * width // 49
    owner = (torch.arange(channels * height * width) // chunk).reshape(channels, height, width)
    expected = (owner == 0).float().mean(dim=0)
    torch.testing.assert_close(heat, expected)
    assert heat.shape == (height, width)


def test_grad_cam(model):
    inputs = torch.randn(1, 3, 112, 112)
    cam = grad_cam(model, inputs)
    assert cam.shape[0] == 1 and cam.dim() == 3
    assert float(cam.max()) == pytest.approx(1.0) and float(cam.min()) >= 0
    others = [grad_cam(model, inputs, torch.tensor([c])) for c in range(7)]
    assert any(not torch.allclose(others[0], o) for o in others[1:])  # class-dependent
    assert all(p.grad is None for p in model.parameters())


def test_tsne_separates_clusters():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 10))
    b = rng.normal(size=(30, 10)) + 6
    points = tsne(np.concatenate([a, b]), perplexity=10)
    labels = np.array([0] * 30 + [1] * 30)
    dist = ((points[:, None] - points[None])**2).sum(-1)
    np.fill_diagonal(dist, np.inf)
    nearest = labels[dist.argmin(1)]
    assert (nearest == labels).all()
    with pytest.raises(ValueError, match='at least 5'):
        tsne(np.zeros((3, 2)))


def test_tsne_keeps_neighbourhoods():
    """Seven 64-d classes: the embedding keeps the neighbours and the classes apart (on these
    points the numpy t-SNE this replaced gave trustworthiness 0.969 and scikit-learn's 0.971,
    both with every nearest neighbour in its own class)."""
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3.0, size=(7, 64))
    labels = np.repeat(np.arange(7), 50)
    x = centres[labels] + rng.normal(scale=4.0, size=(350, 64))
    points = tsne(x, perplexity=30)
    assert trustworthiness(x, points, n_neighbors=10) > 0.95
    dist = ((points[:, None] - points[None])**2).sum(-1)
    np.fill_diagonal(dist, np.inf)
    assert (labels[dist.argmin(1)] == labels).mean() > 0.95


@pytest.mark.slow
def test_explain_faces_tool(checkpoint, tmp_path, repo_root):
    photo = tmp_path / 'astronaut.png'
    cv2.imwrite(str(photo), astronaut())
    out = tmp_path / 'explain'
    run_tool([sys.executable, 'tools/analysis_tools/explain_faces.py', CONFIG, str(photo),
              '--checkpoint', checkpoint, '--out-dir', str(out)], cwd=repo_root)
    figure = cv2.imread(str(out / 'astronaut_explain.png'))
    assert figure is not None and figure.shape[1] == 600
    [entry] = json.loads((out / 'explanations.json').read_text())
    [face] = entry['faces']
    for key in ('attention_peak', 'grad_cam_peak'):
        assert all(0 <= v <= 100 for v in face[key])


@pytest.mark.slow
def test_feature_tsne_tool(checkpoint, tmp_path, repo_root):
    out = tmp_path / 'tsne'
    output = run_tool([sys.executable, 'tools/analysis_tools/feature_tsne.py', CONFIG, checkpoint,
                       '--out-dir', str(out), '--perplexity', '8'], cwd=repo_root)
    assert '35 samples' in output
    assert osp.getsize(out / 'tsne.png') > 10_000
    rows = (out / 'tsne.csv').read_text().splitlines()
    assert rows[0] == 'x,y,label,prediction' and len(rows) == 36
