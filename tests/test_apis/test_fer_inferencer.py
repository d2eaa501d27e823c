"""FERInferencer on real photographs shipped in scikit-image, edge cases, and a synthetic video.

The module's inferencer uses the no-extra pipeline (OpenCV's Haar face and eye cascades), the
fallback when the dlib extra is missing; test_dlib_backends.py tests the dlib default.
"""
import os.path as osp

import cv2
import numpy as np
import pandas as pd
import pytest
from astronaut_face import check_astronaut_box
from fer_checkpoint import CONFIG
from PIL import Image

from orsanet.apis import FERInferencer, list_fer_models, summarise
from orsanet.faces.sample_photos import (
    astronaut,
    lfw_face,
    lfw_group,
    lfw_non_face,
    moving_face_frames,
    read_video,
    write_video,
)

HAAR_PIPELINE = dict(detector='haar', aligner=dict(landmarker=None))


@pytest.fixture(scope='module')
def inferencer(checkpoint):
    return FERInferencer(CONFIG, checkpoint=checkpoint, device='cpu', **HAAR_PIPELINE)


def check_face(face: dict, classes) -> None:
    """A classified face is well formed."""
    assert set(face) >= {'face_id', 'box', 'det_score', 'points', 'alignment', 'scores',
                         'class_scores', 'label', 'label_index', 'score'}
    scores = face['scores']
    assert scores.shape == (len(classes), ) and np.all(scores >= 0)
    assert scores.sum() == pytest.approx(1.0, abs=1e-5)
    assert face['label'] == classes[int(scores.argmax())] == classes[face['label_index']]
    assert face['score'] == pytest.approx(float(scores.max()))
    x1, y1, x2, y2 = face['box']
    assert x2 > x1 and y2 > y1
    points = np.array(face['points'])
    assert points.shape in ((5, 2), (2, 2)) and np.isfinite(points).all()
    # alignment points sit inside the (slightly enlarged) face box, eyes in the upper half
    margin = 0.1 * (x2 - x1)
    assert np.all(points[:, 0] > x1 - margin) and np.all(points[:, 0] < x2 + margin)
    assert np.all(points[:2, 1] < (y1 + y2) / 2) and points[0, 0] < points[1, 0]


def test_astronaut_one_face(inferencer):
    [result] = inferencer(astronaut())
    assert len(result['faces']) == 1 and result['skipped'] == []
    face = result['faces'][0]
    check_face(face, inferencer.classes)
    check_astronaut_box(face['box'])
    assert face['alignment'] == 'eyes'  # the Haar eye cascade finds both eyes here
    assert result['image_size'] == (512, 512) and result['frame'] is None


def test_aligned_crop_puts_eyes_on_the_template(inferencer):
    [result] = inferencer(astronaut(), return_crops=True)
    face = result['faces'][0]
    matrix = np.array(face['align_matrix'])
    eyes = np.array(face['points'])
    mapped = eyes @ matrix[:, :2].T + matrix[:, 2]
    np.testing.assert_allclose(mapped, inferencer.aligner.template[:2], atol=1e-6)
    assert face['crop'].shape == (100, 100, 3) and face['crop'].dtype == np.uint8


