"""DARE loss: Dynamic Adversarial Repulsion Enhancement (ORSANet, arXiv 2507.15401).

The official code calls it ``DRAELoss`` and computes it by masking logits with ``-9999``; here it is
computed with gathers only, so it neither overflows fp16 nor depends on the logits' range.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor


def dare_loss(cls_score: Tensor, label: Tensor, temperature: float = 1.0,
              ignore_index: int = -100) -> Tensor:
    """Per-sample DARE loss, computed in float32.

    With ``p = softmax(z)`` (no gradient), ``m`` the highest-scoring wrong class and margin
    ``T (1 - p_y)``, the loss is the two-class cross-entropy over ``{y, m}`` after adding the
    margin to the wrong class: ``softplus(z_m + T (1 - p_y) - z_y)``. Only ``z_y`` and ``z_m`` get
    gradient. Samples whose label is ``ignore_index`` get loss 0.

    Args:
        cls_score (Tensor): Logits z, shape (N, C), C >= 2, any float dtype.
        label (Tensor): Class indices y, shape (N, ) (or (N, 1)).
        temperature (float): T, the scale of the margin. Defaults to 1.0.
        ignore_index (int): Label value of samples to skip. Defaults to -100.

    Returns:
        Tensor: Loss per sample, shape (N, ), float32.
    """
    valid = label != ignore_index
    target = label.masked_fill(~valid, 0).unsqueeze(1)
    logits = cls_score.float()
    logit_target = logits.gather(1, target).squeeze(1)
    with torch.no_grad():
        prob_target = (logit_target - logits.logsumexp(dim=1)).exp()
        is_target = torch.zeros_like(logits, dtype=torch.bool).scatter_(1, target, True)
        hardest = logits.masked_fill(is_target, torch.finfo(logits.dtype).min).argmax(dim=1)
    logit_hardest = logits.gather(1, hardest.unsqueeze(1)).squeeze(1)
    loss = F.softplus(logit_hardest + temperature * (1 - prob_target) - logit_target)
    return loss.masked_fill(~valid, 0.)


@MODELS.register_module()
class DARELoss(nn.Module):
    """DARE loss: repel the hardest wrong class by a confidence-dependent margin.

    For logits z, target y, ``p = softmax(z)`` (detached) and ``m = argmax_{j != y} z_j``
    (per sample, per step), the loss is the cross-entropy over the two classes ``{y, m}`` of
    ``z'_j = z_j + T (1 - p_y)`` (j != y), i.e. ``softplus(z_m + T (1 - p_y) - z_y)``.

    The loss is computed in float32 whatever the input dtype (bf16/fp16 logits are upcast; the
    gradient flows back in the input dtype) and is RETURNED IN FLOAT32. It uses gathers, not the
    official ``-9999`` masking, so huge logits (e.g. 1e4 in fp16) neither overflow nor change the
    result.

    Args:
        temperature (float): T, the scale of the margin. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to ``'mean'``.
        ignore_index (int): Label of samples that contribute nothing (and are not counted by the
            mean). Defaults to -100.

    Shapes:
        cls_score: (N, C); label: (N, ) class indices. Output: scalar, or (N, ) for ``'none'``.
    """

    def __init__(self,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean',
                 ignore_index: int = -100) -> None:
        super().__init__()
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f"DARELoss: reduction must be 'none', 'mean' or 'sum', "
                             f'got {reduction!r}')
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.ignore_index = ignore_index

    def _check_inputs(self, cls_score: Tensor, label: Tensor) -> Tensor:
        if cls_score.dim() != 2 or cls_score.shape[1] < 2:
            raise ValueError('DARELoss expects cls_score of shape (N, C) with C >= 2, got '
                             f'{tuple(cls_score.shape)}')
        if label.dim() == 2 and label.shape[1] == 1:
            label = label.squeeze(1)
        if label.dim() != 1 or label.shape[0] != cls_score.shape[0] or label.is_floating_point():
            raise ValueError(f'DARELoss needs integer class indices of shape ({cls_score.shape[0]},'
                             f'), got {label.dtype} of shape {tuple(label.shape)}; soft or one-hot '
                             'labels (e.g. from Mixup/CutMix) are not supported')
        return label

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        """Compute the weighted, reduced loss.

        Args:
            cls_score (Tensor): Logits, shape (N, C).
            label (Tensor): Class indices, shape (N, ).
            weight (Tensor, optional): Per-sample weights, shape (N, ). Defaults to None.
            avg_factor (float, optional): Divisor of the ``'mean'`` reduction. Defaults to None:
                the number of samples whose label is not ``ignore_index`` (at least 1).
            reduction_override (str, optional): Overrides ``reduction``. Defaults to None.
        """
        reduction = reduction_override or self.reduction
        label = self._check_inputs(cls_score, label)
        loss = dare_loss(cls_score, label, self.temperature, self.ignore_index)
        if weight is not None:
            loss = loss * weight.float().reshape(-1)
        if reduction == 'mean':
            if avg_factor is None:
                avg_factor = (label != self.ignore_index).sum().clamp(min=1)
            loss = loss.sum() / avg_factor
        elif reduction == 'sum':
            loss = loss.sum()
        return self.loss_weight * loss
