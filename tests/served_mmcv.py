"""Test helpers: mmcv's op modules running on orsanet's served kernels, whichever mmcv is installed
(with mmcv-lite they already do; with full mmcv the compiled extension is swapped out)."""
import importlib
from contextlib import contextmanager
from typing import Dict, Iterator, Union

import torch

from orsanet.mmcv_ops import served_extension

# the mmcv.ops modules whose ``ext_module`` calls the kernels orsanet serves
SERVED_OP_MODULES = ('mmcv.ops.nms', 'mmcv.ops.roi_align', 'mmcv.ops.focal_loss',
                     'mmcv.ops.deform_conv', 'mmcv.ops.modulated_deform_conv',
                     'mmcv.ops.multi_scale_deform_attn')


@contextmanager
def served_mmcv_ops() -> Iterator[object]:
    """Within: mmcv's public ops call the served kernels; yields the stand-in extension."""
    modules = [importlib.import_module(name) for name in SERVED_OP_MODULES]
    saved = [module.ext_module for module in modules]
    extension = served_extension('swapped out by the tests')
    try:
        for module in modules:
            module.ext_module = extension
        yield extension
    finally:
        for module, ext in zip(modules, saved):
            module.ext_module = ext


# float16 gradients: the deformable convolutions' accumulate in half precision on both sides, in
# different orders (mmcv's col2im against torchvision's), 7e-3 apart; every float16 output, and
# RoIAlign's float16 gradients, match to 1e-5 all the same
HALF_TOLERANCE = 1e-2


def assert_same_outputs(served: Union[Dict[str, torch.Tensor], str],
                        compiled: Union[Dict[str, torch.Tensor], str], tol: float = 1e-5) -> None:
    """Indices (integer tensors) exactly equal, values to ``tol`` (float16 gradients to
    ``HALF_TOLERANCE``); same names, shapes, dtypes. Where the compiled side refused the inputs
    (an error message), the same refusal."""
    if isinstance(compiled, str) or isinstance(served, str):
        assert served == compiled
        return
    assert served.keys() == compiled.keys()
    for name, expected in compiled.items():
        actual = served[name]
        if expected is None:
            assert actual is None, name
        elif expected.is_floating_point():
            close = max(tol, HALF_TOLERANCE) if (
                expected.dtype == torch.float16 and name.startswith('grad_')) else tol
            torch.testing.assert_close(actual, expected, rtol=close, atol=close,
                                       msg=lambda m: f'{name}: {m}')
        else:
            assert actual.dtype == expected.dtype and torch.equal(actual, expected), (
                f'{name}: served {actual.tolist()} != compiled {expected.tolist()}')
