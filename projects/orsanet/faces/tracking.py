"""Faces followed across video frames: stable ids, faces held through short detector misses.

:class:`FaceTracker` matches each processed frame's detections to the faces of the frames before
(greedy, best first, by box overlap (IoU) or, for fast motion, by centre distance relative to the
box size). A face that the detector misses (an occluder, motion blur) keeps its last box and its
last alignment warp for up to ``max_lost`` processed frames, as long as the face region still
looks like the face last detected there (:func:`appearance_similarity`: a blank frame, a cut to
another scene or an occluder over most of the face ends it at once). A held face does not move:
one that moves more than about 10 % of its size while undetected no longer matches and is
dropped. Scores can be smoothed over time per face (an exponential moving average, ``smooth``).

On frames the detector does not run on (a video that detects on every k-th frame only),
:meth:`FaceTracker.follow` moves each face located on the frame before by optical flow
(:mod:`orsanet.faces.following`); a face the flow cannot follow counts as missed. Every face of a
frame says how it was located there: ``'detected'``, ``'followed'`` or ``'held'``.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import cv2
import numpy as np

from .alignment import AlignedFace
from .base import FaceDetection, to_grey
from .following import FlowFollower, move_face

DEFAULT_MAX_LOST = 10  # processed frames (0.4 s at 25 fps with every=1)
THUMB, GRID, SHIFT, CELL_MATCH = 32, 4, 4, 0.5  # see appearance_similarity


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def centre_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """Distance of the box centres in units of the mean box side of the two boxes."""
    side = ((a[2] - a[0]) + (a[3] - a[1]) + (b[2] - b[0]) + (b[3] - b[1])) / 4
    d = np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2)
    return float(d / max(side, 1e-6))


def appearance_signature(crop: np.ndarray) -> Optional[np.ndarray]:
    """A blurred grey (THUMB + 2 SHIFT)^2 float thumbnail of an aligned face crop (H, W, 3) BGR;
    None for a flat crop (a blank frame: nothing to compare)."""
    grey = to_grey(crop)
    side = THUMB + 2 * SHIFT
    thumb = cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32)
    thumb = cv2.GaussianBlur(thumb, (3, 3), 0)
    return thumb if float(thumb.std()) > 2.0 else None


def _cells(thumb: np.ndarray) -> np.ndarray:
    """(GRID^2, c^2) zero-mean cells of a THUMB x THUMB window, and their norms."""
    c = THUMB // GRID
    cells = thumb.reshape(GRID, c, GRID, c).transpose(0, 2, 1, 3).reshape(GRID * GRID, c * c)
    cells = cells - cells.mean(1, keepdims=True)
    return cells, np.linalg.norm(cells, axis=1)


def appearance_similarity(reference: Optional[np.ndarray], current: Optional[np.ndarray]) -> float:
    """The share of the reference face's GRID x GRID cells that still match ``current``
    (normalised cross-correlation >= CELL_MATCH), best over shifts of up to SHIFT thumbnail px
    (about 10 % of the face: slow motion); 0 when either is flat.

    Cells rather than the whole face, so that an occluder costs only the cells it covers. On
    the astronaut's 85-px face (tests/test_apis/test_face_tracker.py) a black bar over the lower
    30-45 % of the face box keeps 0.50-0.69 (at 0-12 px of motion), a bar over 60 % 0.25-0.31,
    other LFW faces in its place 0.25-0.44, background 0.25-0.31, a blank frame 0.
    """
    if reference is None or current is None:
        return 0.0
    ref, ref_norm = _cells(reference[SHIFT:SHIFT + THUMB, SHIFT:SHIFT + THUMB])
    textured = ref_norm > 1e-3 * ref.shape[1]
    if not textured.any():
        return 0.0
    best = 0.0
    for dy in range(0, 2 * SHIFT + 1, 2):
        for dx in range(0, 2 * SHIFT + 1, 2):
            cur, cur_norm = _cells(current[dy:dy + THUMB, dx:dx + THUMB])
            ncc = (ref * cur).sum(1) / np.maximum(ref_norm * cur_norm, 1e-6)
            best = max(best, float(np.mean(ncc[textured] >= CELL_MATCH)))
    return best


@dataclass
class Track:
    """One followed face: its last detection and alignment, and how long it has been missed."""
    track_id: int
    detection: FaceDetection
    alignment: AlignedFace
    signature: Optional[np.ndarray]
    lost: int = 0
    scores: Optional[np.ndarray] = None


@dataclass
class TrackedFace:
    """A face of the current frame, ``located`` there: ``'detected'``, ``'followed'`` (moved by
    optical flow from the frame before, on a frame without detection) or ``'held'`` (at its box
    and alignment of ``lost`` processed frames ago; ``lost`` is 0 for the other two)."""
    track_id: int
    detection: FaceDetection
    alignment: AlignedFace
    lost: int = 0
    extra: Dict = field(default_factory=dict)
    located: str = 'detected'


class FaceTracker:
    """Follows faces over the processed frames of one video.

    Args:
        max_lost (int): A face the detector misses keeps its last box and alignment for up to
            this many processed frames (with ``every=k`` a frame is every k-th video frame);
            0: only detected faces are reported. Defaults to ``DEFAULT_MAX_LOST`` (10).
        iou_thr (float): A detection continues a face whose last box overlaps it this much.
            Defaults to 0.3.
        centre_thr (float): ... or whose centre is this close (in box sides). Defaults to 0.5.
        min_similarity (float): A missed face is held only while at least this share of its
            crop at the last alignment still matches the crop when it was last detected
            (:func:`appearance_similarity`): an occluder over up to about 45 % of the face
            keeps it, a blank frame, another face or background in its place does not.
            Defaults to 0.5.
        smooth (float): Weight of the past in the per-face exponential moving average of the
            class scores (0: off; 0.6: a new frame counts 40 %). Defaults to 0.
    """

    def __init__(self, max_lost: int = DEFAULT_MAX_LOST, iou_thr: float = 0.3,
                 centre_thr: float = 0.5, min_similarity: float = 0.5,
                 smooth: float = 0.0) -> None:
        if max_lost < 0:
            raise ValueError(f'max_lost must be >= 0 processed frames, got {max_lost}')
        if not 0 <= smooth < 1:
            raise ValueError(f'smooth (the weight of the past scores) must be in [0, 1), got '
                             f'{smooth}')
        self.max_lost, self.iou_thr, self.centre_thr = int(max_lost), iou_thr, centre_thr
        self.min_similarity, self.smooth = min_similarity, float(smooth)
        self.tracks: List[Track] = []
        self._next_id = 0

    def _match(self, faces: Sequence[FaceDetection]) -> Dict[int, int]:
        """{detection index: track index}, greedy by IoU, then centre distance."""
        pairs = []
        for t, track in enumerate(self.tracks):
            for d, face in enumerate(faces):
                iou = box_iou(track.detection.box, face.box)
                dist = centre_distance(track.detection.box, face.box)
                if iou >= self.iou_thr or dist <= self.centre_thr:
                    pairs.append((-iou, dist, d, t))
        matched: Dict[int, int] = {}
        for _, _, d, t in sorted(pairs):
            if d not in matched and t not in matched.values():
                matched[d] = t
        return matched

    def update(self, image: np.ndarray, faces: Sequence[FaceDetection],
               aligned: Sequence[AlignedFace],
               warp: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> List[TrackedFace]:
        """The faces of this frame: ``faces`` with their ``aligned`` crops (in that order, each
        with a track id), then the held faces, re-cropped from ``image`` by
        ``warp(image, matrix)`` at their last alignment."""
        matched = self._match(faces)
        out: List[TrackedFace] = []
        seen = set()
        for d, (face, al) in enumerate(zip(faces, aligned)):
            signature = appearance_signature(al.crop)
            if d in matched:
                track = self.tracks[matched[d]]
                track.detection, track.alignment, track.signature = face, al, signature
                track.lost = 0
            else:
                track = Track(self._next_id, face, al, signature)
                self._next_id += 1
                self.tracks.append(track)
            seen.add(track.track_id)
            out.append(TrackedFace(track.track_id, face, al))
        kept = []
        for track in self.tracks:
            if track.track_id in seen:
                kept.append(track)
                continue
            held = self._hold(track, image, warp)
            if held is not None:
                out.append(held)
                kept.append(track)
        self.tracks = kept
        return out

    def _hold(self, track: Track, image: np.ndarray,
              warp: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Optional[TrackedFace]:
        """A missed face at its last alignment, or None when it is dropped (missed more than
        ``max_lost`` frames, or no longer looking like the face last detected there)."""
        track.lost += 1
        if track.lost > self.max_lost:
            return None
        crop = warp(image, track.alignment.matrix)
        similarity = appearance_similarity(track.signature, appearance_signature(crop))
        if similarity < self.min_similarity:
            return None
        held = AlignedFace(crop=crop, points=track.alignment.points,
                           method=track.alignment.method, matrix=track.alignment.matrix,
                           landmarks=track.alignment.landmarks)
        return TrackedFace(track.track_id, track.detection, held, track.lost,
                           dict(similarity=similarity), located='held')

    def follow(self, image: np.ndarray, grey: np.ndarray, previous_grey: np.ndarray,
               follower: FlowFollower,
               warp: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> List[TrackedFace]:
        """The faces of a frame the detector did not run on. Each face located on the previous
        frame (``lost == 0``) is moved by ``follower``'s flow from ``previous_grey`` to ``grey``
        (both (H, W) uint8) and re-cropped from ``image`` (:func:`move_face`); it is
        ``'followed'`` when the flow holds and the new crop still looks like the face when last
        detected (``min_similarity``, as for held faces). The rest count as missed (held or
        dropped, as in :meth:`update`). No new face starts here."""
        out: List[TrackedFace] = []
        kept = []
        for track in self.tracks:
            face = self._follow_one(track, image, grey, previous_grey, follower, warp)
            if face is None:
                face = self._hold(track, image, warp)
            if face is not None:
                out.append(face)
                kept.append(track)
        self.tracks = kept
        return out

    def _follow_one(self, track: Track, image: np.ndarray, grey: np.ndarray,
                    previous_grey: np.ndarray, follower: FlowFollower,
                    warp: Callable[[np.ndarray, np.ndarray], np.ndarray]
                    ) -> Optional[TrackedFace]:
        if track.lost > 0:
            return None
        motion = follower(previous_grey, grey, track.detection.box)
        if motion is None:
            return None
        detection, aligned = move_face(track.detection, track.alignment, motion, image, warp)
        similarity = appearance_similarity(track.signature, appearance_signature(aligned.crop))
        if similarity < self.min_similarity:
            return None
        track.detection, track.alignment = detection, aligned  # signature: the detected one
        return TrackedFace(track.track_id, detection, aligned, 0,
                           dict(similarity=similarity, flow_points=motion.inliers),
                           located='followed')

    def smooth_scores(self, track_id: int, scores: np.ndarray) -> np.ndarray:
        """The face's scores averaged over time (``smooth``; the scores as they are when 0)."""
        track = next(t for t in self.tracks if t.track_id == track_id)
        if self.smooth > 0 and track.scores is not None:
            scores = (self.smooth * track.scores + (1 - self.smooth) * scores).astype(scores.dtype)
        track.scores = scores
        return scores
