"""Inputs and calls of the mmcv ops that orsanet serves without compiled mmcv, shared by the tests
(served ops, in-process) and tools/dev/record_mmcv_reference.py (the compiled ops, in the full-mmcv
venv, recorded into tests/data/mmcv_compiled_ops.pt).

Each case is ``(case_id, runner_name, kwargs)``; a runner calls mmcv's PUBLIC op
(``mmcv.ops.nms``, ``batched_nms``, ``RoIAlign``, ``deform_conv2d``, ...) and returns its outputs
(and gradients) by name.
This file imports nothing of orsanet or pytest: the reference venv has neither.
"""
from typing import Callable, Dict, List, Tuple, Union

import torch
from torch import Tensor

Case = Tuple[str, str, dict]


# runners: mmcv's public ops ---------------------------------------------------------------------

def run_nms(boxes: Tensor, scores: Tensor, **kwargs) -> Dict[str, Tensor]:
    from mmcv.ops import nms

    dets, keep = nms(boxes, scores, **kwargs)
    return dict(dets=dets, keep=keep)


def run_batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, nms_cfg: dict,
                    class_agnostic: bool = False) -> Dict[str, Tensor]:
    from mmcv.ops import batched_nms

    dets, keep = batched_nms(boxes, scores, idxs, nms_cfg, class_agnostic)
    return dict(dets=dets, keep=keep)


def run_roi_align(input: Tensor, rois: Tensor, grad_output: Tensor, **layer) -> Dict[str, Tensor]:
    from mmcv.ops import RoIAlign

    input = input.clone().requires_grad_()
    output = RoIAlign(**layer)(input, rois)
    output.backward(grad_output)
    return dict(output=output.detach(), grad_input=input.grad)


def _conv_outputs(output: Tensor, grad_output: Tensor, **leaves: Tensor) -> Dict[str, Tensor]:
    output.backward(grad_output)
    return dict(output=output.detach(), **{f'grad_{k}': v.grad for k, v in leaves.items()})


def run_deform_conv(input: Tensor, offset: Tensor, weight: Tensor, grad_output: Tensor,
                    **conv) -> Dict[str, Tensor]:
    from mmcv.ops import deform_conv2d

    input, offset, weight = (t.clone().requires_grad_() for t in (input, offset, weight))
    output = deform_conv2d(input, offset, weight, conv['stride'], conv['padding'],
                           conv['dilation'], conv['groups'], conv['deform_groups'], False,
                           conv.get('im2col_step', 32))
    return _conv_outputs(output, grad_output, input=input, offset=offset, weight=weight)


def run_modulated_deform_conv(input: Tensor, offset: Tensor, mask: Tensor, weight: Tensor,
                              bias, grad_output: Tensor, **conv) -> Dict[str, Tensor]:
    from mmcv.ops import modulated_deform_conv2d

    leaves = dict(input=input, offset=offset, mask=mask, weight=weight)
    if bias is not None:
        leaves['bias'] = bias
    leaves = {k: v.clone().requires_grad_() for k, v in leaves.items()}
    output = modulated_deform_conv2d(leaves['input'], leaves['offset'], leaves['mask'],
                                     leaves['weight'], leaves.get('bias'), conv['stride'],
                                     conv['padding'], conv['dilation'], conv['groups'],
                                     conv['deform_groups'])
    return _conv_outputs(output, grad_output, **leaves)


RUNNERS: Dict[str, Callable[..., Dict[str, Tensor]]] = dict(
    nms=run_nms, batched_nms=run_batched_nms, roi_align=run_roi_align,
    deform_conv=run_deform_conv, modulated_deform_conv=run_modulated_deform_conv)


def run_case(runner: str, kwargs: dict) -> Union[Dict[str, Tensor], str]:
    """The outputs by name, or the error message where the op refuses the inputs (mmcv's
    ``batched_nms`` refuses empty inputs, for one): a refusal is a result to compare too."""
    try:
        return RUNNERS[runner](**kwargs)
    except Exception as err:
        return f'{type(err).__name__}: {err}'


# inputs -----------------------------------------------------------------------------------------

def random_boxes(gen: torch.Generator, n: int, size: float = 100.0, border: float = 0.0) -> Tensor:
    """(n, 4) float32 boxes with corners in [-border, size + border] and sides of 1-40 px."""
    xy = torch.rand(n, 2, generator=gen) * (size + 2 * border) - border
    wh = torch.rand(n, 2, generator=gen) * 39 + 1
    return torch.cat([xy, xy + wh], dim=1)


