"""Faces followed between detections by optical flow (a video runs its detector on every k-th
frame only).

:class:`FlowFollower` finds how a face moved from one frame to the next: corners inside the face
box of the previous frame (``cv2.goodFeaturesToTrack``) are followed into the current one by
pyramidal Lucas-Kanade flow (``cv2.calcOpticalFlowPyrLK``) forward and back, the points that come
back to within ``max_fb_error`` px are kept, and a similarity transform (rotation, uniform scale,
translation: ``cv2.estimateAffinePartial2D`` with RANSAC) is fitted to them. Both frames are cut
to the box plus a margin first, so the cost does not grow with the frame (about 1-2 ms a face on
a 640x480 frame on one core). A face whose corners are too few (a flat or blank region) or whose
motion the points do not agree on (an occluder sweeping in, a cut to another scene) is not
followed (None): the tracker then treats it as missed (held or dropped, see
:class:`orsanet.faces.tracking.FaceTracker`).

:func:`move_face` applies such a transform to a detection (box, points) and an alignment (its
warp matrix, points and landmarks), so that the crop the model sees follows the face.
"""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from .alignment import AlignedFace
from .base import FaceDetection


@dataclass
class FlowMotion:
    """The motion of one face between two frames: ``matrix`` (2, 3), previous -> current pixels,
    and the points it rests on (``points``: corners followed, ``inliers``: agreeing with it)."""
    matrix: np.ndarray
    points: int
    inliers: int


class FlowFollower:
    """The similarity motion of a face box from one grey frame to the next.

    Args:
        max_corners (int): Corners sought in the face box. Defaults to 48.
        min_points (int): Fewest corners that must follow (forward-backward check) and agree
            (RANSAC inliers) for the face to count as followed. Defaults to 8.
        min_inlier_ratio (float): Share of the followed corners that must agree with the fitted
            motion. Defaults to 0.6.
        max_fb_error (float): A corner followed forward then back must land within this many px
            of where it started. Defaults to 1.0.
        margin (float): The frames are cut to the box grown by this share of its size on each
            side (the largest motion followed in one frame). Defaults to 0.3.
        win (int): Lucas-Kanade window side in px. Defaults to 15.
        levels (int): Pyramid levels above the full resolution. Defaults to 2.
    """

    def __init__(self, max_corners: int = 48, min_points: int = 8, min_inlier_ratio: float = 0.6,
                 max_fb_error: float = 1.0, margin: float = 0.3, win: int = 15,
                 levels: int = 2) -> None:
        if min_points < 3:
            raise ValueError(f'min_points must be >= 3 (a similarity needs 2), got {min_points}')
        self.max_corners, self.min_points = int(max_corners), int(min_points)
        self.min_inlier_ratio, self.max_fb_error = float(min_inlier_ratio), float(max_fb_error)
        self.margin, self.win, self.levels = float(margin), int(win), int(levels)

    def _window(self, shape: Sequence[int], box: Sequence[float]) -> Tuple[int, int, int, int]:
        """(x1, y1, x2, y2) of the box grown by ``margin``, inside the frame."""
        w, h = box[2] - box[0], box[3] - box[1]
        x1 = int(max(0, np.floor(box[0] - self.margin * w)))
        y1 = int(max(0, np.floor(box[1] - self.margin * h)))
        x2 = int(min(shape[1], np.ceil(box[2] + self.margin * w)))
        y2 = int(min(shape[0], np.ceil(box[3] + self.margin * h)))
        return x1, y1, x2, y2

    def _corners(self, grey: np.ndarray, box: Sequence[float],
                 offset: Tuple[int, int]) -> Optional[np.ndarray]:
        """(N, 1, 2) float32 corners inside ``box`` of the window ``grey`` (cut at ``offset``)."""
        mask = np.zeros(grey.shape, np.uint8)
        bx1, by1 = int(box[0]) - offset[0], int(box[1]) - offset[1]
        bx2, by2 = int(np.ceil(box[2])) - offset[0], int(np.ceil(box[3])) - offset[1]
        mask[max(by1, 0):max(by2, 0), max(bx1, 0):max(bx2, 0)] = 255
        side = max(min(box[2] - box[0], box[3] - box[1]), 1.0)
        return cv2.goodFeaturesToTrack(grey, self.max_corners, qualityLevel=0.01,
                                       minDistance=max(2.0, side / 20), mask=mask, blockSize=5)

    def __call__(self, previous: np.ndarray, current: np.ndarray,
                 box: Sequence[float]) -> Optional[FlowMotion]:
        """The motion of ``box`` (x1, y1, x2, y2 in ``previous``) from the grey frame
        ``previous`` (H, W) to ``current`` (H, W); None when it cannot be followed."""
        if previous.shape != current.shape:
            raise ValueError(f'the two frames differ in size: {previous.shape} and '
                             f'{current.shape}')
        x1, y1, x2, y2 = self._window(previous.shape, box)
        if x2 - x1 < self.win or y2 - y1 < self.win:
            return None
        prev, cur = previous[y1:y2, x1:x2], current[y1:y2, x1:x2]
        corners = self._corners(prev, box, (x1, y1))
        if corners is None or len(corners) < self.min_points:
            return None
        lk = dict(winSize=(self.win, self.win), maxLevel=self.levels,
                  criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03))
        forward, ok_f, _ = cv2.calcOpticalFlowPyrLK(prev, cur, corners, None, **lk)
        back, ok_b, _ = cv2.calcOpticalFlowPyrLK(cur, prev, forward, None, **lk)
        error = np.linalg.norm((back - corners).reshape(-1, 2), axis=1)
        good = (ok_f.ravel() == 1) & (ok_b.ravel() == 1) & (error <= self.max_fb_error)
        if int(good.sum()) < self.min_points:
            return None
        src = corners.reshape(-1, 2)[good] + (x1, y1)
        dst = forward.reshape(-1, 2)[good] + (x1, y1)
        matrix, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                                      ransacReprojThreshold=1.0)
        if matrix is None:
            return None
        agree = int(inliers.sum())
        if agree < self.min_points or agree < self.min_inlier_ratio * len(src):
            return None
        return FlowMotion(matrix.astype(np.float64), int(len(src)), agree)


def _affine3(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([np.asarray(matrix, np.float64), [0.0, 0.0, 1.0]])


def apply_motion(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 2) points moved by a (2, 3) motion."""
    points = np.asarray(points, np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]


def move_face(detection: FaceDetection, alignment: AlignedFace, motion: FlowMotion,
              image: np.ndarray, warp) -> Tuple[FaceDetection, AlignedFace]:
    """The detection and the alignment of a face that moved by ``motion``: the box is the
    bounding box of its moved corners, points and landmarks move with it, the alignment's warp
    becomes ``A @ M^-1`` (crop pixels stay on the same facial points) and the crop is cut from
    ``image`` by ``warp(image, matrix)``."""
    m = motion.matrix
    x1, y1, x2, y2 = detection.box
    corners = apply_motion(np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]]), m)
    box = np.concatenate([corners.min(0), corners.max(0)])
    points = None if detection.points is None else apply_motion(detection.points, m)
    moved = FaceDetection(box, detection.score, points,
                          dict(detection.extra, followed_points=motion.inliers))
    matrix = (_affine3(alignment.matrix) @ np.linalg.inv(_affine3(m)))[:2]
    landmarks = None if alignment.landmarks is None else apply_motion(alignment.landmarks, m)
    aligned = AlignedFace(crop=warp(image, matrix), points=apply_motion(alignment.points, m),
                          method=alignment.method, matrix=matrix, landmarks=landmarks)
    return moved, aligned
