"""``mmcv._ext`` deformable convolutions (DCN v1 ``deform_conv_*`` and the modulated DCN v2
``modulated_deform_conv_*``), served by torchvision's ``deform_conv2d``.

Both use the same offset layout as mmcv ((dy, dx) pairs per kernel position and offset group) and
the same bilinear sampling, zero outside the map. The backward functions differentiate
torchvision's op. mmcv's wrappers (``DeformConv2d``, ``ModulatedDeformConv2d``, the ``DCN`` and
``DCNv2`` layers) run unchanged on top; the column and ``ones`` buffers they pass are not needed.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor


def _deform_conv2d(input: Tensor, offset: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                   mask: Optional[Tensor] = None, stride: Tuple[int, int] = (1, 1),
                   padding: Tuple[int, int] = (0, 0),
                   dilation: Tuple[int, int] = (1, 1)) -> Tensor:
    from torchvision.ops import deform_conv2d

    return deform_conv2d(input, offset, weight, bias, stride=stride, padding=padding,
                         dilation=dilation, mask=mask)


def _gradients(grad_output: Tensor, wrt: Sequence[str], **conv) -> Dict[str, Tensor]:
    """Gradients of ``_deform_conv2d(**conv)`` for the arguments named in ``wrt``."""
    with torch.enable_grad():
        args = {name: value.detach() if isinstance(value, Tensor) else value
                for name, value in conv.items()}
        for name in wrt:
            args[name].requires_grad_()
        grads = torch.autograd.grad(_deform_conv2d(**args), [args[n] for n in wrt], grad_output)
    return dict(zip(wrt, grads))


def deform_conv_forward(input: Tensor, weight: Tensor, offset: Tensor, output: Tensor,
                        columns: Tensor, ones: Tensor, kW: int, kH: int, dW: int, dH: int,
                        padW: int, padH: int, dilationW: int, dilationH: int, group: int,
                        deformable_group: int, im2col_step: int) -> None:
    """Fills ``output`` (N, C_out, H_out, W_out) from ``input`` (N, C_in, H, W), ``weight``
    (C_out, C_in / group, kH, kW) and ``offset`` (N, 2 * deformable_group * kH * kW, H_out,
    W_out)."""
    output.copy_(_deform_conv2d(input, offset, weight, None, None, (dH, dW), (padH, padW),
                                (dilationH, dilationW)))


def deform_conv_backward_input(input: Tensor, offset: Tensor, gradOutput: Tensor,
                               gradInput: Tensor, gradOffset: Tensor, weight: Tensor,
                               columns: Tensor, kW: int, kH: int, dW: int, dH: int, padW: int,
                               padH: int, dilationW: int, dilationH: int, group: int,
                               deformable_group: int, im2col_step: int) -> None:
    """Fills ``gradInput`` and ``gradOffset`` (shaped as ``input`` and ``offset``)."""
    grads = _gradients(gradOutput, ('input', 'offset'), input=input, offset=offset,
                       weight=weight, stride=(dH, dW), padding=(padH, padW),
                       dilation=(dilationH, dilationW))
    gradInput.copy_(grads['input'])
    gradOffset.copy_(grads['offset'])


def deform_conv_backward_parameters(input: Tensor, offset: Tensor, gradOutput: Tensor,
                                    gradWeight: Tensor, columns: Tensor, ones: Tensor, kW: int,
                                    kH: int, dW: int, dH: int, padW: int, padH: int,
                                    dilationW: int, dilationH: int, group: int,
                                    deformable_group: int, scale: float,
                                    im2col_step: int) -> None:
    """Adds ``scale`` times the weight gradient to ``gradWeight``."""
    # the convolution is linear in the weight: the gradient does not depend on its values
    grads = _gradients(gradOutput, ('weight', ), input=input, offset=offset,
                       weight=torch.zeros_like(gradWeight), stride=(dH, dW),
                       padding=(padH, padW), dilation=(dilationH, dilationW))
    gradWeight.add_(grads['weight'], alpha=scale)


def modulated_deform_conv_forward(input: Tensor, weight: Tensor, bias: Tensor, ones: Tensor,
                                  offset: Tensor, mask: Tensor, output: Tensor, columns: Tensor,
                                  kernel_h: int, kernel_w: int, stride_h: int, stride_w: int,
                                  pad_h: int, pad_w: int, dilation_h: int, dilation_w: int,
                                  group: int, deformable_group: int, with_bias: bool) -> None:
    """Fills ``output`` from ``input``, ``offset``, ``mask`` (N, deformable_group * kernel_h *
    kernel_w, H_out, W_out), ``weight`` and ``bias`` (C_out, ) when ``with_bias``."""
    output.copy_(_deform_conv2d(input, offset, weight, bias if with_bias else None, mask,
                                (stride_h, stride_w), (pad_h, pad_w), (dilation_h, dilation_w)))


def modulated_deform_conv_backward(input: Tensor, weight: Tensor, bias: Tensor, ones: Tensor,
                                   offset: Tensor, mask: Tensor, columns: Tensor,
                                   grad_input: Tensor, grad_weight: Tensor, grad_bias: Tensor,
                                   grad_offset: Tensor, grad_mask: Tensor, grad_output: Tensor,
                                   kernel_h: int, kernel_w: int, stride_h: int, stride_w: int,
                                   pad_h: int, pad_w: int, dilation_h: int, dilation_w: int,
                                   group: int, deformable_group: int, with_bias: bool) -> None:
    """Fills the five gradient buffers (``grad_bias`` only when ``with_bias``)."""
    conv = dict(input=input, offset=offset, weight=weight, mask=mask, stride=(stride_h, stride_w),
                padding=(pad_h, pad_w), dilation=(dilation_h, dilation_w))
    buffers = dict(input=grad_input, offset=grad_offset, weight=grad_weight, mask=grad_mask)
    if with_bias:
        conv['bias'], buffers['bias'] = bias, grad_bias
    for name, grad in _gradients(grad_output, tuple(buffers), **conv).items():
        buffers[name].copy_(grad)
