"""FaceTracker: faces followed across real video frames, held through detector misses, dropped."""
import cv2
import numpy as np
import pytest

from orsanet.faces import FaceAligner, FaceTracker, HaarFaceDetector
from orsanet.faces.sample_photos import astronaut, lfw_face, moving_face_frames
from orsanet.faces.tracking import appearance_signature, appearance_similarity, box_iou


def nose_mouth_bar(frame: np.ndarray, box, share: float = 0.45) -> np.ndarray:
    """A black bar over the lower ``share`` of a Haar face box (45 %: nose and mouth, as in
    issue 16)."""
    out = frame.copy()
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    cv2.rectangle(out, (x1, y1 + int((1 - share) * (y2 - y1))), (x2, y2), (0, 0, 0), cv2.FILLED)
    return out


@pytest.fixture(scope='module')
def clip():
    """12 frames, the astronaut's face (about 85 px) moving right 2 px a frame."""
    return moving_face_frames(12, face_px=85, size=(480, 400), step=2)


def step(tracker, aligner, detector, frame, detect=True):
    faces = detector(frame) if detect else []
    aligned = [aligner(frame, f.box, f.points) for f in faces]
    return tracker.update(frame, faces, aligned, aligner.warp)


def test_box_iou():
    assert box_iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1
    assert box_iou([0, 0, 10, 10], [5, 0, 15, 10]) == pytest.approx(50 / 150)
    assert box_iou([0, 0, 10, 10], [20, 20, 30, 30]) == 0


def test_held_through_misses_then_dropped_after_max_lost(clip):
    """Frames 0-2 detected; from frame 3 on a nose/mouth bar covers the face and the detector
    reports nothing: the face keeps its id, last box and alignment for max_lost=4 frames, then
    it is dropped. (FERInferencer's test does this with Haar really missing the face.)"""
    detector, aligner = HaarFaceDetector(), FaceAligner(landmarker=None)
    tracker = FaceTracker(max_lost=4)
    ids, boxes = [], []
    for i in range(3):
        [face] = step(tracker, aligner, detector, clip[i])
        assert face.lost == 0
        ids.append(face.track_id)
        boxes.append(face.detection.box)
    assert ids == [0, 0, 0] and boxes[2][0] > boxes[0][0]  # one face, moving right
    last_matrix = tracker.tracks[0].alignment.matrix
    held = []
    for i in range(3, 9):
        frame = nose_mouth_bar(clip[i], boxes[-1])
        held.append(step(tracker, aligner, detector, frame, detect=False))
    for lost, faces in enumerate(held[:4], start=1):
        [face] = faces
        assert (face.track_id, face.lost) == (0, lost)
        np.testing.assert_array_equal(face.detection.box, boxes[-1])  # the last box
        np.testing.assert_array_equal(face.alignment.matrix, last_matrix)  # the last alignment
        assert face.alignment.crop.shape == (100, 100, 3)
        assert face.extra['similarity'] >= tracker.min_similarity
    assert held[4] == [] and held[5] == [] and tracker.tracks == []


def test_redetected_face_keeps_its_id_new_face_gets_a_new_one(clip):
    detector, aligner = HaarFaceDetector(), FaceAligner(landmarker=None)
    tracker = FaceTracker(max_lost=3)
    assert [f.track_id for f in step(tracker, aligner, detector, clip[0])] == [0]
    step(tracker, aligner, detector, clip[1], detect=False)
    [face] = step(tracker, aligner, detector, clip[2])  # found again: same id, lost reset
    assert (face.track_id, face.lost) == (0, 0)
    # another face far away in the next frame: a new id next to the followed one
    frame = clip[3].copy()
    frame[240:400, 320:480] = cv2.cvtColor(lfw_face(0), cv2.COLOR_GRAY2BGR)
    faces = step(tracker, aligner, detector, frame)
    assert sorted(f.track_id for f in faces) == [0, 1]


