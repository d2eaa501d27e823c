"""SemanticPrior: a frozen mmseg segmentor as ORSANet's semantic (face-parsing) prior."""
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from .base_prior import FrozenPrior


@MODELS.register_module()
class SemanticPrior(FrozenPrior):
    """Any mmseg segmentor, frozen, giving ORSANet its semantic prior (ORSANet, arXiv 2507.15401).

    The official model feeds the 224-px batch to SegFace's Swin-B (LaPa face parsing) and takes
    the last stage's blocks' output before the backbone's final norm (``output='features'``,
    ``layer='backbone.stages.3'``: B x 1024 x 7 x 7). The paper speaks of parsing maps:
    ``output='probs'`` gives the per-class probabilities of the segmentor's decode head.

    Args:
        model (str | dict): An mmseg segmentor config (dict, file or ``'mmseg::...'``), e.g.
            ``'configs/priors/segface_swinb_lapa.py'``.
        output (str): ``'features'`` (a tapped layer, NCHW) or ``'probs'`` (softmax over classes
            of the decode head's logits, or sigmoid for a single-channel head, bilinearly
            resized to the prior's input size). Defaults to ``'features'``.
        **kwargs: See :class:`FrozenPrior` (``checkpoint``, ``layer``, ``input_size``,
            ``resize_mode``, ``data_preprocessor``, ``allow_missing``, ``save_weights``, ...).

    Shapes: input (B, 3, H, W), the classifier's normalised batch -> ``'features'``: the layer's
    map (B, C, h, w) (Swin-B stage 4 at 224: B x 1024 x 7 x 7); ``'probs'``: (B, K, H', W') with
    K classes and (H', W') = ``input_size`` or (H, W).
    """
    scope = 'mmseg'
    output_modes = ('features', 'probs')

    def predict_output(self, x: Tensor) -> Tensor:
        logits = self.run_model(x)
        if not isinstance(logits, Tensor) or logits.dim() != 4:
            raise TypeError(f'SemanticPrior: the segmentor returned {type(logits).__name__} in '
                            "tensor mode, not (B, K, h, w) logits; use output='features'")
        if logits.shape[-2:] != x.shape[-2:]:
            logits = F.interpolate(logits, size=x.shape[-2:], mode='bilinear',
                                   align_corners=bool(getattr(self.model, 'align_corners',
                                                              False)))
        return logits.sigmoid() if logits.shape[1] == 1 else logits.softmax(dim=1)
