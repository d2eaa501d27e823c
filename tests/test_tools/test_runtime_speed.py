"""tools/analysis_tools/runtime_speed.py without a model build: the eager priors/core split
(forward hooks), the interleaved timing's rows and the table's columns."""
import time

import numpy as np
import pytest
import torch


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('analysis_tools/runtime_speed.py')


class Sleep(torch.nn.Module):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def forward(self, x):
        time.sleep(self.seconds)
        return x


class Toy(torch.nn.Module):
    """Priors sleep 20 ms each, the core 10 ms."""

    def __init__(self) -> None:
        super().__init__()
        self.semantic_prior, self.landmark_prior, self.core = Sleep(.02), Sleep(.02), Sleep(.01)

    def forward(self, x):
        return self.core(self.landmark_prior(self.semantic_prior(x)))


class Runtime:
    file_bytes, folder, threads, export_s, build_s = 0, None, 1, 0.0, 0.0


def test_priors_split_on_the_eager_rows_only(tool):
    model = Toy()
    timer = tool.PriorTimer(model)
    eager = dict(backend='pytorch', precision='fp32', runtime=model)
    compiled = dict(backend='onnxruntime', precision='fp32', runtime=model)
    tool.time_rows([eager, compiled], torch.zeros(2, 1), [1, 2], warmup=1, repeats=2,
                   priors=timer)
    timer.remove()
    assert not model.semantic_prior._forward_hooks and not model.landmark_prior._forward_hooks
    assert len(eager['prior_runs'][1]) == 2 and compiled['prior_runs'] == {1: [], 2: []}
    for b in (1, 2):  # a call costs 50 ms, 40 of them in the priors: per face / b
        for total, prior in zip(eager['runs'][b], eager['prior_runs'][b]):
            assert 40 / b <= prior < total and total - prior >= 10 / b
    for row in (eager, compiled):
        row.update(runtime=Runtime(), agree=dict(top1_agreement=1.0, max_prob_change=0.0))
    text = tool.table([eager, compiled], [1, 2], {1: float(np.median(eager['runs'][1]))})
    head, _, first, second = text.splitlines()
    assert 'priors + core ms/face @1' in head and 'faces/s @max batch' in head
    assert ' + ' in first.split('|')[5] and '- (one graph)' in second


def test_timed_calls_start_after_the_pause_and_do_not_count_it(tool):
    """Each timed call starts ``pause`` s after the previous call ended (so a runtime that
    spins after its run does not slow the next row); the pause is not in the timings."""
    calls = []

    def runtime(x):
        calls.append([time.perf_counter()])
        time.sleep(0.005)
        calls[-1].append(time.perf_counter())

    rows = [dict(backend='onnxruntime', precision='fp32', runtime=runtime),
            dict(backend='openvino', precision='fp32', runtime=runtime)]
    tool.time_rows(rows, np.zeros((2, 1)), [1, 2], warmup=0, repeats=2, pause=0.05)
    assert len(calls) == 2 * 2 * 2
    assert all(start - prev_end >= 0.05 for (_, prev_end), (start, _) in zip(calls, calls[1:]))
    for row in rows:
        assert all(run < 25 for b in (1, 2) for run in row['runs'][b])  # ms a face: no pause


def test_negative_pause_is_refused_with_the_option_named(tool, capsys):
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args(['CONFIG.py', '--pause', '-1'])
    assert exit_info.value.code == 2 and '--pause must be 0 or more seconds, got -1' in \
        capsys.readouterr().err


def test_faces_lost_lists_before_faces_the_new_path_misses(tool):
    """The video rows' 'nothing lost' check: a face of the old path (by frame) without an
    'after' face overlapping it by IoU >= 0.5 is listed; extra or shifted-a-little faces are not."""
    face = dict(box=[10.0, 10.0, 50.0, 50.0])
    before = [dict(frame=0, faces=[face]), dict(frame=1, faces=[face]),
              dict(frame=2, faces=[face, dict(box=[100.0, 10.0, 140.0, 50.0])])]
    after = [dict(frame=0, faces=[dict(box=[12.0, 10.0, 52.0, 50.0])]),  # IoU 0.9
             dict(frame=1, faces=[dict(box=[30.0, 10.0, 70.0, 50.0])]),  # IoU 1/3: lost
             dict(frame=2, faces=[face, dict(box=[200.0, 10.0, 240.0, 50.0])])]
    assert tool._faces_lost(before, after) == ['frame 1: [10, 10, 50, 50]',
                                               'frame 2: [100, 10, 140, 50]']
    assert tool._faces_lost(before, [None, None, None]) != []


def test_video_rows_end_to_end(tool, tmp_path, capsys):
    """The tool on the small test model, PyTorch only, a 10-frame clip of a moving face (Haar):
    one 'before' row and one row per classify rate x detect_every, each with the detector count
    it should have, the face ids, nothing lost against the every-frame path, and the JSON; and
    the photo row: medians of --repeats runs, the pipeline without the model."""
    import json

    import cv2

    from orsanet.faces.sample_photos import astronaut, moving_face_frames, write_video
    photo = str(tmp_path / 'astronaut.png')
    cv2.imwrite(photo, astronaut())
    clip = write_video(str(tmp_path / 'clip.avi'),
                       moving_face_frames(10, face_px=85, size=(480, 400), step=2))
    out = tmp_path / 'run.json'
    assert tool.main(['tests/data/tiny_fer_inference.py', '--backends', 'pytorch',
                      '--precisions', 'fp32', '--batch-sizes', '1', '--repeats', '1',
                      '--eval-faces', '2', '--photo', photo, '--video', clip,
                      '--classify-hz', '0',
                      '--detect-every', '1', '4', '--video-frames', '10',
                      '--cache-dir', str(tmp_path / 'cache'), '--out', str(out)]) == 0
    photo_row, *rows = json.loads(out.read_text())['pipeline']
    assert photo_row['input'] == 'photo' and photo_row['faces'] == 1
    stages = sum(photo_row[k] for k in ('decode', 'detect', 'align', 'write'))
    assert 0 < photo_row['pipeline_ms'] < photo_row['end_to_end_ms']
    assert photo_row['pipeline_ms'] == pytest.approx(stages, rel=0.1)  # --repeats 1: one run
    low, high = map(float, photo_row['pipeline_spread'].split('-'))
    assert low - 0.05 <= photo_row['pipeline_ms'] <= high + 0.05
    assert [r['path'] for r in rows] == ['before (predict_video)', 'after hz=0 detect_every=1',
                                         'after hz=0 detect_every=4']
    assert [r.get('detections') for r in rows[1:]] == [10, 3]  # frames 0, 4, 8
    for r in rows:
        assert r['ids'] == 1 and r['faces'] == 1.0
    for r in rows[1:]:
        assert r['lost'] == 0 and r['computed'] == 10 and r['refresh_per_s'] > 0
    assert rows[2]['follow'] > 0 and 'follow' not in rows[1]
    assert '| after hz=0 detect_every=4 |' in capsys.readouterr().out