def test_mostly_covered_face_is_not_held(clip):
    """With 65 % of the face box covered, most of the face's cells no longer match (0.31 of
    them, below min_similarity 0.5): the face is not held, however long max_lost."""
    detector, aligner = HaarFaceDetector(), FaceAligner(landmarker=None)
    tracker = FaceTracker(max_lost=10)
    [face] = step(tracker, aligner, detector, clip[0])
    frame = nose_mouth_bar(clip[1], face.detection.box, share=0.65)
    assert step(tracker, aligner, detector, frame, detect=False) == []
    assert tracker.tracks == []


def test_blank_frame_ends_the_hold(clip):
    """A face missed because it is gone (a blank frame) is not held, whatever max_lost."""
    detector, aligner = HaarFaceDetector(), FaceAligner(landmarker=None)
    tracker = FaceTracker(max_lost=10)
    step(tracker, aligner, detector, clip[0])
    assert step(tracker, aligner, detector, np.full_like(clip[1], 90), detect=False) == []
    assert tracker.tracks == []


def test_appearance_similarity_of_occluded_and_other_crops(clip):
    """Held only while the face is still there: a bar over the lower 45 % of the face (moving
    up to 12 px) keeps the share of matching cells above min_similarity (0.5); other faces,
    background and a blank frame fall below."""
    aligner, threshold = FaceAligner(landmarker=None), FaceTracker().min_similarity
    [face] = HaarFaceDetector()(clip[2])
    matrix = aligner(clip[2], face.box).matrix
    ref = appearance_signature(aligner.warp(clip[2], matrix))
    assert appearance_similarity(ref, ref) == 1.0
    for i in (2, 5, 8):
        barred = aligner.warp(nose_mouth_bar(clip[i], face.box), matrix)
        assert appearance_similarity(ref, appearance_signature(barred)) >= threshold, i
    shape = (clip[0].shape[1], clip[0].shape[0])
    for i in range(5):  # another face in its place
        other = cv2.resize(cv2.cvtColor(lfw_face(i), cv2.COLOR_GRAY2BGR), shape)
        assert appearance_similarity(ref, appearance_signature(aligner.warp(other, matrix))) \
            < threshold, i
    background = cv2.resize(astronaut()[300:, 300:], shape)
    assert appearance_similarity(ref, appearance_signature(aligner.warp(background, matrix))) \
        < threshold
    assert appearance_signature(np.full_like(clip[0], 90)) is None  # flat: nothing to compare
    assert appearance_similarity(ref, None) == 0.0


def test_score_smoothing_is_an_exponential_moving_average(clip):
    detector, aligner = HaarFaceDetector(), FaceAligner(landmarker=None)
    tracker = FaceTracker(smooth=0.75)
    step(tracker, aligner, detector, clip[0])
    first = tracker.smooth_scores(0, np.array([1.0, 0.0]))
    np.testing.assert_allclose(first, [1.0, 0.0])  # nothing to average with yet
    step(tracker, aligner, detector, clip[1])
    np.testing.assert_allclose(tracker.smooth_scores(0, np.array([0.0, 1.0])), [0.75, 0.25])
    with pytest.raises(ValueError, match='smooth'):
        FaceTracker(smooth=1.0)
    with pytest.raises(ValueError, match='max_lost'):
        FaceTracker(max_lost=-1)


