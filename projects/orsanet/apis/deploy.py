"""ONNX export of an MMPretrain classifier (ORSANet with its frozen priors) and the check against
PyTorch with onnxruntime.

The exported graph takes what the model's data preprocessor receives, a float batch
(B, 3, H, W) of 0-255 pixels in the pipeline's channel order (BGR for the configs here), and
contains the preprocessor's channel flip and normalisation, the whole network (priors included)
and the softmax: outputs ``scores`` (B, C) and ``logits`` (B, C). The batch axis is dynamic.
"""
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Sequence

import numpy as np
import torch
from torch import Tensor, nn


@contextmanager
def priors_run_through(model: nn.Module) -> Iterator[None]:
    """Within the block the model's frozen priors tap their layer without the stopping
    exception (graph capture cannot follow it; see ``FrozenPrior.tap``): same numbers."""
    from orsanet.models.priors import FrozenPrior

    priors = [m for m in model.modules() if isinstance(m, FrozenPrior)]
    before = [p.early_stop for p in priors]
    try:
        for prior in priors:
            prior.early_stop = False
        yield
    finally:
        for prior, value in zip(priors, before):
            prior.early_stop = value


class ExportableClassifier(nn.Module):
    """``model``'s preprocessing + ``extract_feat`` + ``head`` + softmax as one plain module.

    Shapes: input (B, 3, H, W) 0-255 floats -> (scores (B, C), logits (B, C)).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        pre = model.data_preprocessor
        self.flip = bool(getattr(pre, 'to_rgb', False)
                         or getattr(pre, '_channel_conversion', False))
        self.normalise = bool(getattr(pre, '_enable_normalize', False))
        if self.normalise:
            self.register_buffer('pixel_mean', pre.mean.detach().clone().view(1, -1, 1, 1))
            self.register_buffer('pixel_std', pre.std.detach().clone().view(1, -1, 1, 1))

    def forward(self, inputs: Tensor):
        x = inputs.float()
        if self.flip:
            x = x.flip(1)
        if self.normalise:
            x = (x - self.pixel_mean) / self.pixel_std
        logits = self.model.head(self.model.extract_feat(x))
        return logits.softmax(dim=1), logits


def export_onnx(model: nn.Module, path: str, example: Tensor, opset: int = 18,
                optimize: bool = True) -> None:
    """Write ``ExportableClassifier(model)`` to ``path`` with a dynamic batch axis, with torch's
    dynamo-based exporter (``torch.export`` then ONNX; the TorchScript-based one cannot trace
    the priors' layer adapters or adaptive pooling of these models).

    Args:
        example: A (B, 3, H, W) batch traced through the model (B >= 2: a batch of 1 would be
            specialised).
        optimize: Run the ONNX graph optimiser (constant folding, dead-node removal).
    """
    wrapper = ExportableClassifier(model).eval()
    batch = torch.export.Dim('batch', min=1, max=4096)
    with torch.no_grad(), priors_run_through(model):
        program = torch.onnx.export(wrapper, (example, ), dynamo=True,
                                    dynamic_shapes=({0: batch}, ), input_names=['inputs'],
                                    output_names=['scores', 'logits'],
                                    opset_version=opset, optimize=optimize)
    program.save(path)


def compare_onnx(model: nn.Module, path: str, batches: Sequence[Tensor]) -> Dict[str, float]:
    """Max abs differences of onnxruntime's ``scores`` and ``logits`` from PyTorch's, and the
    PyTorch logits' scale, over ``batches`` (any batch sizes)."""
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    wrapper = ExportableClassifier(model).eval()
    diffs = dict(scores=0.0, logits=0.0, logit_scale=0.0, batches=len(batches))
    for batch in batches:
        with torch.no_grad():
            ref_scores, ref_logits = (t.numpy() for t in wrapper(batch))
        ort_scores, ort_logits = session.run(None, {'inputs': batch.numpy().astype(np.float32)})
        diffs['scores'] = max(diffs['scores'], float(np.abs(ort_scores - ref_scores).max()))
        diffs['logits'] = max(diffs['logits'], float(np.abs(ort_logits - ref_logits).max()))
        diffs['logit_scale'] = max(diffs['logit_scale'], float(np.abs(ref_logits).max()))
    return diffs


def onnx_input_batch(crops: Sequence[np.ndarray], pipeline) -> Tensor:
    """A (B, 3, H, W) float batch of aligned BGR crops through the test ``pipeline``."""
    tensors = [pipeline(dict(img=c, img_shape=c.shape[:2], ori_shape=c.shape[:2]))['inputs']
               for c in crops]
    return torch.stack(tensors).float()


def check_model_predict(model: nn.Module, batch: Tensor,
                        atol: float = 1e-5) -> Optional[float]:
    """Max abs difference between the wrapper's scores and ``model.predict``'s (a guard that the
    exported path is the model's own)."""
    wrapper = ExportableClassifier(model).eval()
    with torch.no_grad():
        scores = wrapper(batch)[0]
        data = model.data_preprocessor(dict(inputs=list(batch)), False)
        ref = torch.stack([s.pred_score for s in model.predict(data['inputs'])])
    diff = float((scores - ref).abs().max())
    if diff > atol:
        raise AssertionError(f'the export wrapper differs from model.predict by {diff}')
    return diff
