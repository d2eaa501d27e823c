"""FrozenPrior(fuse_conv_bn=True): a BN-folded copy of the wrapped model runs; same outputs."""
import pytest
import torch
from torch import nn

from orsanet.models.priors import LandmarkPrior

MOBILEFACENET = 'configs/priors/mobilefacenet_68pt_300w.py'


def batch_norms(model: nn.Module, kind=nn.modules.batchnorm._BatchNorm) -> int:
    return sum(isinstance(m, kind) for m in model.modules())


def randomise_batch_norms(model: nn.Module, seed: int) -> None:
    """Non-trivial BN statistics and affine terms (fresh BNs are almost the identity)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                shape = m.running_mean.shape
                m.running_mean.copy_(0.2 * torch.randn(shape, generator=generator))
                m.running_var.copy_(0.5 + torch.rand(shape, generator=generator))
                m.weight.copy_(0.5 + torch.rand(shape, generator=generator))
                m.bias.copy_(0.1 * torch.randn(shape, generator=generator))


def mobilefacenet(output: str = 'features', **kwargs) -> LandmarkPrior:
    torch.manual_seed(0)
    prior = LandmarkPrior(model=MOBILEFACENET, output=output, layer='backbone.conv_6_sep',
                          input_size=112, **kwargs)
    randomise_batch_norms(prior.model, seed=0)
    return prior


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return ((actual - expected).abs().max() / expected.abs().max()).item()


@pytest.mark.parametrize('output', ['features', 'coords'])
def test_fused_copy_matches_and_leaves_the_model_alone(output):
    plain, fused = mobilefacenet(output), mobilefacenet(output, fuse_conv_bn=True)
    keys = list(fused.state_dict(keep_vars=False)) + list(fused.model.state_dict())
    x = torch.randn(3, 3, 112, 112)
    expected, actual = plain(x), fused(x)
    assert relative_error(actual, expected) < 1e-5
    runtime = fused.runtime_model()
    assert runtime is not fused.model
    assert batch_norms(runtime, nn.BatchNorm2d) == 0  # all 49 folded
    assert batch_norms(fused.model, nn.BatchNorm2d) == batch_norms(plain.model, nn.BatchNorm2d)
    assert list(fused.state_dict()) + list(fused.model.state_dict()) == keys
    assert 'runtime' not in ''.join(dict(fused.named_modules()))  # the copy is not a submodule
    assert fused.runtime_model() is runtime  # built once


@pytest.mark.slow
def test_rebuilt_when_the_weights_load_or_move():
    plain, fused = mobilefacenet(), mobilefacenet(fuse_conv_bn=True)
    x = torch.randn(2, 3, 112, 112)
    fused(x)
    first = fused.runtime_model()
    randomise_batch_norms(plain.model, seed=1)
    fused.model.load_state_dict(plain.model.state_dict())  # new weights, loaded in place
    assert relative_error(fused(x), plain(x)) < 1e-5  # not the stale copy
    assert fused.runtime_model() is not first
    fused.to(torch.float64)
    assert fused(x.double()).dtype == torch.float64


def test_refused_when_registration_order_misleads():
    """mmcv pairs a BN with the conv registered before it; here a PReLU runs in between."""

    class ConvActNorm(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 64, 3, stride=2, padding=1, bias=False)
            self.act = nn.PReLU(64, init=0.1)
            self.bn = nn.BatchNorm2d(64)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.bn(self.act(self.conv(x)))

    plain, fused = mobilefacenet(), mobilefacenet(fuse_conv_bn=True)
    for prior in (plain, fused):
        torch.manual_seed(1)
        prior.model.backbone.conv1 = ConvActNorm().eval().requires_grad_(False)
        randomise_batch_norms(prior.model.backbone.conv1, seed=2)
    x = torch.randn(2, 3, 112, 112)
    assert torch.equal(fused(x), plain(x))
    assert fused.runtime_model() is fused.model  # unfused, with a warning in the log


@pytest.mark.slow
def test_probe_compares_in_full_precision_under_autocast():
    fused = mobilefacenet(fuse_conv_bn=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        fused(torch.randn(2, 3, 112, 112))
    assert fused.runtime_model() is not fused.model  # bf16 rounding did not refuse the copy


def test_first_call_under_inference_mode():
    """FERInferencer and the benchmark run under torch.inference_mode; the copy works after."""
    plain, fused = mobilefacenet(), mobilefacenet(fuse_conv_bn=True)
    x = torch.randn(2, 3, 112, 112)
    with torch.inference_mode():
        inside = fused(x)
    assert fused.runtime_model() is not fused.model
    assert relative_error(inside, plain(x)) < 1e-5
    assert relative_error(fused(x), plain(x)) < 1e-5
