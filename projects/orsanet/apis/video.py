"""Video that keeps up: background decoding, faces followed on every frame, expressions at a rate.

- :class:`FrameReader` decodes a ``cv2.VideoCapture`` (file or camera: one code path) in a
  background thread into a bounded queue. A frame that fails to decode mid-video is counted
  (``bad_frames``) and skipped; the end of the stream, a stream that ends before the frame
  count its header gave (``ended_early``) and a decoder that keeps failing (``error``) end the
  iteration, and the consumer reads what happened from the reader.
- :func:`classify_slot` / :func:`computed_frames`: the classify-rate arithmetic. With
  ``classify_hz = h`` time is cut into slots of ``1 / h`` s; a face is classified on its first
  frame and on the first frame of every later slot (so exactly ``h`` times a second whatever the
  frame rate); in between its last scores are carried. ``h = 0``: every frame.
- :class:`VideoFER` runs detection, alignment and the :class:`FaceTracker` on every frame (or,
  with ``detect_every = k``, detection on every k-th frame and optical-flow following of the
  faces in between, :meth:`FaceTracker.follow`: the detector is the costliest stage of a frame
  after the model), and sends the crops of the faces that are due, of up to ``max_pending``
  frames, through the model in one batch. Each face of the result says
  ``expression='computed'`` or ``'carried'`` (``computed_frame``: the frame its scores come
  from) and ``located`` (``'detected'``, ``'followed'``, ``'held'``); ``smooth`` averages each
  face's computed scores over time (an exponential moving average per ``face_id``).
"""
import math
import queue
import threading
import time as _time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional

import cv2
import numpy as np

from ..faces.base import to_grey
from ..faces.following import FlowFollower
from ..faces.tracking import DEFAULT_MAX_LOST, FaceTracker, TrackedFace

_END = object()


@dataclass
class VideoFrame:
    """One decoded frame: its index in the video, its time (s) and the BGR uint8 image."""
    index: int
    time: float
    image: np.ndarray


