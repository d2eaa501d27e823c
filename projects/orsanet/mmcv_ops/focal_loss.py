"""``mmcv._ext.sigmoid_focal_loss_forward`` / ``_backward`` in PyTorch.

mmdet's ``FocalLoss`` (RetinaNet, FCOS, ATSS, ...) calls mmcv's compiled op on CUDA tensors and its
own PyTorch version on CPU. This is the kernel's formula, element by element: with
p = 1 / (1 + exp(-x)) and t the target class of the row (``num_classes``: background),

    loss = -alpha (1 - p)^gamma log(p)            where t == c,
    loss = -(1 - alpha) p^gamma log(1 - p)        elsewhere,

logarithms of at least ``FLT_MIN``, times ``weight[t]`` if a weight is given. mmcv's wrapper
(``mmcv.ops.sigmoid_focal_loss``: reductions, ``grad_output``) runs unchanged on top.
"""
from typing import Tuple

import torch
from torch import Tensor

FLT_MIN = torch.finfo(torch.float32).tiny


def _probability_and_flags(input: Tensor, target: Tensor) -> Tuple[Tensor, Tensor]:
    """p (N, C) and whether column c is the row's target (N, C)."""
    p = 1.0 / (1.0 + torch.exp(-input))
    classes = torch.arange(input.shape[1], device=input.device)
    return p, target[:, None] == classes


def _class_weight(weight: Tensor, target: Tensor, num_classes: int) -> Tensor:
    """``weight[t]`` for each row (N, 1); mmcv indexes the per-class weight with the target."""
    if ((target < 0) | (target >= num_classes)).any():
        raise ValueError(
            'sigmoid_focal_loss with a class weight indexes it with the target: every target must '
            f'be a class in [0, {num_classes}), not background')
    return weight[target][:, None]


def sigmoid_focal_loss_forward(input: Tensor, target: Tensor, weight: Tensor, output: Tensor,
                               gamma: float, alpha: float) -> None:
    """Fills ``output`` (N, C) with the loss of logits ``input`` (N, C) for int64 targets
    ``target`` (N, ); ``weight`` is (C, ) or empty."""
    p, positive = _probability_and_flags(input, target)
    one = input.new_ones(())
    term_p = (one - p).pow(gamma) * torch.log(p.clamp(min=FLT_MIN))
    term_n = p.pow(gamma) * torch.log((one - p).clamp(min=FLT_MIN))
    loss = torch.where(positive, -alpha * term_p, -(1.0 - alpha) * term_n)
    if weight.numel():
        loss = loss * _class_weight(weight, target, input.shape[1])
    output.copy_(loss)


def sigmoid_focal_loss_backward(input: Tensor, target: Tensor, weight: Tensor,
                                grad_input: Tensor, gamma: float, alpha: float) -> None:
    """Fills ``grad_input`` (N, C) with d loss / d input (mmcv's wrapper multiplies by the
    incoming gradient and the reduction)."""
    p, positive = _probability_and_flags(input, target)
    one = input.new_ones(())
    term_p = (one - p).pow(gamma) * (one - p - gamma * p * torch.log(p.clamp(min=FLT_MIN)))
    term_n = p.pow(gamma) * (gamma * (one - p) * torch.log((one - p).clamp(min=FLT_MIN)) - p)
    grad = torch.where(positive, -alpha * term_p, -(1.0 - alpha) * term_n)
    if weight.numel():
        grad = grad * _class_weight(weight, target, input.shape[1])
    grad_input.copy_(grad)
