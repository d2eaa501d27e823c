"""LandmarkPrior: a frozen mmpose model as ORSANet's landmark prior."""
from typing import Any, NamedTuple, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.registry import MODELS
from torch import Tensor

from .base_prior import FrozenPrior, _pair


class PoseOutput(NamedTuple):
    """What an mmpose head returns in tensor mode, sorted by kind (None where absent)."""
    coords: Optional[Tensor] = None  # (B, K, 2), normalised to [0, 1] of the input
    heatmaps: Optional[Tensor] = None  # (B, K, h, w)
    simcc: Optional[Tuple[Tensor, Tensor]] = None  # (B, K, Wx), (B, K, Wy)


def split_pose_output(output: Any) -> PoseOutput:
    """Sort a head's tensor-mode output: regression (B, K, 2) or (B, 2K) coordinates,
    (B, K, h, w) heatmaps, SimCC pairs, or a tuple mixing them (integral regression)."""
    if isinstance(output, Tensor):
        if output.dim() == 2 and output.shape[1] % 2 == 0:
            return PoseOutput(coords=output.reshape(output.shape[0], -1, 2))
        if output.dim() == 3 and output.shape[-1] == 2:
            return PoseOutput(coords=output)
        if output.dim() == 4:
            return PoseOutput(heatmaps=output)
    elif isinstance(output, (tuple, list)) and output:
        if (len(output) == 2 and all(isinstance(o, Tensor) and o.dim() == 3 for o in output)
                and output[0].shape[-1] != 2):
            return PoseOutput(simcc=(output[0], output[1]))
        parts = [split_pose_output(o) for o in output if isinstance(o, Tensor)]
        coords = next((p.coords for p in parts if p.coords is not None), None)
        heatmaps = next((p.heatmaps for p in parts if p.heatmaps is not None), None)
        if coords is not None or heatmaps is not None:
            return PoseOutput(coords=coords, heatmaps=heatmaps)
    shapes = [tuple(o.shape) for o in output] if isinstance(output, (tuple, list)) else (
        tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__)
    raise TypeError(f'LandmarkPrior: cannot read keypoints from the head output {shapes}; '
                    "expected coordinates, heatmaps or SimCC vectors (or use output='features')")


def argmax_coords(scores: Tensor) -> Tensor:
    """(B, K, *S) scores -> (B, K, len(S)) argmax position / size per axis, reversed to (x, y).

    Normalised as mmpose decodes heatmaps and SimCC: index / length (index * input / size).
    """
    spatial = scores.shape[2:]
    flat = scores.flatten(2).argmax(dim=2)
    coords = []
    for size in reversed(spatial):
        coords.append((flat % size).to(scores.dtype) / size)
        flat = flat // size
    return torch.stack(coords, dim=-1)


def render_heatmaps(coords: Tensor, size: Tuple[int, int], sigma: float) -> Tensor:
    """Unnormalised Gaussians exp(-d^2 / (2 sigma^2)) at ``coords * (w, h)`` heatmap pixels.

    Args:
        coords: (B, K, 2) keypoints (x, y) normalised to [0, 1].
        size: Heatmap (h, w).
        sigma: Gaussian standard deviation in heatmap pixels.

    Returns:
        (B, K, h, w) heatmaps, peak 1 at integer keypoint positions.
    """
    height, width = size
    centre_x = coords[..., 0, None] * width  # (B, K, 1)
    centre_y = coords[..., 1, None] * height
    xs = torch.arange(width, device=coords.device, dtype=coords.dtype)
    ys = torch.arange(height, device=coords.device, dtype=coords.dtype)
    gauss_x = torch.exp(-(xs - centre_x)**2 / (2 * sigma**2))  # (B, K, w)
    gauss_y = torch.exp(-(ys - centre_y)**2 / (2 * sigma**2))  # (B, K, h)
    return gauss_y[..., :, None] * gauss_x[..., None, :]


@MODELS.register_module()
class LandmarkPrior(FrozenPrior):
    """Any mmpose top-down model, frozen, giving ORSANet its landmark prior (arXiv 2507.15401).

    The official model resizes the 224-px batch to 112 (nearest) and takes MobileFaceNet's
    ``conv_6_sep`` features (``output='features'``, ``layer='backbone.conv_6_sep'``,
    ``input_size=112``: B x 512 x 7 x 7); the paper speaks of landmarks, which ``'coords'`` and
    ``'heatmaps'`` give.

    Args:
        model (str | dict): An mmpose model config (dict, file or ``'mmpose::...'``).
        output (str): ``'features'``, ``'heatmaps'`` or ``'coords'``. ``'coords'``: keypoints
            (x, y) normalised to [0, 1] of the prior's input (pixel = value * size): regression
            heads' output as is, heatmap and SimCC heads decoded by argmax (index / length, as
            mmpose decodes). ``'heatmaps'``: heatmap heads' output as is; for regression and
            SimCC heads, Gaussians rendered at the decoded coordinates (:func:`render_heatmaps`).
            Defaults to ``'features'``.
        heatmap_size (int | tuple[int, int], optional): (h, w) of rendered heatmaps. None: a
            quarter of the prior's input size (mmpose's usual ratio). Defaults to None.
        sigma (float): Std of rendered Gaussians, in heatmap pixels. Defaults to 2.0 (as
            mmpose's MSRA heatmaps).
        **kwargs: See :class:`FrozenPrior` (``checkpoint``, ``layer``, ``input_size``,
            ``resize_mode``, ``data_preprocessor``, ``allow_missing``, ``save_weights``, ...).

    Shapes: input (B, 3, H, W), the classifier's normalised batch -> ``'features'``: the layer's
    map (B, C, h, w) (MobileFaceNet at 112: B x 512 x 7 x 7); ``'heatmaps'``: (B, K, h, w);
    ``'coords'``: (B, K, 2).
    """
    scope = 'mmpose'
    output_modes = ('features', 'heatmaps', 'coords')

    def __init__(self,
                 *args: Any,
                 heatmap_size: Union[int, Sequence[int], None] = None,
                 sigma: float = 2.0,
                 **kwargs: Any) -> None:
        self.heatmap_size = _pair(heatmap_size)
        self.sigma = float(sigma)
        super().__init__(*args, **kwargs)

    def coords(self, pose: PoseOutput) -> Tensor:
        if pose.coords is not None:
            return pose.coords
        if pose.heatmaps is not None:
            return argmax_coords(pose.heatmaps)
        simcc_x, simcc_y = pose.simcc
        return torch.cat([argmax_coords(simcc_x), argmax_coords(simcc_y)], dim=-1)

    def predict_output(self, x: Tensor) -> Tensor:
        pose = split_pose_output(self.run_model(x))
        if self.output == 'coords':
            return self.coords(pose)
        if pose.heatmaps is not None:
            return pose.heatmaps
        size = self.heatmap_size or (max(x.shape[-2] // 4, 1), max(x.shape[-1] // 4, 1))
        return render_heatmaps(self.coords(pose), size, self.sigma)