def test_speed_clips_hold_the_faces_the_speed_tool_expects(tmp_path):
    """``speed_clips`` (docs/speed.md's pipeline inputs): a photo and two 640x480 25-fps clips of
    60 frames, with one and with three faces that OpenCV's Haar detector finds."""
    from orsanet.faces.detection import build_face_detector
    from orsanet.faces.sample_photos import read_video, speed_clips
    photo, one, three = speed_clips(str(tmp_path))
    detector = build_face_detector('haar')
    assert len(detector(cv2.imread(photo))) == 1
    for path, faces in ((one, 1), (three, 3)):
        frames = read_video(path)
        assert len(frames) == 60 and frames[0].shape == (480, 640, 3)
        assert cv2.VideoCapture(path).get(cv2.CAP_PROP_FPS) == 25
        boxes = detector(frames[0])
        assert len(boxes) >= faces
    # one box over each of the three copies (x offsets 10, 220, 430 px)
    centres = [(f.box[0] + f.box[2]) / 2 for f in detector(read_video(three)[0])]
    assert sorted({int(c // 210) for c in centres}) == [0, 1, 2]


def similarity_matrix(angle_deg: float, scale: float, shift, centre) -> np.ndarray:
    matrix = cv2.getRotationMatrix2D(tuple(map(float, centre)), angle_deg, scale)
    matrix[:, 2] += shift
    return matrix


def test_flow_follower_finds_the_motion_or_refuses(clip):
    """Translation (the clip: 2 px a frame), a rotation + zoom + shift of a frame (a known
    similarity) and its refusals: a blank frame, a cut to another face, frames of two sizes."""
    from orsanet.faces.base import to_grey
    from orsanet.faces.following import FlowFollower
    follower = FlowFollower()
    [face] = HaarFaceDetector()(clip[0])
    motion = follower(to_grey(clip[0]), to_grey(clip[1]), face.box)
    np.testing.assert_allclose(motion.matrix, [[1, 0, 2], [0, 1, 0]], atol=0.02)
    assert motion.inliers >= follower.min_points
    centre = (face.box[:2] + face.box[2:]) / 2
    known = similarity_matrix(4.0, 1.05, (3.0, -2.0), centre)
    moved = cv2.warpAffine(clip[0], known, clip[0].shape[1::-1], flags=cv2.INTER_LINEAR)
    motion = follower(to_grey(clip[0]), to_grey(moved), face.box)
    corners = np.array([face.box[:2], face.box[2:]])
    np.testing.assert_allclose(corners @ motion.matrix[:, :2].T + motion.matrix[:, 2],
                               corners @ known[:, :2].T + known[:, 2], atol=0.5)
    assert follower(to_grey(clip[0]), np.full(clip[0].shape[:2], 90, np.uint8), face.box) is None
    other = clip[0].copy()
    x1, y1, x2, y2 = (int(v) for v in face.box)
    other[y1 - 20:y2 + 20, x1 - 20:x2 + 20] = cv2.resize(
        cv2.cvtColor(lfw_face(3), cv2.COLOR_GRAY2BGR), (x2 - x1 + 40, y2 - y1 + 40))
    assert follower(to_grey(clip[0]), to_grey(other), face.box) is None
    with pytest.raises(ValueError, match='differ in size'):
        follower(to_grey(clip[0]), to_grey(clip[0])[:100], face.box)
    with pytest.raises(ValueError, match='min_points'):
        FlowFollower(min_points=2)


def test_follow_moves_box_points_and_crop_with_the_face(clip):
    """Detected on frame 0, followed on frames 1-6 without the detector: the box ends where
    Haar finds the face on frame 6, the crop stays on the same facial points (it equals the
    frame-0 crop: the clip is a pure shift), then a blank frame ends the face."""
    from orsanet.faces.base import to_grey
    from orsanet.faces.following import FlowFollower
    detector, aligner = HaarFaceDetector(), FaceAligner(landmarker=None)
    tracker, follower = FaceTracker(max_lost=0), FlowFollower()
    [first] = step(tracker, aligner, detector, clip[0])
    for i in range(1, 7):
        [face] = tracker.follow(clip[i], to_grey(clip[i]), to_grey(clip[i - 1]), follower,
                                aligner.warp)
        assert (face.track_id, face.lost, face.located) == (0, 0, 'followed')
    np.testing.assert_allclose(face.detection.box, first.detection.box + [12, 0, 12, 0], atol=0.3)
    np.testing.assert_allclose(face.alignment.points, first.alignment.points + [12, 0], atol=0.3)
    diff = np.abs(face.alignment.crop.astype(float) - first.alignment.crop.astype(float))
    assert diff.mean() < 2.0  # grey levels, interpolation only
    assert face.alignment.method == first.alignment.method
    # the next detection continues the followed face (its box overlaps the followed one)
    [again] = step(tracker, aligner, detector, clip[7])
    assert (again.track_id, again.located) == (0, 'detected')
    blank = np.full_like(clip[8], 90)
    assert tracker.follow(blank, to_grey(blank), to_grey(clip[7]), follower, aligner.warp) == []
    assert tracker.tracks == []
