"""The two steps of the official (torchvision, PIL) ORSANet pipeline that mmcv's differ from.

The official code loads faces with PIL and runs ``RandomHorizontalFlip -> Resize((224, 224)) ->
ToTensor -> Normalize(ImageNet) -> RandomErasing(scale=(0.02, 0.1))`` (test: resize and
normalise). mmcv's ``Resize`` interpolates with OpenCV, which does not antialias when it shrinks
(AffectNet and Occlu-FER photos are larger than 224 px), and mmpretrain's ``RandomErasing``
draws its box with another aspect range, fill and retry rule. These transforms call
torchvision's own code on the same numbers:

- :class:`PILResize`: ``torchvision.transforms.functional.resize`` on the PIL image (bilinear,
  antialiased), BGR uint8 in and out;
- :class:`TorchvisionErasing`: ``torchvision.transforms.RandomErasing``'s box sampling, the box
  filled with the normalisation mean, so that after the data preprocessor's normalisation it is
  0, as the official code writes it into the normalised tensor.
"""
from typing import Sequence, Tuple

import numpy as np
import torch
import torchvision.transforms.functional as TF
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS
from PIL import Image
from torchvision.transforms import InterpolationMode, RandomErasing


@TRANSFORMS.register_module()
class PILResize(BaseTransform):
    """Resize as torchvision's ``Resize(scale)`` does on a PIL image (the official pipeline).

    Args:
        scale (tuple[int, int]): Output (width, height), as mmcv's ``Resize``. Defaults to
            (224, 224).
        interpolation (str): A ``torchvision.transforms.InterpolationMode`` name. Defaults to
            ``'bilinear'`` (torchvision's default).

    Required keys: ``img`` (H, W, 3) BGR uint8. Modified keys: ``img``, ``img_shape``; added
    keys: ``scale_factor`` (w, h).
    """

    def __init__(self, scale: Tuple[int, int] = (224, 224),
                 interpolation: str = 'bilinear') -> None:
        self.scale = (int(scale[0]), int(scale[1]))
        self.interpolation = InterpolationMode(interpolation)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'PILResize takes BGR uint8 images (H, W, 3), got {img.dtype} '
                             f'{img.shape} from {results.get("img_path", "an array")}')
        height, width = img.shape[:2]
        pil = Image.fromarray(np.ascontiguousarray(img[:, :, ::-1]))
        pil = TF.resize(pil, [self.scale[1], self.scale[0]], self.interpolation, antialias=True)
        results['img'] = np.ascontiguousarray(np.asarray(pil)[:, :, ::-1])
        results['img_shape'] = (self.scale[1], self.scale[0])
        results['scale_factor'] = (self.scale[0] / width, self.scale[1] / height)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scale={self.scale}, interpolation={self.interpolation})'


@TRANSFORMS.register_module()
class TorchvisionErasing(BaseTransform):
    """torchvision's ``RandomErasing`` before normalisation: same probability and box sampling
    (``scale``, ``ratio``, up to 10 tries, torch's random generator), the box filled with
    ``fill`` (the normalisation mean, BGR), i.e. 0 after normalisation as in the official code.

    Args:
        prob (float): Erasing probability. Defaults to 0.5.
        scale (tuple[float, float]): Area range of the box. Defaults to (0.02, 0.1) (official).
        ratio (tuple[float, float]): Aspect range. Defaults to (0.3, 3.3) (torchvision's).
        fill (sequence of float): BGR fill. Defaults to the ImageNet mean.

    Required keys: ``img`` (H, W, C). Modified keys: ``img``, now float32 whether erased or not
    (the fill is not an integer, and a batch must share one dtype).
    """

    def __init__(self, prob: float = 0.5, scale: Tuple[float, float] = (0.02, 0.1),
                 ratio: Tuple[float, float] = (0.3, 3.3),
                 fill: Sequence[float] = (103.53, 116.28, 123.675)) -> None:
        self.prob = prob
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.fill = np.asarray(fill, dtype=np.float32)

    def transform(self, results: dict) -> dict:
        img = results['img'].astype(np.float32)
        if torch.rand(1) < self.prob:
            size = torch.empty(img.shape[2], *img.shape[:2])  # C, H, W: get_params reads the size
            top, left, height, width, _ = RandomErasing.get_params(
                size, scale=self.scale, ratio=self.ratio, value=[0.0])
            if (height, width) != img.shape[:2]:  # the whole image: torchvision found no box
                img[top:top + height, left:left + width] = self.fill
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, scale={self.scale}, '
                f'ratio={self.ratio}, fill={self.fill.tolist()})')