def test_lfw_group_several_faces(inferencer):
    group = lfw_group([0, 1, 2])  # grey, 3 tiles of 160 px
    [result] = inferencer(group)
    assert len(result['faces']) == 3
    assert '3 faces found' in result['warnings']
    assert 'grey image converted to BGR' in result['image_info']['notes']
    tiles = sorted(int((f['box'][0] + f['box'][2]) / 2 // 160) for f in result['faces'])
    assert tiles == [0, 1, 2]  # one face per tile
    for face in result['faces']:
        check_face(face, inferencer.classes)
        assert 70 < face['box'][2] - face['box'][0] < 160


def test_occluded_face_is_still_found_and_scored_differently(inferencer):
    clean = astronaut()
    occluded = clean.copy()
    cv2.rectangle(occluded, (195, 135), (255, 165), (40, 40, 200), cv2.FILLED)  # over the mouth
    [res_clean, res_occ] = inferencer([clean, occluded])
    assert len(res_occ['faces']) == 1
    check_face(res_occ['faces'][0], inferencer.classes)
    check_astronaut_box(res_occ['faces'][0]['box'])
    assert not np.allclose(res_clean['faces'][0]['scores'], res_occ['faces'][0]['scores'],
                           atol=1e-4)


def test_no_face(inferencer):
    [result] = inferencer(cv2.cvtColor(lfw_non_face(3), cv2.COLOR_GRAY2BGR))
    assert result['faces'] == [] and result['skipped'] == []
    assert 'no face found' in result['warnings']
    table = inferencer.to_dataframe([result])
    assert len(table) == 1 and table['face_id'].iloc[0] == -1


def test_tiny_face_is_reported_not_classified(checkpoint):
    small = cv2.resize(astronaut(), None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    inferencer = FERInferencer(CONFIG, checkpoint=checkpoint, device='cpu', min_face_size=40,
                               **HAAR_PIPELINE)
    [result] = inferencer(small)
    assert result['faces'] == [] and len(result['skipped']) == 1
    assert result['skipped'][0]['reason'].startswith('too small')
    assert 'no face classified (1 skipped)' in result['warnings']


def test_files_grey_rgba_exif(inferencer, tmp_path):
    rgb = astronaut()[..., ::-1]
    Image.fromarray(rgb).convert('L').save(tmp_path / 'grey.png')
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    rgba[:40, :40, 3] = 0  # a transparent corner
    Image.fromarray(rgba, 'RGBA').save(tmp_path / 'rgba.png')
    # a phone photo: pixels stored rotated, EXIF orientation 6 says "rotate 90 degrees clockwise"
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(rgb, 1)))
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / 'exif.jpg', exif=exif, quality=95)
    stored.save(tmp_path / 'rotated_no_exif.jpg', quality=95)
    results = {osp.basename(r['source']): r for r in inferencer(str(tmp_path))}  # a folder
    assert sorted(results) == ['exif.jpg', 'grey.png', 'rgba.png', 'rotated_no_exif.jpg']
    for name in ('grey.png', 'rgba.png', 'exif.jpg'):
        assert len(results[name]['faces']) == 1, name
        check_astronaut_box(results[name]['faces'][0]['box'])
    assert 'L image converted to RGB' in results['grey.png']['warnings']
    assert 'RGBA image: alpha composited on white' in results['rgba.png']['warnings']
    assert results['exif.jpg']['image_info']['exif_orientation'] == 6
    assert 'EXIF orientation 6 applied' in results['exif.jpg']['warnings']
    # without the EXIF tag the face lies on its side, where a frontal detector finds nothing
    assert results['rotated_no_exif.jpg']['faces'] == []


