"""demo/image_demo.py and demo/video_demo.py end to end (subprocesses, the small checkpoint)."""
import sys

import cv2
import numpy as np
import pandas as pd
import pytest
from fer_checkpoint import CONFIG
from tool_runner import run_python_tool, run_tool

from orsanet.faces.sample_photos import astronaut


@pytest.mark.slow
def test_image_demo(checkpoint, tmp_path, repo_root):
    """Also issue 24: two inputs named blank.png get their own drawn files (named in the
    vis_file column), an image over --max-pixels is one unreadable row and the run goes on, each
    input is counted once, and --fail-on-unreadable stops with one message, exit 1."""
    photo = tmp_path / 'astronaut.png'
    cv2.imwrite(str(photo), astronaut())
    (tmp_path / 'blank.png').write_bytes(cv2.imencode('.png', np.zeros((64, 64, 3), np.uint8))[1])
    (tmp_path / 'big.png').write_bytes(cv2.imencode('.png', np.zeros((600, 600, 3), np.uint8))[1])
    (tmp_path / 'corrupt.jpg').write_bytes(b'not a jpeg')
    (tmp_path / 'sub').mkdir()
    cv2.imwrite(str(tmp_path / 'sub' / 'blank.png'), np.full((64, 64, 3), 200, np.uint8))
    out = tmp_path / 'out'
    output = run_tool([sys.executable, 'demo/image_demo.py', CONFIG, str(tmp_path),
                       str(tmp_path / 'sub' / 'blank.png'), '--checkpoint', checkpoint,
                       '--out-dir', str(out), '--max-pixels', '300000'], cwd=repo_root)
    assert 'astronaut.png: face 0 [' in output and 'blank.png: no face found' in output
    assert 'corrupt.jpg: skipped a face: unreadable input: cannot read image' not in output
    assert 'corrupt.jpg: unreadable input: cannot read image' in output
    assert 'big.png is 600 x 600 = 360,000 pixels, over the limit of 300,000' in output
    assert ("'images': 5, 'faces': 1, 'skipped': 0, 'with_face': 1, 'no_face': 2, "
            "'unreadable': 2") in output
    assert cv2.imread(str(out / 'vis' / 'astronaut.png')).shape == (512, 512, 3)
    # each drawn file is its own input's drawing (a "no face" note on the image itself)
    assert np.median(cv2.imread(str(out / 'vis' / 'blank.png'))) == 0
    assert np.median(cv2.imread(str(out / 'vis' / 'sub' / 'blank.png'))) == 200
    table = pd.read_csv(out / 'results.csv', keep_default_na=False)
    assert len(table) == 5 and sorted(table['face_id']) == [-1, -1, -1, -1, 0]
    assert dict(zip(table['source'], table['vis_file'])) == {
        str(photo): 'vis/astronaut.png', str(tmp_path / 'big.png'): '',
        str(tmp_path / 'blank.png'): 'vis/blank.png', str(tmp_path / 'corrupt.jpg'): '',
        str(tmp_path / 'sub' / 'blank.png'): 'vis/sub/blank.png'}
    # a corrupt photo stops the run only when asked to: one message, exit 1, no traceback
    proc = run_python_tool([sys.executable, 'demo/image_demo.py', CONFIG,
                            str(tmp_path / 'corrupt.jpg'), '--checkpoint', checkpoint,
                            '--fail-on-unreadable'], cwd=repo_root)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines()[-2:] == [
        f'error: cannot read image {tmp_path / "corrupt.jpg"} (cannot identify image file '
        f"'{tmp_path / 'corrupt.jpg'}'); is it a corrupt or unsupported file?",
        '(UnreadableInputError; --debug shows the traceback)']


@pytest.mark.slow
def test_video_demo(checkpoint, tmp_path, repo_root):
    path = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 8.0, (256, 256))
    face = cv2.resize(astronaut(), (256, 256))
    for i in range(8):
        writer.write(face if i % 4 else np.zeros_like(face))  # frames 0 and 4 without a face
    writer.release()
    out = tmp_path / 'out'
    output = run_tool([sys.executable, 'demo/video_demo.py', CONFIG, str(path), '--checkpoint',
                       checkpoint, '--out-dir', str(out), '--every', '2'], cwd=repo_root)
    assert "'images': 4" in output and "'no_face': 2" in output
    table = pd.read_csv(out / 'results.csv')
    assert list(table['frame']) == [0, 2, 4, 6]
    assert list(table['face_id']) == [-1, 0, -1, 1]  # the face is gone in frame 4: a new id
    assert list(table['lost_frames'].fillna(0)) == [0, 0, 0, 0]
    assert list(table['time']) == pytest.approx([0, 0.25, 0.5, 0.75])
    capture = cv2.VideoCapture(str(out / 'clip_fer.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 8