class FrameReader:
    """Frames of an opened capture, decoded in a background thread.

    Args:
        capture: A ``cv2.VideoCapture`` (or any object with ``read() -> (ok, frame)``,
            ``get(prop)`` and ``release()``).
        queue_size (int): Decoded frames waiting at most (bounded memory). Defaults to 8.
        max_bad (int): Consecutive failed reads before the stream is taken as ended (a file
            whose header promised more frames: ``ended_early``) or, for reads that raise,
            broken (``error``). Defaults to 5.
        max_frames (int, optional): Decode at most this many frames.
    """

    def __init__(self, capture, queue_size: int = 8, max_bad: int = 5,
                 max_frames: Optional[int] = None) -> None:
        self.capture = capture
        self.fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.max_bad, self.max_frames = int(max_bad), max_frames
        self.decoded = 0          # frames handed to the consumer
        self.bad_frames = 0       # failed reads skipped mid-video
        self.ended_early = False  # fewer frames than the header said
        self.error: Optional[str] = None
        self.decode_s = 0.0       # time spent in capture.read (the background thread)
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, int(queue_size)))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name='FrameReader', daemon=True)
        self._start = _time.monotonic()
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _frame_time(self, index: int) -> float:
        return index / self.fps if self.fps > 0 else _time.monotonic() - self._start

    def _run(self) -> None:
        index = failed = 0
        try:
            while not self._stop.is_set():
                if self.max_frames is not None and self.decoded >= self.max_frames:
                    break
                tic = _time.perf_counter()
                try:
                    ok, image = self.capture.read()
                    raised = None
                except Exception as err:  # noqa: BLE001  (a decoder error: counted)
                    ok, image, raised = False, None, err
                self.decode_s += _time.perf_counter() - tic
                if ok and image is not None:
                    self.bad_frames += failed  # frames that failed between good ones
                    failed = 0
                    if not self._put(VideoFrame(index, self._frame_time(index), image)):
                        break
                    self.decoded += 1
                    index += 1
                    continue
                failed += 1
                first_failed = index - failed + 1
                if raised is not None:
                    if failed > self.max_bad:
                        self.error = (f'the decoder failed {failed} times in a row from frame '
                                      f'{first_failed}: {raised}')
                        break
                elif failed > self.max_bad or not (self.expected > 0 and
                                                   index < self.expected - 1):
                    # the end of the stream: early when the failures began before the end
                    self.ended_early = self.expected > 0 and first_failed < self.expected - 1
                    break
                index += 1  # a failed frame keeps its index: the times stay right
        finally:
            self._put(_END)

    def __iter__(self) -> Iterator[VideoFrame]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            yield item

    def close(self) -> None:
        """Stop decoding and release the capture (idempotent)."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.capture.release()

    def summary(self) -> str:
        """What happened to the stream, in words (for the CLI)."""
        text = f'{self.decoded} frames decoded'
        if self.expected:
            text += f' of {self.expected} in the header'
        if self.bad_frames:
            text += f', {self.bad_frames} unreadable frame(s) skipped'
        if self.ended_early:
            text += ', the video ENDED EARLY (truncated or corrupt file)'
        if self.error:
            text += f', DECODER ERROR: {self.error}'
        return text


def classify_slot(time: float, hz: float) -> int:
    """The classify slot of a frame at ``time`` s for ``hz`` classifications a second
    (``floor(time * hz)``, with a little slack for float times such as 0.2 = 5 * 0.04)."""
    return int(math.floor(time * hz + 1e-6))


def computed_frames(num_frames: int, fps: float, hz: float) -> List[int]:
    """The frames on which one face present from frame 0 is classified (the rest carry):
    every frame when ``hz <= 0`` or ``hz >= fps``."""
    if hz <= 0:
        return list(range(num_frames))
    out, last = [], None
    for index in range(num_frames):
        slot = classify_slot(index / fps, hz)
        if slot != last:
            out.append(index)
            last = slot
    return out


@dataclass
class _Pending:
    frame: VideoFrame
    tracked: List[TrackedFace]
    skipped: list
    due: List[bool]
    processed: bool = True
    crops_from: int = 0


@dataclass
class VideoStats:
    """Counts and seconds per stage of a :meth:`VideoFER.run`."""
    frames: int = 0
    computed_faces: int = 0
    carried_faces: int = 0
    model_calls: int = 0
    detections: int = 0  # frames the detector ran on
    seconds: Dict[str, float] = field(default_factory=lambda: defaultdict(float))
    wall_s: float = 0.0

    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s > 0 else float('nan')

    def ms_per_frame(self) -> Dict[str, float]:
        return {k: 1000 * v / max(self.frames, 1) for k, v in self.seconds.items()}


class VideoFER:
    """Facial expressions of a stream of frames, faces followed on every frame.

    Args:
        inferencer (FERInferencer): Gives the detector, the aligner and the classifier.
        classify_hz (float): Classify each followed face this many times a second of video
            (its scores carried in between); 0: every face on every frame. Defaults to 0.
        smooth (float): Weight of the past in each face's exponential moving average of its
            computed scores, in [0, 1) (0: off). Defaults to 0.
        max_lost (int): See :class:`FaceTracker`.
        batch_size (int): Crops per model call at most. Defaults to 16.
        max_pending (int): Frames held at most while their due crops gather into one model
            call (they are written in order once classified). Defaults to 8.
        every (int): Follow faces on every ``every``-th frame only (the others are written
            with the last result drawn and have no row). Defaults to 1.
        detect_every (int): Run the detector on every ``detect_every``-th processed frame and
            follow the faces by optical flow on the frames between (``located='followed'``;
            a face the flow loses is held or dropped as a missed one). A frame on which no face
            is located (none yet, or all held) is always detected, so a first face is found at
            once; a face that enters while others are followed is found at the next detection,
            at most ``detect_every - 1`` frames late. 1: detect on every frame. Defaults to 1.
        follower (FlowFollower, optional): The optical-flow follower (its defaults when None).
    """

    def __init__(self, inferencer, classify_hz: float = 0.0, smooth: float = 0.0,
                 max_lost: int = DEFAULT_MAX_LOST, batch_size: int = 16, max_pending: int = 8,
                 every: int = 1, detect_every: int = 1,
                 follower: Optional[FlowFollower] = None) -> None:
        if classify_hz < 0:
            raise ValueError(f'classify_hz must be >= 0 (0: every frame), got {classify_hz}')
        if not 0 <= smooth < 1:
            raise ValueError(f'smooth (the weight of the past scores) must be in [0, 1), got '
                             f'{smooth}')
        for name, value in dict(every=every, batch_size=batch_size, max_pending=max_pending,
                                detect_every=detect_every).items():
            if value < 1:
                raise ValueError(f'{name} must be >= 1, got {value}')
        self.inferencer, self.classify_hz, self.smooth = inferencer, float(classify_hz), smooth
        self.batch_size, self.max_pending, self.every = batch_size, max_pending, every
        self.tracker = FaceTracker(max_lost=max_lost)
        self.detect_every = int(detect_every)
        self.follower = follower or FlowFollower()
        self._grey: Optional[np.ndarray] = None  # the previous processed frame, grey
        self._followed = 0  # processed frames since the last detection
        self.stats = VideoStats()
        self._slot: Dict[int, int] = {}
        self._state: Dict[int, dict] = {}  # face_id -> scores, raw_scores, computed_frame
        self._last_result: Optional[dict] = None

    # --- per frame -------------------------------------------------------------------------
    def _due(self, face: TrackedFace, frame: VideoFrame) -> bool:
        if self.classify_hz <= 0:
            return True
        slot = classify_slot(frame.time, self.classify_hz)
        if self._slot.get(face.track_id) == slot:
            return False
        self._slot[face.track_id] = slot
        return True

    def _detect_now(self, grey: np.ndarray) -> bool:
        if self.detect_every <= 1 or self._grey is None or self._grey.shape != grey.shape:
            return True
        located = any(t.lost == 0 for t in self.tracker.tracks)
        return not located or self._followed >= self.detect_every - 1

    def _track(self, frame: VideoFrame) -> _Pending:
        inf, seconds = self.inferencer, self.stats.seconds
        grey = None
        if self.detect_every > 1:  # the grey frame flow follows faces on (timed as 'follow')
            tic = _time.perf_counter()
            grey = to_grey(frame.image)
            seconds['follow'] += _time.perf_counter() - tic
        skipped = []
        if grey is None or self._detect_now(grey):
            tic = _time.perf_counter()
            keep, skipped = inf._split_faces(list(inf.detector(frame.image)))
            seconds['detect'] += _time.perf_counter() - tic
            tic = _time.perf_counter()
            aligned = [inf.aligner(frame.image, f.box, f.points) for f in keep]
            tracked = self.tracker.update(frame.image, keep, aligned, inf.aligner.warp)
            seconds['align+track'] += _time.perf_counter() - tic
            self.stats.detections += 1
            self._followed = 0
        else:
            tic = _time.perf_counter()
            tracked = self.tracker.follow(frame.image, grey, self._grey, self.follower,
                                          inf.aligner.warp)
            seconds['follow'] += _time.perf_counter() - tic
            self._followed += 1
        self._grey = grey
        return _Pending(frame, tracked, skipped, [self._due(t, frame) for t in tracked])

    def _flush(self, pending: List[_Pending]) -> List[tuple]:
        """Classify the due crops of ``pending`` in one batch; (frame, result or None)."""
        crops = [t.alignment.crop for p in pending for t, d in zip(p.tracked, p.due) if d]
        tic = _time.perf_counter()
        scores = self.inferencer.classify_crops(crops, self.batch_size) if crops else []
        self.stats.seconds['classify'] += _time.perf_counter() - tic
        self.stats.model_calls += math.ceil(len(crops) / self.batch_size)
        out, k = [], 0
        for p in pending:
            if not p.processed:
                out.append((p.frame, None))
                continue
            faces = []
            for t, due in zip(p.tracked, p.due):
                if due:
                    self._update_state(t.track_id, scores[k], p.frame.index)
                    k += 1
                    self.stats.computed_faces += 1
                else:
                    self.stats.carried_faces += 1
                faces.append(self._face(t, due))
            result = self._result(p, faces)
            self._last_result = result
            out.append((p.frame, result))
        return out

    def _update_state(self, face_id: int, raw: np.ndarray, index: int) -> None:
        state = self._state.get(face_id)
        scores = raw
        if self.smooth > 0 and state is not None:
            scores = (self.smooth * state['scores'] + (1 - self.smooth) * raw).astype(raw.dtype)
        self._state[face_id] = dict(scores=scores, raw_scores=raw, computed_frame=index)

    def _face(self, tracked: TrackedFace, due: bool) -> dict:
        state = self._state[tracked.track_id]
        entry = self.inferencer._face_entry(tracked, state['scores'], None, False)
        entry.update(expression='computed' if due else 'carried',
                     computed_frame=state['computed_frame'])
        if self.smooth > 0:
            entry['raw_scores'] = state['raw_scores']
        return entry

    def _result(self, p: _Pending, faces: List[dict]) -> dict:
        notes = list(self.inferencer.model_warnings)
        if not faces:
            notes.append('no face found' if not p.skipped else
                         f'no face classified ({len(p.skipped)} skipped)')
        elif len(faces) > 1:
            notes.append(f'{len(faces)} faces found')
        held = sum(t.lost > 0 for t in p.tracked)
        if held:
            notes.append(f'{held} face(s) held from earlier frames (not detected here)')
        image = p.frame.image
        return dict(source=self.source, frame=p.frame.index, time=p.frame.time,
                    image_size=(int(image.shape[1]), int(image.shape[0])), faces=faces,
                    skipped=[dict(box=f.box.tolist(), det_score=float(f.score), reason=r)
                             for f, r in p.skipped],
                    warnings=notes, image_info=dict(source=self.source, notes=[]))

    # --- the stream ------------------------------------------------------------------------
    def run(self, frames, sink: Callable[[VideoFrame, Optional[dict], Optional[dict]], bool],
            source: str = '', max_frames: Optional[int] = None) -> VideoStats:
        """Process ``frames`` (an iterable of :class:`VideoFrame`, e.g. a :class:`FrameReader`)
        in order; ``sink(frame, result, drawn_result)`` gets every frame in order once its faces
        are classified (``result``: None for frames skipped by ``every``; ``drawn_result``: the
        latest result, to draw) and returns False to stop. ``max_frames``: processed frames."""
        self.source = source
        start, pending, crops, processed = _time.perf_counter(), [], 0, 0
        stopped = False

        def emit(batch) -> bool:
            for frame, result in self._flush(batch):
                tic = _time.perf_counter()
                go_on = sink(frame, result, self._last_result if result is None else result)
                self.stats.seconds['write'] += _time.perf_counter() - tic
                self.stats.frames += 1
                if go_on is False:
                    return False
            return True

        for frame in frames:
            if frame.index % self.every == 0:
                if max_frames is not None and processed >= max_frames:
                    break
                p = self._track(frame)
                processed += 1
                crops += sum(p.due)
            else:
                p = _Pending(frame, [], [], [], processed=False)
            pending.append(p)
            if crops >= self.batch_size or len(pending) >= self.max_pending:
                batch, pending, crops = pending, [], 0
                if not emit(batch):
                    stopped = True
                    break
        if pending and not stopped:
            emit(pending)
        self.stats.wall_s = _time.perf_counter() - start
        return self.stats


def progress_bar(total: Optional[int], desc: str = 'frames'):
    """A tqdm bar (frames/s) when tqdm is installed, else None."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total or None, desc=desc, unit='frame', dynamic_ncols=True)
