"""tools/analysis_tools/face_pipeline_benchmark.py on a few real faces (the dlib extra)."""
import json
import sys

import pytest
from tool_runner import run_tool


@pytest.mark.slow
def test_face_pipeline_benchmark_tool(dlib_extra, tmp_path, repo_root):
    tool = 'tools/analysis_tools/face_pipeline_benchmark.py'
    out = tmp_path / 'bench'
    output = run_tool([sys.executable, tool, '--out-dir', str(out), '--detectors', 'haar',
                       'dlib_hog:min_face=60', '--aligners', 'haar', 'dlib5', '--types', 'mask',
                       '--severities', '0.5', '--lfw', '3', '--non-faces', '4',
                       '--video-frames', '2'], cwd=repo_root)
    assert 'reference: 6 faces' in output  # 3 LFW faces, the astronaut, 2 frames
    report = json.loads((out / 'face_benchmark.json').read_text())
    rows = {(r['group'], r['detector'], r['occluder'], r['severity']): r for r in report['rows']}
    assert len(rows) == 3 * 2 * 2  # groups x detectors x (clean, mask 0.5)
    clean = rows[('astronaut', 'haar', 'none', 0.0)]
    assert clean['detected'] == 1 and clean['eye_err_dlib5'] < 0.1
    masked = rows[('lfw', 'dlib_hog:min_face=60', 'mask', 0.5)]
    assert masked['images'] == 3 and masked['coverage'] == pytest.approx(0.5, abs=0.03)
    assert rows[('video', 'haar', 'none', 0.0)]['tracked_rate'] == 1.0
    assert report['false_positives']['haar'] == dict(images=4, with_detection=0, boxes=0)
    table = (out / 'face_benchmark.md').read_text()
    assert '| haar | mask | 100 |' in table and '## Speed and false positives' in table
    assert (out / 'face_benchmark.png').stat().st_size > 10_000
    # merged with another run's rows (here: the same rows under another detector name), the
    # tables and the plot are redrawn without detecting anything
    other = dict(report, rows=[dict(r, detector=r['detector'] + '_2') for r in report['rows']],
                 false_positives={k + '_2': v for k, v in report['false_positives'].items()})
    (tmp_path / 'other.json').write_text(json.dumps(other))
    merged = tmp_path / 'merged'
    output = run_tool([sys.executable, tool, '--out-dir', str(merged), '--from-json',
                       str(out / 'face_benchmark.json'), str(tmp_path / 'other.json')],
                      cwd=repo_root)
    assert 'reference:' not in output
    table = (merged / 'face_benchmark.md').read_text()
    assert table.count('| haar | mask | 100 |') == table.count('| haar_2 | mask | 100 |') > 0
    assert json.loads((merged / 'face_benchmark.json').read_text())['settings']['detectors'] == [
        'haar', 'dlib_hog:min_face=60', 'haar_2', 'dlib_hog:min_face=60_2']
