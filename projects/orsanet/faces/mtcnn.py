"""MTCNN face detector with 5 landmarks (the optional MTCNN extra, facenet-pytorch's weights).

Installed with ``make env-mtcnn`` (elsewhere ``pip install '.[mtcnn]'`` and then
``pip install --no-deps -r requirements/mtcnn.txt``): ``facenet-pytorch`` 2.6.0 ships the
trained P-, R- and O-Net of MTCNN (Zhang et al., "Joint Face Detection and Alignment Using
Multitask Cascaded Convolutional Networks", 2016) inside its wheel, so nothing is downloaded at
run time. Code and weights: MIT licence (the wheel's ``LICENSE.md`` and licence classifier; the
wheel states no other terms for ``data/pnet.pt``, ``rnet.pt``, ``onet.pt``). The weights are
MTCNN's original ones (trained by its authors on WIDER FACE and CelebA, data sets released for
research), ported to PyTorch: check those terms before commercial use. The package pins
``torch<2.3``; it is installed without its dependencies and runs on this project's torch.

:class:`MTCNNFaceDetector` returns a box, the O-Net score and the 5 points MTCNN regresses (eye
centres, nose tip, mouth corners: the order of ``alignment.RAFDB_TEMPLATE_100``), which
:class:`~orsanet.faces.alignment.FaceAligner` warps from directly. ``facenet_pytorch`` is
imported when a detector is built, never at ``import orsanet``.
"""
import importlib.util
from typing import List, Optional, Sequence

import cv2
import numpy as np
import torch

from .base import FaceDetection, detect_rescaled, detection_scale, sort_largest_first

MTCNN_INSTALL_HINT = ("install the MTCNN extra: make env-mtcnn, or pip install '.[mtcnn]' and "
                      'then pip install --no-deps -r requirements/mtcnn.txt (facenet-pytorch '
                      '2.6.0 without its dependencies: it pins an old torch)')


def mtcnn_available() -> bool:
    """Whether ``facenet_pytorch`` is installed (found without importing it)."""
    return importlib.util.find_spec('facenet_pytorch') is not None


def import_mtcnn():
    """facenet-pytorch's ``MTCNN`` class, or an ImportError that names the extra."""
    try:
        from facenet_pytorch import MTCNN
    except ImportError as err:
        missing = getattr(err, 'name', None) or str(err)
        raise ImportError(f'the MTCNN face detector needs facenet-pytorch ({missing} is missing): '
                          f'{MTCNN_INSTALL_HINT}') from err
    return MTCNN


class MTCNNFaceDetector:
    """Faces and their 5 points with MTCNN (facenet-pytorch's trained P-, R-, O-Net).

    Args:
        min_face (int): The smallest face side searched, in pixels of the copy detected on
            (the image pyramid starts at 12 / ``min_face``; a smaller value costs more time).
            Defaults to 20 (MTCNN's own default).
        thresholds (sequence of 3 floats): The P-, R- and O-Net score thresholds.
            Defaults to (0.6, 0.7, 0.7) (MTCNN's own).
        factor (float): The pyramid's scale step. Defaults to 0.709 (MTCNN's own).
        score_thr (float): Keep faces whose O-Net score is at least this. Defaults to 0.9.
        max_side (int, optional): Detect on a copy whose longer side is at most this many
            pixels (boxes and points are mapped back, :func:`detect_rescaled`); None: the full
            image. Defaults to 1024.
        device (str): Torch device of the three nets. Defaults to ``'cpu'``.
        channels_last (bool): Keep the nets' weights channels-last, so that the convolutions
            write NHWC tensors, on which torch's CPU max-pooling (P-Net's, on every pyramid
            level) is about 3x faster than on NCHW; the faces are those of the stock layout
            to 1e-3 px (docs/speed.md: the detector's time a image, both layouts side by side).
            Defaults to True.
    """

    def __init__(self, min_face: int = 20, thresholds: Sequence[float] = (0.6, 0.7, 0.7),
                 factor: float = 0.709, score_thr: float = 0.9,
                 max_side: Optional[int] = 1024, device: str = 'cpu',
                 channels_last: bool = True) -> None:
        if min_face < 12:
            raise ValueError(f'min_face must be at least 12 px (the P-Net window), got {min_face}')
        if len(thresholds) != 3:
            raise ValueError(f'MTCNN takes 3 thresholds (P-, R-, O-Net), got {thresholds}')
        MTCNN = import_mtcnn()
        self.net = MTCNN(min_face_size=int(min_face), thresholds=list(thresholds),
                         factor=float(factor), keep_all=True, device=device).eval()
        if channels_last:
            self.net.to(memory_format=torch.channels_last)
        self.min_face = int(min_face)
        self.score_thr = float(score_thr)
        self.max_side = max_side

    def _detect(self, image: np.ndarray) -> List[FaceDetection]:
        code = cv2.COLOR_GRAY2RGB if image.ndim == 2 else cv2.COLOR_BGR2RGB
        rgb = np.ascontiguousarray(cv2.cvtColor(image, code))
        with torch.inference_mode():
            boxes, scores, points = self.net.detect(rgb, landmarks=True)
        if boxes is None:
            return []
        return [FaceDetection(box=np.asarray(b, np.float64), score=float(s),
                              points=np.asarray(p, np.float64))
                for b, s, p in zip(boxes, scores, points) if s >= self.score_thr]

    def __call__(self, image: np.ndarray) -> List[FaceDetection]:
        """Faces in a BGR (H, W, 3) or grey (H, W) uint8 image, largest first; ``points``
        (5, 2) in pixels of ``image``."""
        scale = detection_scale(image.shape, self.max_side)
        return sort_largest_first(detect_rescaled(image, scale, self._detect))