def test_out_dir_draws_and_writes_table(inferencer, tmp_path):
    path = tmp_path / 'astronaut.png'
    cv2.imwrite(str(path), astronaut())
    out = tmp_path / 'out'
    results = inferencer([str(path)], out_dir=str(out))
    drawn = cv2.imread(str(out / 'vis' / 'astronaut.png'))
    assert drawn.shape == (512, 512, 3)
    x1, y1, x2, y2 = (int(round(v)) for v in results[0]['faces'][0]['box'])
    edge = drawn[(y1 + y2) // 2, x1]  # the box edge is drawn in green
    assert edge[1] > 150 and edge[0] < 120 and edge[2] < 120
    table = pd.read_csv(out / 'results.csv')
    assert len(table) == 1 and table['label'].iloc[0] in inferencer.classes
    scores = [c for c in table if c.startswith('score_')]
    assert scores == [f'score_{c}' for c in inferencer.classes]


def test_synthetic_video(inferencer, tmp_path):
    """12 frames at 10 fps: the astronaut moving right 4 px a frame, frames 5 and 6 blank."""
    path = str(tmp_path / 'clip.mp4')
    base = cv2.resize(astronaut(), (320, 320))
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10.0, (400, 320))
    for i in range(12):
        frame = np.full((320, 400, 3), 90, np.uint8)
        if i not in (5, 6):
            frame[:, 4 * i:4 * i + 320] = base
        writer.write(frame)
    writer.release()
    out = tmp_path / 'out'
    results = inferencer(path, out_dir=str(out))
    assert [r['frame'] for r in results] == list(range(12))
    assert [r['time'] for r in results] == pytest.approx([i / 10 for i in range(12)], abs=1e-6)
    found = [len(r['faces']) for r in results]
    assert found[5] == found[6] == 0
    assert all(found[i] == 1 for i in range(12) if i not in (5, 6))
    lefts = [r['faces'][0]['box'][0] for r in results if r['faces']]
    assert lefts[-1] - lefts[0] == pytest.approx(4 * 11 * 1.0, abs=8)  # the box follows the face
    table = inferencer.to_dataframe(results)
    assert len(table) == 12 and list(table['frame']) == list(range(12))
    assert table.loc[table['frame'] == 5, 'face_id'].item() == -1
    score_cols = [f'score_{c}' for c in inferencer.classes]
    assert np.allclose(table.dropna(subset=score_cols)[score_cols].sum(axis=1), 1, atol=1e-5)
    capture = cv2.VideoCapture(str(out / 'clip_fer.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 12
    capture.release()
    assert osp.isfile(out / 'results.csv')


def test_video_every_and_max_frames(inferencer, tmp_path):
    path = str(tmp_path / 'still.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 5.0, (256, 256))
    for _ in range(9):
        writer.write(cv2.resize(astronaut(), (256, 256)))
    writer.release()
    results = inferencer.predict_video(path, every=3, max_frames=2, progress=False)
    assert [r['frame'] for r in results] == [0, 3]


def test_bad_inputs(inferencer, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        inferencer(str(tmp_path / 'missing.jpg'))
    corrupt = tmp_path / 'corrupt.jpg'
    corrupt.write_bytes(b'not a jpeg at all')
    with pytest.raises(ValueError, match='corrupt.jpg'):
        inferencer(str(corrupt), fail_on_unreadable=True)
    with pytest.raises(ValueError, match='expected an'):
        inferencer(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match='uint8 or float'):
        inferencer(np.full((8, 8), 300.0))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no image or video'):
        inferencer(str(tmp_path / 'empty'))


def test_model_index(checkpoint):
    assert 'orsanet_r50_rafdb' in list_fer_models()
    with pytest.raises(FileNotFoundError, match='orsanet_r50_rafdb.pth'):
        FERInferencer('orsanet_r50_rafdb')
    with pytest.raises(KeyError, match='orsanet_r50_rafdb'):
        FERInferencer('no_such_model')


def test_lfw_faces_found_where_faces_are(inferencer):
    """Haar finds exactly one face in 98 of the 100 LFW faces (grey, upscaled; it misses faces 4
    and 30) and nothing in the 100 LFW non-faces."""
    faces = [len(inferencer.detector(cv2.cvtColor(lfw_face(i), cv2.COLOR_GRAY2BGR)))
             for i in range(100)]
    non_faces = [len(inferencer.detector(cv2.cvtColor(lfw_non_face(i), cv2.COLOR_GRAY2BGR)))
                 for i in range(100)]
    assert sum(n == 1 for n in faces) >= 95 and max(faces) == 1
    assert sum(non_faces) == 0


def test_nan_pixels_are_refused(inferencer):
    """Issue 14 item 8: NaN pixels of a float array became 0 (black) with only a numpy warning."""
    image = astronaut().astype(np.float32) / 255
    image[100:120, 200:240] = np.nan
    with pytest.raises(ValueError, match='800 of .* NaN or infinite'):
        inferencer(image)
    image[100:120, 200:240] = np.inf
    with pytest.raises(ValueError, match='NaN or infinite'):
        inferencer(image)


def test_huge_photo_one_face(inferencer):
    """Issue 14 item 9: an 8000 x 8000 photo gave Haar 10 "faces" at full resolution (one real).
    Detection runs on a copy of at most 640 px and the box is mapped back."""
    big = cv2.resize(astronaut(), (8000, 8000), interpolation=cv2.INTER_CUBIC)
    faces = inferencer.detector(big)
    assert len(faces) == 1
    scale = 8000 / 512
    x1, y1, x2, y2 = np.array(faces[0].box) / scale
    check_astronaut_box([x1, y1, x2, y2])
    assert faces[0].extra['detected_at_scale'] == pytest.approx(640 / 8000)


def test_corrupt_photo_in_folder_is_skipped_and_the_table_written(inferencer, tmp_path):
    """Issue 14: one corrupt photo aborted the whole run and wrote no CSV. Now it is skipped
    with a warning and a row (``skipped`` says why); fail_on_unreadable makes it fatal."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a_astronaut.png'), astronaut())
    (folder / 'b_truncated.jpg').write_bytes(cv2.imencode('.jpg', astronaut())[1][:300].tobytes())
    cv2.imwrite(str(folder / 'c_group.png'), lfw_group([0, 1]))
    out = tmp_path / 'out'
    with pytest.warns(UserWarning, match='skipped .*b_truncated.jpg'):
        results = inferencer(str(folder), out_dir=str(out))
    assert [osp.basename(r['source']) for r in results] == ['a_astronaut.png', 'b_truncated.jpg',
                                                            'c_group.png']
    bad = results[1]
    assert bad['faces'] == [] and len(bad['skipped']) == 1
    assert bad['skipped'][0]['reason'].startswith('unreadable input: cannot read image')
    assert 'b_truncated.jpg' in bad['skipped'][0]['reason']
    assert [len(r['faces']) for r in (results[0], results[2])] == [1, 2]
    table = pd.read_csv(out / 'results.csv')
    assert len(table) == 4  # 1 + the unreadable one's empty row + 2
    row = table[table['source'].str.endswith('b_truncated.jpg')]
    assert row['face_id'].item() == -1 and 'unreadable input' in row['note'].item()
    assert summarise(results)['unreadable'] == 1
    with pytest.raises(ValueError, match='b_truncated.jpg'):
        inferencer(str(folder), fail_on_unreadable=True)


@pytest.mark.slow
def test_video_face_held_under_occluder_with_a_stable_face_id(inferencer, tmp_path):
    """Issue 16: Haar loses the 60-px face (moving 1 px a frame) under a nose/mouth bar (frames
    4-8); the tracker holds it at its last box and alignment for max_lost frames, with the same
    face_id in the CSV."""
    frames = moving_face_frames(12, step=1)
    for i in range(4, 9):
        [face] = inferencer.detector(frames[i])
        x1, y1, x2, y2 = (int(round(v)) for v in face.box)
        cv2.rectangle(frames[i], (x1 - 5, y1 + int(0.55 * (y2 - y1))), (x2 + 5, y2 + 5),
                      (0, 0, 0), cv2.FILLED)
    path = write_video(str(tmp_path / 'barred.avi'), frames)
    assert all(inferencer.detector(f) == [] for f in read_video(path)[4:9])
    out = tmp_path / 'out'
    results = inferencer(path, out_dir=str(out))
    table = pd.read_csv(out / 'results.csv')
    assert list(table['frame']) == list(range(12)) and list(table['face_id']) == [0] * 12
    assert list(table['lost_frames']) == [0] * 4 + [1, 2, 3, 4, 5] + [0] * 3
    assert list(table['located']) == ['detected'] * 4 + ['held'] * 5 + ['detected'] * 3
    held = results[6]['faces'][0]
    assert held['box'] == results[3]['faces'][0]['box']
    assert held['align_matrix'] == results[3]['faces'][0]['align_matrix']
    assert '1 face(s) held from earlier frames (not detected here)' in results[6]['warnings']
    # with max_lost=2 the face is dropped after two frames without detection
    short = inferencer.predict_video(path, max_lost=2, progress=False)
    assert [len(r['faces']) for r in short] == [1] * 6 + [0] * 3 + [1] * 3
    assert [f['face_id'] for r in short for f in r['faces']] == [0] * 6 + [1] * 3


def test_video_score_smoothing(inferencer, tmp_path):
    path = write_video(str(tmp_path / 'clip.avi'), moving_face_frames(4))
    raw = inferencer.predict_video(path, progress=False)
    smoothed = inferencer.predict_video(path, smooth=0.5, progress=False)
    for r, s in zip(raw, smoothed):
        np.testing.assert_allclose(s['faces'][0]['raw_scores'], r['faces'][0]['scores'],
                                   atol=1e-6)
    expected = raw[0]['faces'][0]['scores']
    for r, s in zip(raw, smoothed):
        if r['frame']:
            expected = 0.5 * expected + 0.5 * r['faces'][0]['scores']
        np.testing.assert_allclose(s['faces'][0]['scores'], expected, atol=1e-6)


def blank(value: int, size: int = 48) -> np.ndarray:
    return np.full((size, size, 3), value, np.uint8)


def test_same_file_names_get_their_own_drawn_files(inferencer, tmp_path):
    """Issue 24: a/x.jpg and b/x.jpg (and x.jpg beside x.png) drew into one vis/x.png, the
    other overwritten. Each drawn file is now its own, and the table names it (vis_file)."""
    for rel, value in (('a/x.png', 10), ('b/x.png', 60), ('b/y.jpg', 110), ('b/y.png', 160)):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / rel), blank(value))
    out = tmp_path / 'out'
    inputs = [str(tmp_path / 'a' / 'x.png'), str(tmp_path / 'b')]
    results = inferencer(inputs, out_dir=str(out))
    names = [r['vis_file'] for r in results]
    assert names == [osp.join('vis', 'a', 'x.png'), osp.join('vis', 'b', 'x.png'),
                     osp.join('vis', 'b', 'y_jpg.png'), osp.join('vis', 'b', 'y_png.png')]
    # every drawn file is the drawing of its own input (no face: the image itself)
    for result, value in zip(results, (10, 60, 110, 160)):
        drawn = cv2.imread(str(out / result['vis_file']))
        assert abs(int(np.median(drawn)) - value) <= 2, result['vis_file']
    table = pd.read_csv(out / 'results.csv')
    assert list(table['vis_file']) == names
    assert list(table['source']) == [r['source'] for r in results]


def test_unreadable_inputs_are_rows_and_the_run_goes_on(inferencer, tmp_path):
    """Issue 24: a decompression bomb raised PIL's DecompressionBombError and aborted a folder
    run; a text file counted as both no_face and unreadable. Each unreadable input is one row
    with its reason; the images after it are processed; each input is counted once."""
    cv2.imwrite(str(tmp_path / 'a_big.png'), blank(50, 120))  # 14400 px > max_pixels
    (tmp_path / 'b_notes.txt').write_text('not an image')
    cv2.imwrite(str(tmp_path / 'c_small.png'), blank(90))
    inputs = [str(tmp_path / n) for n in ('a_big.png', 'b_notes.txt', 'c_small.png')]
    out = tmp_path / 'out'
    with pytest.warns(UserWarning, match='skipped'):
        results = inferencer(inputs, out_dir=str(out), max_pixels=10_000)
    assert [r['image_size'] for r in results] == [None, None, (48, 48)]
    assert '120 x 120 = 14,400 pixels, over the limit of 10,000' in results[0]['warnings'][0]
    assert 'cannot read image' in results[1]['warnings'][0]
    assert summarise(results) == dict(images=3, faces=0, skipped=0, with_face=0, no_face=1,
                                      unreadable=2)
    table = pd.read_csv(out / 'results.csv', keep_default_na=False)
    assert len(table) == 3 and list(table['vis_file']) == ['', '', osp.join('vis', 'c_small.png')]
    assert 'over the limit' in table['note'][0] and 'unreadable input' in table['note'][1]


def test_rows_are_written_as_they_are_made(inferencer, tmp_path, monkeypatch):
    """A run that stops (here: the third image fails) keeps the rows of the inputs it did."""
    for name in ('a.png', 'b.png', 'c.png'):
        cv2.imwrite(str(tmp_path / name), blank(80))
    real = inferencer.predict_image

    def stop_at_c(image, info, name, **kwargs):
        if name.endswith('c.png'):
            raise KeyboardInterrupt
        return real(image, info, name, **kwargs)

    monkeypatch.setattr(inferencer, 'predict_image', stop_at_c)
    out = tmp_path / 'out'
    with pytest.raises(KeyboardInterrupt):
        inferencer(str(tmp_path), out_dir=str(out))
    table = pd.read_csv(out / 'results.csv')
    assert [osp.basename(s) for s in table['source']] == ['a.png', 'b.png']
