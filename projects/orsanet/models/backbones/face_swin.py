"""mmseg's Swin Transformer with torchvision's shift rule, for face-parsing Swins (SegFace).

mmseg's shifted-window attention always rolls by ``window_size // 2``. torchvision's ``swin_b``
(which SegFace and the official ORSANet use), like the original Swin, does not shift along an axis
whose padded size is no larger than the window: there a single window covers the axis, so a shift
only wraps tokens around. At 224 px Swin-B's last stage is 7 x 7, so mmseg's second block of
stage 4 attends differently (max abs difference about 0.5 on random weights) unless the shift is
dropped there; on non-square inputs the two axes can differ.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmseg.models.backbones.swin import ShiftWindowMSA, SwinTransformer
from mmseg.registry import MODELS
from torch import Tensor


class BatchFreeShiftWindowMSA(ShiftWindowMSA):
    """mmseg's ``ShiftWindowMSA`` whose window reverse does not fix the batch size in a traced
    graph (``torch.export`` / ONNX with a dynamic batch); numbers unchanged."""

    def window_reverse(self, windows: Tensor, H: int, W: int) -> Tensor:
        """(nW * B, ws, ws, C) windows -> (B, H, W, C), as mmseg's, with the batch left to
        ``view(-1, ...)``: mmseg computes it with ``int(...)``, which fixes the batch size of
        an exported graph (ONNX); same elements, same order."""
        ws = self.window_size
        x = windows.view(-1, H // ws, W // ws, ws, ws, windows.shape[-1])
        return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, H, W, windows.shape[-1])


class AxisShiftWindowMSA(BatchFreeShiftWindowMSA):
    """mmseg's ``ShiftWindowMSA`` that shifts each axis only if it spans more than one window.

    Same parameters, buffers and state-dict keys as ``ShiftWindowMSA``; only ``forward`` differs,
    and only on feature maps whose padded height or width is at most ``window_size``.

    Shapes: ``query`` (B, H * W, C) row-major over ``hw_shape`` = (H, W) -> (B, H * W, C).
    """

    def axis_shifts(self, padded_hw: Tuple[int, int]) -> Tuple[int, int]:
        """The shift of each axis: ``shift_size`` unless one window covers that axis."""
        return tuple(self.shift_size if size > self.window_size else 0 for size in padded_hw)

    def shift_mask(self, padded_hw: Tuple[int, int], shifts: Tuple[int, int],
                   device: torch.device) -> Tensor:
        """Attention mask (nW, ws*ws, ws*ws): 0 inside a region, -100 across regions.

        A rolled axis has three regions (as in mmseg); an axis that is not rolled has one.
        """
        ws = self.window_size

        def regions(shift: int) -> Tuple[slice, ...]:
            if shift == 0:
                return (slice(0, None), )
            return slice(0, -ws), slice(-ws, -shift), slice(-shift, None)

        img_mask = torch.zeros((1, *padded_hw, 1), device=device)
        region = 0
        for rows in regions(shifts[0]):
            for cols in regions(shifts[1]):
                img_mask[:, rows, cols, :] = region
                region += 1
        mask_windows = self.window_partition(img_mask).view(-1, ws * ws)
        attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
        return attn_mask.masked_fill(attn_mask != 0, -100.0).masked_fill(attn_mask == 0, 0.0)

    def forward(self, query: Tensor, hw_shape: Tuple[int, int]) -> Tensor:
        B, L, C = query.shape
        H, W = hw_shape
        assert L == H * W, 'input feature has wrong size'
        ws = self.window_size
        query = query.view(B, H, W, C)
        pad_r = (ws - W % ws) % ws
        pad_b = (ws - H % ws) % ws
        query = F.pad(query, (0, 0, 0, pad_r, 0, pad_b))
        padded_hw = (query.shape[1], query.shape[2])

        shifts = self.axis_shifts(padded_hw)
        attn_mask: Optional[Tensor] = None
        if any(shifts):
            query = torch.roll(query, shifts=(-shifts[0], -shifts[1]), dims=(1, 2))
            attn_mask = self.shift_mask(padded_hw, shifts, query.device)

        windows = self.window_partition(query).view(-1, ws**2, C)
        attn_windows = self.w_msa(windows, mask=attn_mask).view(-1, ws, ws, C)
        x = self.window_reverse(attn_windows, *padded_hw)
        if any(shifts):
            x = torch.roll(x, shifts=shifts, dims=(1, 2))
        x = x[:, :H, :W, :].contiguous().view(B, H * W, C)
        return self.drop(x)


@MODELS.register_module()
class FaceSwinTransformer(SwinTransformer):
    """mmseg's ``SwinTransformer`` that shifts windows like torchvision's ``swin_b``.

    Swin Transformer (Liu et al., ICCV 2021, https://arxiv.org/abs/2103.14030), as mmseg builds
    it, except that a shifted block does not shift along an axis whose padded size is at most
    ``window_size`` (torchvision's and the original implementation's rule). Weights, keys and
    outputs are otherwise mmseg's own, so mmseg checkpoints load unchanged. With the rule on, the
    window reverse also leaves the batch size free, so an exported graph (ONNX) keeps a dynamic
    batch axis.

    Args:
        skip_shift_when_window_covers (bool): Apply the per-axis no-shift rule. False gives
            mmseg's ``SwinTransformer`` exactly. Defaults to True.
        **kwargs: The arguments of mmseg's ``SwinTransformer`` (``embed_dims``, ``depths``,
            ``num_heads``, ``window_size``, ``out_indices``, ``init_cfg``, ...).

    Shapes: input (B, 3, H, W) -> tuple of (B, C_i, H / 2^(i+2), W / 2^(i+2)) for each
    ``out_indices`` entry i, after that output's LayerNorm ``norm{i}``.
    """

    def __init__(self, skip_shift_when_window_covers: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.skip_shift_when_window_covers = skip_shift_when_window_covers
        if skip_shift_when_window_covers:
            for stage in self.stages:
                for block in stage.blocks:
                    # Re-class in place: same parameters and keys, only forward differs.
                    # Unshifted blocks only get the batch-free window reverse (ONNX).
                    if type(block.attn) is ShiftWindowMSA:
                        block.attn.__class__ = (AxisShiftWindowMSA if block.attn.shift_size > 0
                                                else BatchFreeShiftWindowMSA)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """(B, 3, H, W) -> a tuple of the ``out_indices`` maps (mmseg's Swin gives a list).

        A tuple, as mmpretrain necks (``GlobalAveragePooling``) and classifiers expect, so the
        backbone also serves in stock mmpretrain configs as ``mmseg.FaceSwinTransformer``; mmseg's
        decode heads index it like the list.
        """
        return tuple(super().forward(x))
