"""demo/image_demo.py and demo/video_demo.py end to end (subprocesses, the small checkpoint)."""
import sys

import cv2
import numpy as np
import pandas as pd
import pytest
from fer_checkpoint import CONFIG
from tool_runner import run_tool

from orsanet.faces.sample_photos import astronaut


@pytest.mark.slow
def test_image_demo(checkpoint, tmp_path, repo_root):
    photo = tmp_path / 'astronaut.png'
    cv2.imwrite(str(photo), astronaut())
    (tmp_path / 'blank.png').write_bytes(cv2.imencode('.png', np.zeros((64, 64, 3), np.uint8))[1])
    (tmp_path / 'corrupt.jpg').write_bytes(b'not a jpeg')
    out = tmp_path / 'out'
    output = run_tool([sys.executable, 'demo/image_demo.py', CONFIG, str(tmp_path),
                       '--checkpoint', checkpoint, '--out-dir', str(out)], cwd=repo_root)
    assert 'astronaut.png: face 0 [' in output and 'blank.png: no face found' in output
    assert 'corrupt.jpg: skipped a face: unreadable input: cannot read image' not in output
    assert 'corrupt.jpg: unreadable input: cannot read image' in output
    assert cv2.imread(str(out / 'vis' / 'astronaut.png')).shape == (512, 512, 3)
    table = pd.read_csv(out / 'results.csv')
    assert len(table) == 3 and sorted(table['face_id']) == [-1, -1, 0]
    # a corrupt photo stops the run only when asked to
    output = run_tool([sys.executable, 'demo/image_demo.py', CONFIG, str(tmp_path / 'corrupt.jpg'),
                       '--checkpoint', checkpoint, '--fail-on-unreadable'], cwd=repo_root,
                      expect_ok=False)
    assert 'cannot read image' in output and 'corrupt.jpg' in output


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
