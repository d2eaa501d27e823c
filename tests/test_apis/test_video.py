"""orsanet.apis.video: the background decoder, the classify-rate arithmetic, carried rows and
batching of faces across frames (the small checkpoint; a fixed-box detector, so only the video
logic is under test)."""
import cv2
import numpy as np
import pytest
from fer_checkpoint import CONFIG

from orsanet.apis import FERInferencer
from orsanet.apis.image_io import UnreadableInputError, open_video
from orsanet.apis.video import FrameReader, VideoFER, VideoFrame, computed_frames
from orsanet.faces.base import FaceDetection
from orsanet.faces.sample_photos import astronaut

BOXES = [np.array([20., 20., 120., 120.]), np.array([140., 30., 230., 120.])]


class FakeCapture:
    """``count`` frames (the header says ``header``); ``read`` raises from frame ``raise_at``
    on (a broken decoder) or returns False once at ``fail_once`` (one bad frame) or from
    ``stop_at`` on (a truncated file)."""

    def __init__(self, count=10, header=None, raise_at=None, fail_once=None, stop_at=None):
        self.count, self.header = count, count if header is None else header
        self.raise_at, self.fail_once, self.stop_at = raise_at, fail_once, stop_at
        self.index, self.released = 0, False

    def get(self, prop):
        return {cv2.CAP_PROP_FPS: 10.0, cv2.CAP_PROP_FRAME_COUNT: self.header}.get(prop, 0)

    def read(self):
        i = self.index
        self.index += 1
        if self.raise_at is not None and i >= self.raise_at:
            raise RuntimeError('broken packet')
        if i == self.fail_once or (self.stop_at is not None and i >= self.stop_at):
            return False, None
        if i >= self.count:
            return False, None
        return True, np.full((8, 8, 3), i, np.uint8)

    def release(self):
        self.released = True


def read_all(capture, **kwargs):
    reader = FrameReader(capture, queue_size=2, **kwargs)
    frames = list(reader)
    reader.close()
    return reader, frames


def test_reader_end_of_stream_bad_frame_and_errors():
    reader, frames = read_all(FakeCapture(count=6))
    assert [f.index for f in frames] == list(range(6))
    assert [f.time for f in frames] == pytest.approx([i / 10 for i in range(6)])
    assert frames[3].image[0, 0, 0] == 3
    assert not (reader.ended_early or reader.error or reader.bad_frames)
    assert reader.capture.released
    # one frame that fails mid-video: counted and skipped, later frames keep their index
    reader, frames = read_all(FakeCapture(count=6, fail_once=2))
    assert [f.index for f in frames] == [0, 1, 3, 4, 5] and reader.bad_frames == 1
    assert not reader.ended_early and not reader.error
    # a file that ends before the frame count of its header
    reader, frames = read_all(FakeCapture(count=10, stop_at=4))
    assert len(frames) == 4 and reader.ended_early and 'ENDED EARLY' in reader.summary()
    # a decoder that raises from frame 3 on: the frames before arrive, then the error
    reader, frames = read_all(FakeCapture(count=10, raise_at=3))
    assert len(frames) == 3 and 'broken packet' in reader.error
    # the consumer stops early: the thread stops, the capture is released
    reader = FrameReader(FakeCapture(count=100), queue_size=2)
    next(iter(reader))
    reader.close()
    assert reader.capture.released and not reader._thread.is_alive()


def test_video_that_cannot_be_opened(tmp_path):
    path = tmp_path / 'not_a_video.avi'
    path.write_text('hello')
    with pytest.raises(UnreadableInputError, match='not_a_video.avi'):
        open_video(str(path))
    with pytest.raises(FileNotFoundError, match='missing.mp4'):
        open_video(str(tmp_path / 'missing.mp4'))


def test_classify_rate_arithmetic():
    assert computed_frames(25, 25.0, 5) == [0, 5, 10, 15, 20]
    assert computed_frames(30, 30.0, 4) == [0, 8, 15, 23]  # 4 a second at a non-divisor rate
    assert computed_frames(4, 10.0, 0) == [0, 1, 2, 3]
    assert computed_frames(4, 10.0, 50) == [0, 1, 2, 3]  # faster than the video: every frame
    assert len(computed_frames(300, 29.97, 2)) == 20  # last frame at 9.98 s: slots 0-19 at 2 Hz


@pytest.fixture(scope='module')
def inferencer(checkpoint):
    def two_faces(image):
        return [FaceDetection(box.copy()) for box in BOXES]
    return FERInferencer(CONFIG, checkpoint=checkpoint, device='cpu', detector=two_faces,
                         aligner=dict(landmarker=None))


def frames(count=8, fps=10.0):
    """Two faces (parts of the astronaut) changing a little every frame."""
    base = cv2.resize(astronaut(), (256, 256))
    out = []
    for i in range(count):
        image = base.copy()
        cv2.circle(image, (70, 90), 4 + 3 * i, (0, 0, 255), -1)  # the first face changes
        out.append(VideoFrame(i, i / fps, image))
    return out


