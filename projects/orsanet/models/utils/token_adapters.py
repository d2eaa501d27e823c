"""Adapters between the backbone/prior outputs and ORSANet's fusion and MCM inputs.

Official layouts (spec section 1) by default; the other layouts are the paper's reading
(`token_layout='spatial'`, parsing probabilities, landmark heatmaps or coordinates).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ImageTokens(nn.Module):
    """Backbone map -> image token map for SPADE fusion.

    ``'official'``: the raw memory reshape of the official code: token i is elements
    ``[L i, L (i+1))`` of the flattened (C, H, W) tensor, ``L = C H W / grid**2``; then
    Linear(L -> D) and back to a D x grid x grid map. ``'spatial'``: average-pool to
    grid x grid and Conv1x1(C -> D), so that token i sits at grid position i.

    Args:
        in_shape (tuple[int, int, int]): (C, H, W) of the backbone output.
        embed_dims (int): D. Defaults to 512.
        grid (int): Tokens per side. Defaults to 7.
        layout (str): ``'official'`` or ``'spatial'``.

    Shapes: (B, C, H, W) -> (B, D, grid, grid).
    """

    def __init__(self, in_shape: tuple, embed_dims: int = 512, grid: int = 7,
                 layout: str = 'official') -> None:
        super().__init__()
        channels, height, width = in_shape
        self.grid, self.layout = grid, layout
        if layout == 'official':
            numel = channels * height * width
            if numel % (grid * grid):
                raise ValueError(f"token_layout='official' splits the backbone output "
                                 f'{tuple(in_shape)} into {grid * grid} tokens, but its '
                                 f'{numel} elements do not divide evenly; use '
                                 "token_layout='spatial'")
            self.proj = nn.Linear(numel // (grid * grid), embed_dims)
        elif layout == 'spatial':
            self.proj = nn.Conv2d(channels, embed_dims, kernel_size=1)
        else:
            raise ValueError(f"token_layout must be 'official' or 'spatial', got {layout!r}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.layout == 'spatial':
            return self.proj(F.adaptive_avg_pool2d(x, self.grid))
        batch = x.shape[0]
        tokens = self.proj(x.reshape(batch, self.grid * self.grid, -1))  # B x grid^2 x D
        return tokens.permute(0, 2, 1).reshape(batch, -1, self.grid, self.grid)


class SemanticProjection(nn.Module):
    """Semantic prior map -> fusion's semantic input: (B, S, h, w) -> (B, D, grid, grid).

    Conv1x1(S -> D) with bias (official: 1024 -> 512 on the 7 x 7 Swin map); a map of another
    size (e.g. parsing probabilities at 224) is average-pooled to grid x grid first.
    """

    def __init__(self, in_channels: int, embed_dims: int = 512, grid: int = 7) -> None:
        super().__init__()
        self.grid = grid
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size=1)

    def forward(self, semantic: torch.Tensor) -> torch.Tensor:
        if semantic.shape[-2:] != (self.grid, self.grid):
            semantic = F.adaptive_avg_pool2d(semantic, self.grid)
        return self.proj(semantic)


class LandmarkTokens(nn.Module):
    """Landmark prior output -> MCM's landmark tokens (B, N_l, D).

    - ``'features'`` (B, C, h, w): one token per position, ``view(B, C, hw).transpose(1, 2)``
      (official: 49 tokens of 512), then Linear(C -> D) unless C == D.
    - ``'heatmaps'`` (B, K, H, W): one token per keypoint, its heatmap average-pooled to
      grid x grid, Linear(grid^2 -> D).
    - ``'coords'`` (B, K, 2): one token per keypoint, Linear(2 -> D) plus a learned embedding of
      the keypoint's identity.

    Args:
        kind (str): The prior's output kind, one of the three above.
        in_shape (tuple): The prior output's shape without the batch axis.
        embed_dims (int): D. Defaults to 512.
        grid (int): Pooling grid for heatmaps. Defaults to 7.
    """

    def __init__(self, kind: str, in_shape: tuple, embed_dims: int = 512, grid: int = 7) -> None:
        super().__init__()
        self.kind, self.grid = kind, grid
        if kind == 'features':
            channels, height, width = in_shape
            self.num_tokens = height * width
            self.proj = nn.Identity() if channels == embed_dims else nn.Linear(channels, embed_dims)
        elif kind == 'heatmaps':
            self.num_tokens = in_shape[0]
            self.proj = nn.Linear(grid * grid, embed_dims)
        elif kind == 'coords':
            self.num_tokens = in_shape[0]
            self.proj = nn.Linear(in_shape[1], embed_dims)
            self.keypoint_embed = nn.Parameter(torch.zeros(1, self.num_tokens, embed_dims))
            nn.init.trunc_normal_(self.keypoint_embed, std=0.02)
        else:
            raise ValueError(f"landmark output must be 'features', 'heatmaps' or 'coords', "
                             f'got {kind!r}')

    def forward(self, landmarks: torch.Tensor) -> torch.Tensor:
        if self.kind == 'features':
            return self.proj(landmarks.flatten(2).transpose(1, 2))
        if self.kind == 'heatmaps':
            return self.proj(F.adaptive_avg_pool2d(landmarks, self.grid).flatten(2))
        return self.proj(landmarks) + self.keypoint_embed
