"""Served ops whose compiled mmcv kernels exist only for CUDA (sigmoid focal loss, multi-scale
deformable attention): no compiled CPU reference can run on a CPU machine, so they are checked
against the PyTorch versions mmdet and mmcv run on CPU (independent code for the focal loss);
plus the served ops on CUDA tensors against CPU, where a GPU is present."""
import pytest
import torch
from mmcv_op_cases import all_cases, run_case
from served_mmcv import assert_same_outputs, served_mmcv_ops


def focal_inputs(seed: int = 0, dtype=torch.float32, scale: float = 2.0):
    gen = torch.Generator().manual_seed(seed)
    logits = (torch.randn(64, 5, generator=gen) * scale).to(dtype)
    target = torch.randint(0, 6, (64, ), generator=gen)  # 5: background
    return logits, target


@pytest.mark.parametrize('gamma,alpha', [(2.0, 0.25), (0.0, 0.5), (1.5, 0.75)])
@pytest.mark.parametrize('dtype,scale', [(torch.float32, 2.0), (torch.float64, 6.0)])
def test_sigmoid_focal_loss_equals_mmdet_pytorch_version(gamma, alpha, dtype, scale):
    """mmcv's op, as mmdet's FocalLoss calls it on CUDA, against mmdet's CPU formula
    (``py_sigmoid_focal_loss``: one-hot targets, BCE with logits), values and gradients. The
    kernel's log(1 - sigmoid(x)) loses float32 digits for large logits (1.6e-4 relative at
    |x| = 12), so float32 logits stay moderate; float64 takes large ones."""
    from mmcv.ops import sigmoid_focal_loss
    from mmdet.models.losses.focal_loss import py_sigmoid_focal_loss

    logits, target = focal_inputs(dtype=dtype, scale=scale)
    served_in, reference_in = logits.clone().requires_grad_(), logits.clone().requires_grad_()
    with served_mmcv_ops():
        served = sigmoid_focal_loss(served_in, target, gamma, alpha, None, 'none')
    one_hot = torch.nn.functional.one_hot(target, 6)[:, :5].to(dtype)
    reference = py_sigmoid_focal_loss(reference_in, one_hot, None, gamma, alpha, 'none')
    grad = torch.randn(served.shape, dtype=dtype)
    served.backward(grad)
    reference.backward(grad)
    torch.testing.assert_close(served, reference, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(served_in.grad, reference_in.grad, rtol=1e-5, atol=1e-5)


def test_sigmoid_focal_loss_saturates_as_mmcv_kernel():
    """Where float32 sigmoid rounds to 0 or 1, mmcv's kernel takes log(FLT_MIN) (-87.3), not the
    exact -|x| of mmdet's BCE-with-logits version: the served op does the same."""
    from mmcv.ops import sigmoid_focal_loss

    logits = torch.tensor([[30.0, -100.0], [-100.0, 100.0]], requires_grad=True)
    target = torch.tensor([1, 1])  # row 0: the 30 is a negative, the -100 the positive
    with served_mmcv_ops():
        loss = sigmoid_focal_loss(logits, target, 2.0, 0.25, None, 'none')
    log_flt_min = float(torch.log(torch.tensor(torch.finfo(torch.float32).tiny)))
    torch.testing.assert_close(loss[0], torch.tensor([-0.75 * log_flt_min, -0.25 * log_flt_min]))
    torch.testing.assert_close(loss[1], torch.zeros(2))


def test_sigmoid_focal_loss_reductions_and_class_weight():
    from mmcv.ops import sigmoid_focal_loss

    logits, target = focal_inputs(1)
    target = target.clamp(max=4)  # a class weight is indexed by the target: no background
    weight = torch.rand(5) + 0.5
    with served_mmcv_ops():
        per_element = sigmoid_focal_loss(logits, target, 2.0, 0.25, None, 'none')
        weighted = sigmoid_focal_loss(logits, target, 2.0, 0.25, weight, 'none')
        mean = sigmoid_focal_loss(logits, target, 2.0, 0.25, None, 'mean')
        total = sigmoid_focal_loss(logits, target, 2.0, 0.25, None, 'sum')
        with pytest.raises(ValueError, match='indexes it with the target'):
            sigmoid_focal_loss(logits, torch.full_like(target, 5), 2.0, 0.25, weight, 'none')
    torch.testing.assert_close(weighted, per_element * weight[target][:, None])
    torch.testing.assert_close(mean, per_element.sum() / 64)
    torch.testing.assert_close(total, per_element.sum())


def msda_inputs(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    shapes = torch.tensor([[6, 8], [3, 4]])
    starts = torch.tensor([0, 48])
    value = torch.randn(2, 60, 4, 8, generator=gen)
    # (x, y) in [0, 1], some beyond it: zero padding there
    locations = torch.rand(2, 10, 4, 2, 3, 2, generator=gen) * 1.2 - 0.1
    weights = torch.rand(2, 10, 4, 2, 3, generator=gen).softmax(-1)
    return value, shapes, starts, locations, weights


def test_multi_scale_deformable_attention_equals_pytorch_version():
    """The served CUDA kernel (through mmcv's autograd Function, on CPU tensors here) against
    ``multi_scale_deformable_attn_pytorch``, which mmcv runs on CPU; values and gradients."""
    from mmcv.ops.multi_scale_deform_attn import (
        MultiScaleDeformableAttnFunction,
        multi_scale_deformable_attn_pytorch,
    )

    value, shapes, starts, locations, weights = msda_inputs()
    served_leaves = [t.clone().requires_grad_() for t in (value, locations, weights)]
    reference_leaves = [t.clone().requires_grad_() for t in (value, locations, weights)]
    with served_mmcv_ops():
        served = MultiScaleDeformableAttnFunction.apply(
            served_leaves[0], shapes, starts, served_leaves[1], served_leaves[2], 64)
    reference = multi_scale_deformable_attn_pytorch(reference_leaves[0], shapes,
                                                    *reference_leaves[1:])
    grad = torch.randn(served.shape)
    served.backward(grad)
    reference.backward(grad)
    assert served.shape == (2, 10, 32)
    torch.testing.assert_close(served, reference, rtol=1e-5, atol=1e-5)
    for mine, theirs in zip(served_leaves, reference_leaves):
        torch.testing.assert_close(mine.grad, theirs.grad, rtol=1e-5, atol=1e-5)


def _to(value, device):
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: _to(v, device) for k, v in value.items()}
    return value


# where CUDA rightly differs from CPU, as mmcv's own kernels do: the order of tied scores (torch's
# unstable sort) and the max-pooling start (-FLT_MAX on CUDA, -10000 on CPU)
CPU_ONLY = ('tie', 'duplicate', 'very-negative')
CUDA_CASES = [case for case in all_cases() if not any(word in case[0] for word in CPU_ONLY)]


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
@pytest.mark.parametrize('case', CUDA_CASES, ids=[case[0] for case in CUDA_CASES])
def test_served_ops_on_cuda_equal_cpu(case):
    """The served kernels on CUDA tensors (torchvision's CUDA kernels, PyTorch on CUDA) against
    the same kernels on CPU, which the compiled-mmcv tests check."""
    _, runner, kwargs = case
    with served_mmcv_ops():
        on_cpu = run_case(runner, kwargs)
        on_cuda = run_case(runner, _to(kwargs, 'cuda'))
    assert_same_outputs(_to(on_cuda, 'cpu'), on_cpu, tol=1e-4)
