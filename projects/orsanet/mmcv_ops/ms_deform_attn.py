"""``mmcv._ext.ms_deform_attn_forward`` / ``_backward``: multi-scale deformable attention
(Deformable DETR, DINO, Mask2Former), served by mmcv's own PyTorch implementation.

``mmcv.ops.MultiScaleDeformableAttention`` calls the compiled kernel only for CUDA tensors and
``multi_scale_deformable_attn_pytorch`` (bilinear ``grid_sample``, zero padding, the kernel's
sampling) otherwise; served, CUDA tensors take the PyTorch path too. The backward differentiates it.
"""
import torch
from torch import Tensor


def _attention(value: Tensor, spatial_shapes: Tensor, sampling_locations: Tensor,
               attention_weights: Tensor) -> Tensor:
    from mmcv.ops.multi_scale_deform_attn import multi_scale_deformable_attn_pytorch

    return multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                               attention_weights)


def ms_deform_attn_forward(value: Tensor, value_spatial_shapes: Tensor,
                           value_level_start_index: Tensor, sampling_locations: Tensor,
                           attention_weights: Tensor, im2col_step: int) -> Tensor:
    """(bs, num_queries, num_heads * head_dims) from ``value`` (bs, num_keys, num_heads,
    head_dims), ``value_spatial_shapes`` (num_levels, 2) as (h, w), ``sampling_locations`` (bs,
    num_queries, num_heads, num_levels, num_points, 2) as (x, y) in [0, 1] and
    ``attention_weights`` (bs, num_queries, num_heads, num_levels, num_points)."""
    return _attention(value, value_spatial_shapes, sampling_locations, attention_weights)


def ms_deform_attn_backward(value: Tensor, value_spatial_shapes: Tensor,
                            value_level_start_index: Tensor, sampling_locations: Tensor,
                            attention_weights: Tensor, grad_output: Tensor, grad_value: Tensor,
                            grad_sampling_loc: Tensor, grad_attn_weight: Tensor,
                            im2col_step: int) -> None:
    """Fills ``grad_value``, ``grad_sampling_loc`` and ``grad_attn_weight``."""
    with torch.enable_grad():
        leaves = [t.detach().requires_grad_()
                  for t in (value, sampling_locations, attention_weights)]
        output = _attention(leaves[0], value_spatial_shapes, leaves[1], leaves[2])
        grads = torch.autograd.grad(output, leaves, grad_output)
    for buffer, grad in zip((grad_value, grad_sampling_loc, grad_attn_weight), grads):
        buffer.copy_(grad)
