"""``mmcv._ext.roi_align_forward`` / ``roi_align_backward``: RoIAlign in mmcv's two pooling modes.

``pool_mode=1`` (average, what mmdet's RoI extractors use) is torchvision's ``roi_align``, the same
algorithm as mmcv's kernel (Detectron2's, with ``aligned`` and ``sampling_ratio``). ``pool_mode=0``
(max) has no torchvision counterpart and is computed here in PyTorch, sample by sample in the
kernel's order, so the maximum and its ``argmax_y``/``argmax_x`` (the sample's coordinates, which
the backward pass reads) are mmcv's. mmcv's wrapper (``mmcv.ops.RoIAlign``, ``roi_align``) runs
unchanged on top.
"""
from typing import Tuple

import numpy as np
import torch
from torch import Tensor

# mmcv's kernels start the max-pooling search here (CPU) or at -FLT_MAX (CUDA)
CPU_MAX_POOL_START = -10000.0


def roi_align_forward(input: Tensor, rois: Tensor, output: Tensor, argmax_y: Tensor,
                      argmax_x: Tensor, aligned_height: int, aligned_width: int,
                      spatial_scale: float, sampling_ratio: int, pool_mode: int,
                      aligned: bool) -> None:
    """Fills ``output`` (R, C, aligned_height, aligned_width) and, for max pooling, ``argmax_y``
    and ``argmax_x`` (same shape) from ``input`` (N, C, H, W) and ``rois`` (R, 5):
    (batch index, x1, y1, x2, y2) in input pixels / ``spatial_scale``."""
    scale = float(np.float32(spatial_scale))  # the kernel takes it as float32
    if pool_mode == 1:
        from torchvision.ops import roi_align

        output.copy_(roi_align(input, rois, (aligned_height, aligned_width), scale,
                               sampling_ratio, aligned))
        return
    pooled, best_y, best_x = _max_pool(input, rois, (aligned_height, aligned_width), scale,
                                       sampling_ratio, aligned)
    output.copy_(pooled)
    argmax_y.copy_(best_y)
    argmax_x.copy_(best_x)


def roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor, argmax_x: Tensor,
                       grad_input: Tensor, aligned_height: int, aligned_width: int,
                       spatial_scale: float, sampling_ratio: int, pool_mode: int,
                       aligned: bool) -> None:
    """Adds the gradient for ``input`` to ``grad_input`` (N, C, H, W)."""
    scale = float(np.float32(spatial_scale))
    if pool_mode == 1:
        from torchvision.ops import roi_align

        # RoIAlign is linear in its input: its gradient does not depend on the input's values
        with torch.enable_grad():
            probe = torch.zeros_like(grad_input, requires_grad=True)
            pooled = roi_align(probe, rois, (aligned_height, aligned_width), scale,
                               sampling_ratio, aligned)
            grad, = torch.autograd.grad(pooled, probe, grad_output)
        grad_input.add_(grad)
        return
    _scatter_to_samples(grad_input, grad_output, rois[:, 0].long(), argmax_y, argmax_x)


def _roi_geometry(rois: Tensor, output_size: Tuple[int, int], scale: float,
                  sampling_ratio: int, aligned: bool):
    """Per RoI: start (y, x), bin size (h, w) and sampling grid (h, w), as the kernel computes
    them (each (R, ))."""
    offset = 0.5 if aligned else 0.0
    start_x = rois[:, 1] * scale - offset
    start_y = rois[:, 2] * scale - offset
    width = (rois[:, 3] * scale - offset) - start_x
    height = (rois[:, 4] * scale - offset) - start_y
    if not aligned:  # mmcv's legacy mode: RoIs at least one pixel
        width, height = width.clamp(min=1.0), height.clamp(min=1.0)
    bin_h, bin_w = height / output_size[0], width / output_size[1]
    if sampling_ratio > 0:
        grid_h = grid_w = torch.full_like(rois[:, 0], sampling_ratio, dtype=torch.long)
    else:
        grid_h, grid_w = torch.ceil(bin_h).long(), torch.ceil(bin_w).long()
    return (start_y, start_x), (bin_h, bin_w), (grid_h.clamp(min=0), grid_w.clamp(min=0))


def _sample_points(start: Tensor, bin_size: Tensor, grid: Tensor, bins: int, step: int) -> Tensor:
    """Coordinates (R, bins) of sample ``step`` in each bin, for one axis."""
    index = torch.arange(bins, device=start.device).to(start.dtype)
    return (start[:, None] + index * bin_size[:, None]
            + (step + 0.5) * bin_size[:, None] / grid.clamp(min=1)[:, None].to(start.dtype))


