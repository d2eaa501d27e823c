"""Explanations of ORSANet's predictions: MCM attention maps, Grad-CAM on the backbone, t-SNE.

- :func:`mcm_attention`: the attention weights of one MCM cross-fusion layer, computed
  explicitly in a side path (a forward hook re-derives softmax(q k^T / sqrt(d_h)) from the layer's
  inputs), so the model's own ``scaled_dot_product_attention`` numerics are untouched.
- :func:`attention_map`: those weights as a map over the aligned face. With
  ``token_layout='spatial'`` image token i is grid cell i; with the official layout token i is
  the i-th raw chunk of the flattened (C, H, W) backbone map, so each backbone position gets the
  mean attention of the chunks that hold its C values (nearly uniform by construction: a chunk
  spans whole channels, i.e. all positions; see docs/inference.md).
- :func:`grad_cam`: Grad-CAM (ReLU of the gradient-weighted channel sum) on the backbone's last
  output for the predicted (or given) class.
- :func:`tsne`: scikit-learn's t-SNE, for the feature maps of a test set.
"""
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _attention_layer(model: nn.Module, block: int, scale: str) -> nn.Module:
    blocks = model.neck.blocks
    if not -len(blocks) <= block < len(blocks):
        raise IndexError(f'MCM has {len(blocks)} blocks; block {block} does not exist')
    if scale not in ('large', 'mid', 'small'):
        raise ValueError(f"scale must be 'large', 'mid' or 'small', got {scale!r}")
    return getattr(blocks[block], f'fuse_{scale}').attn


@torch.no_grad()
def mcm_attention(model: nn.Module, inputs: Tensor, block: int = -1,
                  scale: str = 'large') -> Tuple[Tensor, Tuple[int, int, int]]:
    """Attention weights (B, heads, N_l + 1, N_i + 1) of MCM ``block`` at ``scale`` for a
    normalised batch (B, 3, H, W) (rows: landmark queries, columns: image keys; row/column 0 are
    the mean tokens) and the (C, H, W) shape of the backbone map the image tokens come from."""
    layer = _attention_layer(model, block, scale)
    captured, shapes = [], []

    def hook(module: nn.Module, args, output) -> None:
        x_img, x_lm = args
        key = module.kv(x_img).chunk(2, dim=-1)[0]
        query, key = module._split_heads(x_lm), module._split_heads(key)
        logits = query @ key.transpose(-2, -1) / query.shape[-1]**0.5
        captured.append(logits.softmax(dim=-1))

    handles = [layer.register_forward_hook(hook), model.image_tokens.register_forward_hook(
        lambda module, args, output: shapes.append(tuple(args[0].shape[1:])))]
    try:
        model.extract_feat(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return captured[0], shapes[0]


def attention_map(model: nn.Module, weights: Tensor,
                  backbone_shape: Tuple[int, int, int]) -> Tensor:
    """(B, heads, Nq, Nk) MCM weights -> (B, h, w) map over the face: the attention the landmark
    queries (mean over queries and heads, mean token excluded) pay to each image token, placed
    where that token's content comes from (see the module docstring)."""
    per_token = weights[:, :, 1:, 1:].mean(dim=(1, 2))  # (B, N_i)
    tokens = model.image_tokens
    grid = tokens.grid
    if tokens.layout == 'spatial':
        return per_token.reshape(-1, grid, grid)
    channels, height, width = backbone_shape
    chunk = channels * height * width // (grid * grid)
    owner = torch.arange(channels * height * width) // chunk  # token of each element
    return per_token[:, owner].reshape(-1, channels, height, width).mean(dim=1)


def grad_cam(model: nn.Module, inputs: Tensor, target: Optional[Tensor] = None) -> Tensor:
    """Grad-CAM (B, h, w) on the backbone's last output, normalised to [0, 1] per image, for
    ``target`` classes (B,) or the predicted ones."""
    store = {}

    def hook(module: nn.Module, args, output) -> None:
        out = output[-1] if isinstance(output, (tuple, list)) else output
        out.retain_grad()
        store['act'] = out

    handle = model.backbone.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            x = inputs.detach().clone().requires_grad_(True)
            logits = model.head(model.extract_feat(x))
            target = logits.argmax(dim=1) if target is None else target
            model.zero_grad(set_to_none=True)
            logits.gather(1, target.view(-1, 1)).sum().backward()
    finally:
        handle.remove()
        model.train(was_training)
    act, grad = store['act'], store['act'].grad
    cam = F.relu((grad.mean(dim=(2, 3), keepdim=True) * act).sum(dim=1)).detach()
    peak = cam.flatten(1).max(dim=1).values.clamp_min(1e-12)
    model.zero_grad(set_to_none=True)
    return cam / peak.view(-1, 1, 1)


def tsne(features: np.ndarray, perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    """2-D t-SNE embedding (N, 2) of ``features`` (N, F): scikit-learn's ``TSNE`` (PCA
    initialisation; the perplexity capped at (N - 1) / 3 for small sets)."""
    from sklearn.manifold import TSNE

    x = np.asarray(features, np.float64)
    if len(x) < 5:
        raise ValueError(f't-SNE needs at least 5 points, got {len(x)}')
    perplexity = min(perplexity, (len(x) - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init='pca',
                random_state=seed).fit_transform(x)


def explain_crops(model: nn.Module, pipeline, crops, block: int = -1,
                  scale: str = 'large') -> list:
    """Per aligned BGR crop: ``dict(attention=(h, w), grad_cam=(h', w'), label=int)``, numpy
    maps over the crop (attention: :func:`attention_map`, mean 1/N_i; Grad-CAM in [0, 1])."""
    from mmengine.dataset import default_collate

    out = []
    for crop in crops:
        data = model.data_preprocessor(default_collate(
            [pipeline(dict(img=crop, img_shape=crop.shape[:2], ori_shape=crop.shape[:2]))]), False)
        inputs = data['inputs']
        weights, shape = mcm_attention(model, inputs, block, scale)
        attention = attention_map(model, weights, shape)[0].cpu().numpy()
        cam = grad_cam(model, inputs)[0].cpu().numpy()
        with torch.no_grad():
            label = int(model.head(model.extract_feat(inputs)).argmax(dim=1))
        out.append(dict(attention=attention, grad_cam=cam, label=label))
    return out