def nms_cases() -> List[Case]:
    gen = torch.Generator().manual_seed(0)
    cases: List[Case] = []
    boxes, scores = random_boxes(gen, 300), torch.rand(300, generator=gen)
    for thr in (0.3, 0.5, 0.7):
        cases.append((f'nms-random-iou{thr}', 'nms', dict(boxes=boxes, scores=scores,
                                                           iou_threshold=thr)))
    # ties: 4 distinct scores over 200 boxes, and exact duplicates of boxes
    tied = (torch.randint(0, 4, (200, ), generator=gen) / 4).float()
    dup = random_boxes(gen, 50).repeat(4, 1)
    cases.append(('nms-tied-scores', 'nms', dict(boxes=random_boxes(gen, 200), scores=tied,
                                                 iou_threshold=0.5)))
    cases.append(('nms-duplicate-boxes', 'nms', dict(boxes=dup, scores=tied, iou_threshold=0.5)))
    cases.append(('nms-empty', 'nms', dict(boxes=torch.zeros(0, 4), scores=torch.zeros(0),
                                           iou_threshold=0.5)))
    cases.append(('nms-across-border', 'nms', dict(boxes=random_boxes(gen, 200, border=30),
                                                   scores=torch.rand(200, generator=gen),
                                                   iou_threshold=0.5)))
    cases.append(('nms-offset1', 'nms', dict(boxes=boxes.round(), scores=scores,
                                             iou_threshold=0.5, offset=1)))
    cases.append(('nms-score-thr-max-num', 'nms', dict(boxes=boxes, scores=scores,
                                                       iou_threshold=0.5, score_threshold=0.3,
                                                       max_num=20)))
    # IoU exactly at the threshold: 3/5 is 0.6 in float32, above 0.6 in float64; 2/4 is exact
    at_thr = torch.tensor([[0., 0, 5, 1], [0, 0, 3, 1], [10, 10, 12, 12], [10, 10, 12, 11]])
    for thr in (0.6, 0.5):
        cases.append((f'nms-iou-equals-threshold{thr}', 'nms', dict(
            boxes=at_thr, scores=torch.tensor([0.9, 0.8, 0.7, 0.6]), iou_threshold=thr)))
    return cases


def batched_nms_cases() -> List[Case]:
    gen = torch.Generator().manual_seed(1)
    boxes, scores = random_boxes(gen, 400), torch.rand(400, generator=gen)
    idxs = torch.randint(0, 5, (400, ), generator=gen)
    tied = (torch.randint(0, 3, (400, ), generator=gen) / 3).float()
    return [
        ('batched-class-offsets', 'batched_nms', dict(boxes=boxes, scores=scores, idxs=idxs,
                                                      nms_cfg=dict(iou_threshold=0.5))),
        ('batched-split-thr', 'batched_nms', dict(
            boxes=boxes, scores=scores, idxs=idxs,
            nms_cfg=dict(type='nms', iou_threshold=0.5, split_thr=100, max_num=50))),
        ('batched-split-thr-ties', 'batched_nms', dict(
            boxes=boxes, scores=tied, idxs=idxs, nms_cfg=dict(iou_threshold=0.6, split_thr=10))),
        ('batched-class-agnostic', 'batched_nms', dict(
            boxes=boxes, scores=scores, idxs=idxs,
            nms_cfg=dict(iou_threshold=0.4, class_agnostic=True))),
        ('batched-no-nms-cfg', 'batched_nms', dict(boxes=boxes, scores=scores, idxs=idxs,
                                                   nms_cfg=None)),
        ('batched-empty', 'batched_nms', dict(boxes=torch.zeros(0, 4), scores=torch.zeros(0),
                                              idxs=torch.zeros(0, dtype=torch.long),
                                              nms_cfg=dict(iou_threshold=0.5))),
    ]


