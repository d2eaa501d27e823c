"""MCM: the Multi-scale Cross-interaction Module of ORSANet (arXiv 2507.15401).

Image tokens and landmark tokens are stacked along the token axis; the module works at three
scales of the EMBEDDING axis (D, D/2, D/4; the tokens act as Conv1d channels). At each scale a
cross-fusion layer lets the landmark tokens query the image tokens; scales are merged top-down.
The file reads top to bottom: attention, cross-fusion layer, multi-scale block, the neck.
"""
from collections import OrderedDict
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor


def explicit_attention(query: Tensor, key: Tensor, value: Tensor,
                       dropout_p: float = 0.) -> Tensor:
    """``softmax(q k^T / sqrt(d)) v`` written out (the official code's form); the reference of
    ``F.scaled_dot_product_attention``. Shapes: (B, h, Nq, d), (B, h, Nk, d) x 2 -> (B, h, Nq, d).
    """
    attn = (query @ key.transpose(-2, -1)) * query.shape[-1]**-0.5
    attn = F.dropout(attn.softmax(dim=-1), p=dropout_p) if dropout_p else attn.softmax(dim=-1)
    return attn @ value


class LandmarkQueryAttention(nn.Module):
    """Multi-head attention with landmark tokens as queries and image tokens as keys/values.

    The queries are the normalised landmark tokens themselves (no projection); keys and values
    come from one ``Linear(d, 2d)``. Row ``i`` of the output (query ``i``) is later added to image
    token ``i``, so with as many landmark as image tokens (the official setting) the output keeps
    the query order. With different counts, a learned map along the token axis
    (``token_map``, ``Linear(n_lm, n_img)``) turns the ``n_lm`` query rows into ``n_img`` rows; it
    does not exist in the official setting.

    Args:
        dim (int): Embedding size d.
        num_heads (int): Attention heads; ``dim`` must be divisible by it.
        num_img (int): Image tokens including the mean token (keys/values).
        num_lm (int): Landmark tokens including the mean token (queries).
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        proj_drop (float): Dropout after the output projection. Defaults to 0.

    ``use_sdpa`` (attribute, default True): ``F.scaled_dot_product_attention`` (fused kernels)
    or :func:`explicit_attention`; ``MCMNeck(use_sdpa=...)`` sets it on every layer.

    Shapes:
        x_img: (B, num_img, d); x_lm: (B, num_lm, d). Output: (B, num_img, d).
    """

    def __init__(self, dim: int, num_heads: int, num_img: int, num_lm: int,
                 attn_drop: float = 0., proj_drop: float = 0.) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.use_sdpa = True
        self.kv = nn.Linear(dim, dim * 2, bias=True)
        self.token_map = nn.Linear(num_lm, num_img) if num_lm != num_img else None
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def _split_heads(self, x: Tensor) -> Tensor:
        batch, tokens, dim = x.shape
        return x.reshape(batch, tokens, self.num_heads, dim // self.num_heads).transpose(1, 2)

    def forward(self, x_img: Tensor, x_lm: Tensor) -> Tensor:
        key, value = self.kv(x_img).chunk(2, dim=-1)
        attention = F.scaled_dot_product_attention if self.use_sdpa else explicit_attention
        attn_out = attention(
            self._split_heads(x_lm), self._split_heads(key), self._split_heads(value),
            dropout_p=self.attn_drop if self.training else 0.)
        attn_out = attn_out.transpose(1, 2).flatten(2)  # (B, num_lm, d)
        if self.token_map is not None:
            attn_out = self.token_map(attn_out.transpose(1, 2)).transpose(1, 2)
        return self.proj_drop(self.proj(attn_out))


class CrossFusionLayer(nn.Module):
    """One scale of an MCM block: landmark-guided attention on the image half of the tokens.

    ``N = LN1(X)``; ``I = I + DropPath(Attn(N_I, N_L))``; ``I = I + DropPath(MLP(LN2(I)))``;
    ``L = s * L`` (``s`` a learned scalar, ``L`` un-normalised); ``X = Conv1d_k1(cat(I, L))``.

    Args:
        dim (int): Embedding size d of this scale.
        num_heads (int): Attention heads.
        num_img (int): Image tokens including the mean token.
        num_lm (int): Landmark tokens including the mean token.
        mlp_ratio (float): MLP hidden size over ``dim``. Defaults to 2.
        drop (float): Dropout after the attention projection and in the MLP. Defaults to 0.
        attn_drop (float): Dropout on attention weights. Defaults to 0.
        drop_path (float): Stochastic depth rate of both residual branches. Defaults to 0.

    Shapes:
        x: (B, num_img + num_lm, dim). Output: the same.
    """

    def __init__(self, dim: int, num_heads: int, num_img: int, num_lm: int,
                 mlp_ratio: float = 2., drop: float = 0., attn_drop: float = 0.,
                 drop_path: float = 0.) -> None:
        super().__init__()
        self.num_img = num_img
        hidden = int(dim * mlp_ratio)
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = LandmarkQueryAttention(dim, num_heads, num_img, num_lm, attn_drop, drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(OrderedDict(
            fc1=nn.Linear(dim, hidden), act=nn.GELU(), drop1=nn.Dropout(drop),
            fc2=nn.Linear(hidden, dim), drop2=nn.Dropout(drop)))
        self.lm_scale = nn.Parameter(torch.ones(1))
        self.token_mix = nn.Conv1d(num_img + num_lm, num_img + num_lm, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        normed = self.norm1(x)
        x_img, x_lm = x[:, :self.num_img], x[:, self.num_img:]
        attn = self.attn(normed[:, :self.num_img], normed[:, self.num_img:])
        x_img = x_img + self.drop_path(attn)
        x_img = x_img + self.drop_path(self.mlp(self.norm2(x_img)))
        return self.token_mix(torch.cat((x_img, x_lm * self.lm_scale), dim=1))


class MCMBlock(nn.Module):
    """Cross-fusion at three embedding scales, then a top-down merge.

    ``X_m = up_small(X_s) + X_m``; ``X_l = X_l + up_mid(X_m)``, with ``ConvTranspose1d(k=2, s=2)``
    over the token channels doubling the embedding size.

    Args:
        dim (int): Embedding size D of the large scale (mid: D/2, small: D/4).
        num_heads (int): Attention heads at every scale.
        num_img (int): Image tokens including the mean token.
        num_lm (int): Landmark tokens including the mean token.
        mlp_ratio (float): MLP hidden size over the scale's embedding size.
        drop, attn_drop, drop_path (float): As in :class:`CrossFusionLayer`.

    Shapes:
        scales: [(B, T, D), (B, T, D/2), (B, T, D/4)], T = num_img + num_lm. Output: the same.
    """

    def __init__(self, dim: int, num_heads: int, num_img: int, num_lm: int, mlp_ratio: float,
                 drop: float = 0., attn_drop: float = 0., drop_path: float = 0.) -> None:
        super().__init__()
        tokens = num_img + num_lm

        def layer(scale_dim: int) -> CrossFusionLayer:
            return CrossFusionLayer(scale_dim, num_heads, num_img, num_lm, mlp_ratio, drop,
                                    attn_drop, drop_path)

        self.fuse_large, self.fuse_mid, self.fuse_small = layer(dim), layer(dim // 2), layer(
            dim // 4)
        self.up_small = nn.ConvTranspose1d(tokens, tokens, kernel_size=2, stride=2)
        self.up_mid = nn.ConvTranspose1d(tokens, tokens, kernel_size=2, stride=2)

    def forward(self, scales: Sequence[Tensor]) -> List[Tensor]:
        x_large = self.fuse_large(scales[0])
        x_mid = self.fuse_mid(scales[1])
        x_small = self.fuse_small(scales[2])
        x_mid = self.up_small(x_small) + x_mid
        x_large = x_large + self.up_mid(x_mid)
        return [x_large, x_mid, x_small]


@MODELS.register_module()
class MCMNeck(BaseModule):
    """Multi-scale Cross-interaction Module (MCM) of ORSANet.

    Each token set gets its mean prepended (a "cls" token); the image tokens get a learned position
    embedding (zero-initialised). ``X = cat(image, landmark)`` along tokens is seen at three
    embedding scales (``Conv1d`` over the token channels with kernel = stride = 2 and 4), passed
    through ``depth`` :class:`MCMBlock` s, and the output is ``LayerNorm(X_large)[:, 0]``.

    Args:
        embed_dims (int): Token size D; divisible by 4 * num_heads. Defaults to 512.
        depth (int): Number of MCM blocks. Defaults to 8.
        num_heads (int): Attention heads at every scale. Defaults to 8.
        mlp_ratio (float): MLP hidden size over embedding size. Defaults to 2.
        num_img_tokens (int): Image tokens N_i the neck is built for. Defaults to 49.
        num_lm_tokens (int): Landmark tokens N_l the neck is built for. Defaults to 49.
        drop_path_rate (float): Stochastic depth of the last block (linear from 0).
            Defaults to 0.1.
        drop_rate (float): Dropout on embeddings, attention output and MLP. Defaults to 0.
        attn_drop_rate (float): Dropout on attention weights. Defaults to 0.
        use_sdpa (bool): Fast path: attention by ``F.scaled_dot_product_attention`` (fused
            kernels: flash / memory-efficient on GPUs); False writes the softmax out as the
            official code does (same numbers to float rounding). Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Shapes:
        x_img: (B, N_i, D); x_lm: (B, N_l, D). Output: (B, D).
    """

    def __init__(self,
                 embed_dims: int = 512,
                 depth: int = 8,
                 num_heads: int = 8,
                 mlp_ratio: float = 2.,
                 num_img_tokens: int = 49,
                 num_lm_tokens: int = 49,
                 drop_path_rate: float = 0.1,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 use_sdpa: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if embed_dims % (4 * num_heads):
            raise ValueError(f'MCMNeck: embed_dims ({embed_dims}) must be divisible by 4 * '
                             f'num_heads ({4 * num_heads}): the smallest scale has embed_dims/4 '
                             'split over num_heads heads')
        self.embed_dims = embed_dims
        self.num_img_tokens, self.num_lm_tokens = num_img_tokens, num_lm_tokens
        num_img, num_lm = num_img_tokens + 1, num_lm_tokens + 1
        tokens = num_img + num_lm
        self.pos_embed = nn.Parameter(torch.zeros(1, num_img, embed_dims))
        self.pos_drop = nn.Dropout(drop_rate)
        self.down_mid = nn.Conv1d(tokens, tokens, kernel_size=2, stride=2)
        self.down_small = nn.Conv1d(tokens, tokens, kernel_size=4, stride=4)
        rates = torch.linspace(0, drop_path_rate, depth, device='cpu').tolist()
        self.blocks = nn.ModuleList(
            MCMBlock(embed_dims, num_heads, num_img, num_lm, mlp_ratio, drop_rate,
                     attn_drop_rate, rate) for rate in rates)
        self.norm = nn.LayerNorm(embed_dims, eps=1e-6)
        self.use_sdpa = use_sdpa
        for module in self.modules():
            if isinstance(module, LandmarkQueryAttention):
                module.use_sdpa = use_sdpa

    def _check_tokens(self, name: str, x: Tensor, expected: int, arg: str) -> None:
        if x.dim() != 3 or x.shape[1] != expected or x.shape[2] != self.embed_dims:
            raise ValueError(f'MCMNeck expects {name} of shape (B, {expected}, {self.embed_dims})'
                             f' ({arg}={expected}, embed_dims={self.embed_dims}), got '
                             f'{tuple(x.shape)}: {x.shape[1] if x.dim() == 3 else "?"} tokens')

    @staticmethod
    def _prepend_mean(tokens: Tensor) -> Tensor:
        return torch.cat((tokens.mean(dim=1, keepdim=True), tokens), dim=1)

    def forward(self, x_img: Tensor, x_lm: Tensor) -> Tensor:
        self._check_tokens('x_img', x_img, self.num_img_tokens, 'num_img_tokens')
        self._check_tokens('x_lm', x_lm, self.num_lm_tokens, 'num_lm_tokens')
        x_img = self.pos_drop(self._prepend_mean(x_img) + self.pos_embed)
        tokens = torch.cat((x_img, self._prepend_mean(x_lm.to(x_img.dtype))), dim=1)
        scales = [tokens, self.down_mid(tokens), self.down_small(tokens)]
        for block in self.blocks:
            scales = block(scales)
        return self.norm(scales[0])[:, 0]
