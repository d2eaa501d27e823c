"""Compiled mmcv ops served by torchvision and PyTorch when mmcv has none (``mmcv-lite``).

Each module implements kernels of mmcv's compiled extension ``mmcv._ext`` under their mmcv names,
with the kernels' arguments, in-place output buffers and results, on CPU and CUDA tensors.
:func:`orsanet.compat.serve_mmcv_ops_lazily` hands them to mmcv's op modules in place of the
missing extension, so mmcv's own Python wrappers run unchanged on top of them: ``mmcv.ops.nms``
returns ``(dets, keep)``, ``batched_nms`` applies its ``nms_cfg``, class offsets and ``split_thr``,
``RoIAlign`` its ``aligned``, ``sampling_ratio`` and ``pool_mode``, and autograd goes through
mmcv's ``Function`` classes.

Served (what mmdet's RetinaNet / FCOS / two-stage / DCN / DETR-style detectors call; the mmseg and
mmpose models ORSANet names call none; docs/install.md gives the evidence):

- ``nms`` (``nms``, ``batched_nms``, ``multiclass_nms``): torchvision's ``nms``; :mod:`.nms`.
- ``roi_align_forward`` / ``_backward`` (``RoIAlign``, ``roi_align``): torchvision's ``roi_align``
  for average pooling, PyTorch for max pooling; :mod:`.roi_align`.
- ``sigmoid_focal_loss_forward`` / ``_backward`` (mmdet's ``FocalLoss`` on CUDA):
  :mod:`.focal_loss`.
- ``deform_conv_*``, ``modulated_deform_conv_*`` (``DeformConv2d``, ``ModulatedDeformConv2d``,
  ``DCN``, ``DCNv2``): torchvision's ``deform_conv2d``; :mod:`.deform_conv`.
- ``ms_deform_attn_*`` (``MultiScaleDeformableAttention`` on CUDA): mmcv's PyTorch version;
  :mod:`.ms_deform_attn`.

Any other kernel raises :class:`MissingMMCVOpError` naming it and the command that builds the full
mmcv.
"""
from typing import Any, Callable, Dict

from . import deform_conv, focal_loss, ms_deform_attn, nms, roi_align
from .extension import FULL_MMCV_COMMAND, MissingMMCVOpError, ServedExtension

SERVED_KERNELS: Dict[str, Callable[..., Any]] = {
    'nms': nms.nms,
    'roi_align_forward': roi_align.roi_align_forward,
    'roi_align_backward': roi_align.roi_align_backward,
    'sigmoid_focal_loss_forward': focal_loss.sigmoid_focal_loss_forward,
    'sigmoid_focal_loss_backward': focal_loss.sigmoid_focal_loss_backward,
    'deform_conv_forward': deform_conv.deform_conv_forward,
    'deform_conv_backward_input': deform_conv.deform_conv_backward_input,
    'deform_conv_backward_parameters': deform_conv.deform_conv_backward_parameters,
    'modulated_deform_conv_forward': deform_conv.modulated_deform_conv_forward,
    'modulated_deform_conv_backward': deform_conv.modulated_deform_conv_backward,
    'ms_deform_attn_forward': ms_deform_attn.ms_deform_attn_forward,
    'ms_deform_attn_backward': ms_deform_attn.ms_deform_attn_backward,
}


def served_extension(reason: str) -> ServedExtension:
    """The stand-in for ``mmcv._ext``: :data:`SERVED_KERNELS`, any other kernel raising."""
    return ServedExtension(SERVED_KERNELS, reason)


__all__ = ['SERVED_KERNELS', 'served_extension', 'ServedExtension', 'MissingMMCVOpError',
           'FULL_MMCV_COMMAND']