def run(inferencer, **kwargs):
    got = []
    VideoFER(inferencer, **kwargs).run(frames(), lambda f, r, d: got.append(r) or True)
    return got


def test_carried_rows_and_batching_across_frames(inferencer):
    single = run(inferencer, batch_size=1, max_pending=1)  # one crop per model call
    batched = run(inferencer, batch_size=16, max_pending=8)  # all 16 crops in one call
    assert [r['frame'] for r in batched] == list(range(8))
    for a, b in zip(single, batched):
        assert [f['face_id'] for f in a['faces']] == [f['face_id'] for f in b['faces']] == [0, 1]
        for fa, fb in zip(a['faces'], b['faces']):
            assert fa['expression'] == fb['expression'] == 'computed'
            np.testing.assert_allclose(fa['scores'], fb['scores'], atol=1e-5)
    assert not np.allclose(batched[0]['faces'][0]['scores'], batched[7]['faces'][0]['scores'])

    rated = run(inferencer, classify_hz=5, max_pending=3)  # 10 fps, 5 Hz: frames 0, 2, 4, 6
    table = inferencer.to_dataframe(rated)
    assert len(table) == 16
    for face_id in (0, 1):
        rows = table[table['face_id'] == face_id]
        assert list(rows['expression']) == ['computed', 'carried'] * 4
        assert list(rows['computed_frame']) == [0, 0, 2, 2, 4, 4, 6, 6]
    for r, b in zip(rated, batched):  # computed rows are the frame's own scores, carried the last
        for f in r['faces']:
            source = batched[f['computed_frame']]['faces'][f['face_id']]
            np.testing.assert_allclose(f['scores'], source['scores'], atol=1e-5)

    smoothed = run(inferencer, classify_hz=5, smooth=0.5)
    raw = [batched[i]['faces'][0]['scores'] for i in (0, 2)]
    np.testing.assert_allclose(smoothed[2]['faces'][0]['scores'], 0.5 * raw[0] + 0.5 * raw[1],
                               atol=1e-5)
    np.testing.assert_allclose(smoothed[3]['faces'][0]['scores'],
                               smoothed[2]['faces'][0]['scores'])


class CountingHaar:
    """OpenCV's Haar detector, counting its calls; it finds nothing on the first ``blind``
    calls (a face not yet in view)."""

    def __init__(self, blind=0):
        from orsanet.faces import HaarFaceDetector
        self.detector, self.calls, self.blind = HaarFaceDetector(), 0, blind

    def __call__(self, image):
        self.calls += 1
        return [] if self.calls <= self.blind else self.detector(image)


def moving_frames(count=12, fps=10.0):
    from orsanet.faces.sample_photos import moving_face_frames
    clip = moving_face_frames(count, face_px=85, size=(480, 400), step=2)
    return [VideoFrame(i, i / fps, image) for i, image in enumerate(clip)]


def run_detecting(checkpoint, blind=0, **kwargs):
    detector = CountingHaar(blind)
    inferencer = FERInferencer(CONFIG, checkpoint=checkpoint, device='cpu', detector=detector,
                               aligner=dict(landmarker=None))
    got = []
    video = VideoFER(inferencer, **kwargs)
    stats = video.run(moving_frames(), lambda f, r, d: got.append(r) or True)
    return got, stats, detector.calls


def test_detect_every_follows_faces_between_detections(checkpoint):
    """detect_every=4: the detector runs on frames 0, 4, 8 only; on the others the face is
    followed by optical flow, with the same id, a box within 3 px of the detected one (Haar's
    boxes jitter by 2) and nearly the same scores as the path that detects on every frame (the
    clip moves 2 px a frame); a frame with no located face is always detected (the face is
    found at once)."""
    every, stats_every, calls_every = run_detecting(checkpoint)
    sparse, stats, calls = run_detecting(checkpoint, detect_every=4)
    assert calls_every == stats_every.detections == 12
    assert calls == stats.detections == 3 and stats.seconds['follow'] > 0
    assert [r['faces'][0]['located'] for r in sparse] == ['detected', 'followed', 'followed',
                                                         'followed'] * 3
    for a, b in zip(every, sparse):
        [fa], [fb] = a['faces'], b['faces']
        assert fa['face_id'] == fb['face_id'] == 0 and fb['lost_frames'] == 0
        np.testing.assert_allclose(fa['box'], fb['box'], atol=3.0)  # Haar's own jitter
        np.testing.assert_allclose(fa['scores'], fb['scores'], atol=0.05)
    # no face on the first 2 detector calls: frames 0-2 are all detected, then every 4th
    late, stats, calls = run_detecting(checkpoint, blind=2, detect_every=4)
    assert calls == stats.detections == 5  # frames 0, 1, 2 (found), 6, 10
    located = [r['faces'][0]['located'] if r['faces'] else None for r in late]
    assert located == [None, None] + ['detected'] + ['followed'] * 3 + ['detected'] + \
        ['followed'] * 3 + ['detected', 'followed']
    with pytest.raises(ValueError, match='detect_every'):
        VideoFER(None, detect_every=0)