def _bilinear_corners(y: Tensor, x: Tensor, height: int, width: int):
    """mmcv's bilinear interpolation at points ``y`` (R, P) x ``x`` (R, Q): the four corner
    indices (y_low, y_high (R, P), x_low, x_high (R, Q)), their weights (4, R, P, Q) and which
    points lie inside the map (R, P, Q)."""
    inside = ((y >= -1.0) & (y <= height))[:, :, None] & ((x >= -1.0) & (x <= width))[:, None, :]
    # mmcv moves points in (-1, 0] to 0; clamping at the far side only touches outside points
    y, x = y.clamp(0, height), x.clamp(0, width)
    y_low, x_low = y.long(), x.long()
    y_top, x_right = y_low >= height - 1, x_low >= width - 1
    y_low, x_low = y_low.clamp(max=height - 1), x_low.clamp(max=width - 1)
    y = torch.where(y_top, y_low.to(y.dtype), y)
    x = torch.where(x_right, x_low.to(x.dtype), x)
    y_high = torch.where(y_top, y_low, y_low + 1)
    x_high = torch.where(x_right, x_low, x_low + 1)
    ly, lx = y - y_low, x - x_low
    hy, hx = 1.0 - ly, 1.0 - lx
    weights = torch.stack([hy[:, :, None] * hx[:, None, :], hy[:, :, None] * lx[:, None, :],
                           ly[:, :, None] * hx[:, None, :], ly[:, :, None] * lx[:, None, :]])
    return (y_low, y_high, x_low, x_high), weights, inside


def _interpolate(input: Tensor, batch: Tensor, y: Tensor, x: Tensor) -> Tensor:
    """Values (R, C, P, Q) of ``input`` (N, C, H, W) at points ``y`` (R, P) x ``x`` (R, Q) of
    image ``batch`` (R, ); zero outside the map."""
    (y_low, y_high, x_low, x_high), weights, inside = _bilinear_corners(
        y, x, input.shape[2], input.shape[3])
    image = batch[:, None, None]
    value = 0
    for weight, rows, cols in zip(weights, (y_low, y_low, y_high, y_high),
                                  (x_low, x_high, x_low, x_high)):
        corner = input[image, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        value = value + weight[:, None] * corner
    return torch.where(inside[:, None], value, value.new_zeros(()))


def _max_pool(input: Tensor, rois: Tensor, output_size: Tuple[int, int], scale: float,
              sampling_ratio: int, aligned: bool) -> Tuple[Tensor, Tensor, Tensor]:
    """Max over each bin's samples, the first maximum in the kernel's order (rows, then columns)
    winning; returns it and its sample's (y, x), each (R, C, *output_size); -1 where none."""
    num_rois, channels = rois.shape[0], input.shape[1]
    batch = rois[:, 0].long()
    (start_y, start_x), (bin_h, bin_w), (grid_h, grid_w) = _roi_geometry(
        rois, output_size, scale, sampling_ratio, aligned)
    shape = (num_rois, channels, *output_size)
    start = CPU_MAX_POOL_START if input.device.type == 'cpu' else torch.finfo(torch.float32).min
    best = input.new_full(shape, start)
    best_y, best_x = input.new_full(shape, -1.0), input.new_full(shape, -1.0)
    for iy in range(int(grid_h.max()) if num_rois else 0):
        y = _sample_points(start_y, bin_h, grid_h, output_size[0], iy)
        for ix in range(int(grid_w.max())):
            x = _sample_points(start_x, bin_w, grid_w, output_size[1], ix)
            value = _interpolate(input, batch, y, x)
            in_grid = ((iy < grid_h) & (ix < grid_w))[:, None, None, None]
            better = in_grid & (value > best)
            best = torch.where(better, value, best)
            best_y = torch.where(better, y[:, None, :, None].expand(shape), best_y)
            best_x = torch.where(better, x[:, None, None, :].expand(shape), best_x)
    return best, best_y, best_x


def _scatter_to_samples(grad_input: Tensor, grad_output: Tensor, batch: Tensor, sample_y: Tensor,
                        sample_x: Tensor) -> None:
    """Adds each output gradient (R, C, PH, PW) to the four pixels of ``grad_input`` (N, C, H, W)
    around its sample (y, x) with the bilinear weights, in mmcv's order (output element by
    element, corner by corner); nothing for samples at -1 (none) or outside the map."""
    num_rois, channels = grad_output.shape[:2]
    if grad_output.numel() == 0:
        return
    height, width = grad_input.shape[2:]
    y, x = sample_y.reshape(-1, 1), sample_x.reshape(-1, 1)  # one point a row: (M, 1)
    (y_low, y_high, x_low, x_high), weights, inside = _bilinear_corners(y, x, height, width)
    plane = batch[:, None] * channels + torch.arange(channels, device=batch.device)
    plane = plane.reshape(-1).repeat_interleave(grad_output[0, 0].numel())[:, None]
    pixels = torch.cat([(plane * height + rows) * width + cols
                        for rows, cols in ((y_low, x_low), (y_low, x_high), (y_high, x_low),
                                           (y_high, x_high))], dim=1)  # (M, 4)
    grads = grad_output.reshape(-1, 1) * weights.reshape(4, -1).T  # (M, 4)
    keep = inside.reshape(-1) & (y[:, 0] != -1.0)
    grad_input.view(-1).index_add_(0, pixels[keep].reshape(-1), grads[keep].reshape(-1))