def random_rois(gen: torch.Generator, n: int, images: int, height: int, width: int,
                scale: float) -> Tensor:
    """(n, 5) RoIs in input pixels (feature size / ``scale``), a third crossing the border, a
    few under a pixel wide."""
    size = torch.tensor([width, height], dtype=torch.float32) / scale
    xy = (torch.rand(n, 2, generator=gen) * 1.4 - 0.2) * size
    wh = torch.rand(n, 2, generator=gen) * size * 0.6
    wh[: n // 8] = torch.rand(n // 8, 2, generator=gen) * 0.9  # tiny
    batch = torch.randint(0, images, (n, 1), generator=gen).float()
    return torch.cat([batch, xy, xy + wh], dim=1)


def roi_align_cases() -> List[Case]:
    gen = torch.Generator().manual_seed(2)
    cases: List[Case] = []
    feature = torch.randn(2, 3, 12, 15, generator=gen)
    for scale in (1.0, 0.25):
        rois = random_rois(gen, 24, 2, 12, 15, scale)
        for aligned in (True, False):
            for mode in ('avg', 'max'):
                for ratio, size in ((0, (7, 7)), (2, (3, 5))):
                    grad = torch.randn(24, 3, *size, generator=gen)
                    cases.append((
                        f'roi-align-{mode}-aligned{aligned}-ratio{ratio}-scale{scale}',
                        'roi_align', dict(input=feature, rois=rois, grad_output=grad,
                                          output_size=size, spatial_scale=scale,
                                          sampling_ratio=ratio, pool_mode=mode,
                                          aligned=aligned)))
    # ties: a map of few distinct values, so that max pooling sees equal samples
    steps = torch.randint(0, 3, (1, 2, 10, 10), generator=gen).float()
    rois = random_rois(gen, 16, 1, 10, 10, 1.0)
    for mode in ('avg', 'max'):
        cases.append((f'roi-align-{mode}-ties', 'roi_align', dict(
            input=steps, rois=rois, grad_output=torch.randn(16, 2, 4, 4, generator=gen),
            output_size=(4, 4), spatial_scale=1.0, sampling_ratio=3, pool_mode=mode,
            aligned=False)))
        cases.append((f'roi-align-{mode}-empty', 'roi_align', dict(
            input=feature, rois=torch.zeros(0, 5), grad_output=torch.zeros(0, 3, 2, 2),
            output_size=2, spatial_scale=1.0, sampling_ratio=0, pool_mode=mode, aligned=True)))
    # below the CPU kernel's starting maximum (-10000): max pooling gives -10000 and no gradient
    cases.append(('roi-align-max-very-negative', 'roi_align', dict(
        input=feature - 20000, rois=random_rois(gen, 8, 2, 12, 15, 1.0),
        grad_output=torch.randn(8, 3, 2, 2, generator=gen), output_size=2, spatial_scale=1.0,
        sampling_ratio=2, pool_mode='max', aligned=True)))
    return cases


def deform_conv_cases() -> List[Case]:
    gen = torch.Generator().manual_seed(3)
    cases: List[Case] = []
    layouts = [  # (in, out, groups, deform_groups, stride, padding, dilation, batch, im2col)
        (4, 6, 1, 1, 1, 1, 1, 2, 32),
        (4, 6, 2, 2, 2, 1, 2, 4, 2),
    ]
    for c_in, c_out, groups, deform_groups, stride, pad, dil, batch, step in layouts:
        conv = dict(stride=stride, padding=pad, dilation=dil, groups=groups,
                    deform_groups=deform_groups)
        x = torch.randn(batch, c_in, 9, 11, generator=gen)
        out_h = (9 + 2 * pad - dil * 2 - 1) // stride + 1
        out_w = (11 + 2 * pad - dil * 2 - 1) // stride + 1
        # offsets of a few pixels: many samples fall between pixels and across the border
        offset = torch.randn(batch, 2 * deform_groups * 9, out_h, out_w, generator=gen) * 3
        weight = torch.randn(c_out, c_in // groups, 3, 3, generator=gen) * 0.3
        grad = torch.randn(batch, c_out, out_h, out_w, generator=gen)
        name = f'g{groups}-dg{deform_groups}-s{stride}-d{dil}'
        cases.append((f'deform-conv-{name}', 'deform_conv', dict(
            input=x, offset=offset, weight=weight, grad_output=grad, im2col_step=step, **conv)))
        mask = torch.rand(batch, deform_groups * 9, out_h, out_w, generator=gen)
        for bias in (None, torch.randn(c_out, generator=gen)):
            cases.append((f'modulated-deform-conv-{name}-bias{bias is not None}',
                          'modulated_deform_conv', dict(input=x, offset=offset, mask=mask,
                                                        weight=weight, bias=bias,
                                                        grad_output=grad, **conv)))
    return cases


def _floats_to(value, dtype: torch.dtype):
    if isinstance(value, Tensor) and value.is_floating_point():
        return value.to(dtype)
    return value


def dtype_cases() -> List[Case]:
    """RoIAlign and the deformable convolutions in the other dtypes mmcv's compiled CPU kernels
    take (float16, float64; none takes bfloat16, and NMS takes float32 only)."""
    picked = [case for case in roi_align_cases() + deform_conv_cases()
              if case[0].endswith(('aligned' 'True-ratio2-scale0.25', 'g2-dg2-s2-d2',
                                   'g2-dg2-s2-d2-biasTrue'))]
    return [(f'{case_id}-{str(dtype)[6:]}', runner,
             {k: _floats_to(v, dtype) for k, v in kwargs.items()})
            for dtype in (torch.float16, torch.float64) for case_id, runner, kwargs in picked]


def all_cases() -> List[Case]:
    return (nms_cases() + batched_nms_cases() + roi_align_cases() + deform_conv_cases()
            + dtype_cases())
