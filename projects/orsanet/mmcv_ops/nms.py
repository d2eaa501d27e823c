"""``mmcv._ext.nms``: greedy non-maximum suppression, served by torchvision.

mmcv's Python side (``mmcv.ops.nms``, ``batched_nms`` with its ``nms_cfg``, class offsets and
``split_thr``, ``NMSop``'s score threshold and ``max_num``) runs unchanged on top of this kernel.
"""
import numpy as np
import torch
from torch import Tensor


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float, offset: int) -> Tensor:
    """Indices of the boxes kept, highest score first, as mmcv's compiled kernel returns them.

    Args:
        boxes (Tensor): (N, 4) boxes (x1, y1, x2, y2).
        scores (Tensor): (N, ) scores.
        iou_threshold (float): A box is dropped if its IoU with a kept box is above this.
        offset (int): 0, or 1 for the legacy convention width = x2 - x1 + 1.

    Returns:
        Tensor: (K, ) int64 indices into ``boxes``.
    """
    if boxes.numel() == 0:
        return boxes.new_empty(0, dtype=torch.long)
    # mmcv sorts with torch's default (unstable) sort: ties come out in its order, not input order
    order = scores.sort(0, descending=True)[1]
    # the kernel compares IoU with the threshold in float32
    threshold = float(np.float32(iou_threshold))
    if offset == 0:
        from torchvision.ops import nms as torchvision_nms

        # scores already descending: torchvision's stable sort keeps mmcv's order of ties
        return order[torchvision_nms(boxes[order], scores[order], threshold)]
    return order[_greedy_nms(boxes[order], threshold, offset)]


def _greedy_nms(boxes: Tensor, threshold: float, offset: int) -> Tensor:
    """Kept positions of (N, 4) boxes sorted by score, with ``offset`` added to widths and
    heights; the arithmetic of mmcv's kernel, in its order."""
    x1, y1, x2, y2 = boxes.unbind(1)
    areas = (x2 - x1 + offset) * (y2 - y1 + offset)
    keep = torch.ones(len(boxes), dtype=torch.bool, device=boxes.device)
    for i in range(len(boxes)):
        if not keep[i]:
            continue
        width = (torch.minimum(x2[i], x2[i + 1:]) - torch.maximum(x1[i], x1[i + 1:]) + offset)
        height = (torch.minimum(y2[i], y2[i + 1:]) - torch.maximum(y1[i], y1[i + 1:]) + offset)
        inter = width.clamp(min=0) * height.clamp(min=0)
        keep[i + 1:] &= ~(inter / (areas[i] + areas[i + 1:] - inter) > threshold)
    return keep.nonzero().squeeze(1)
