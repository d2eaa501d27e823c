"""The mmcv ops orsanet serves without compiled mmcv (orsanet.mmcv_ops) against mmcv's COMPILED ops.

Both sides call mmcv's public ops (``nms``, ``batched_nms``, ``RoIAlign``, ``deform_conv2d``,
``modulated_deform_conv2d``) on the same inputs (tests/mmcv_op_cases.py): indices must be equal,
values and gradients equal to 1e-5. The default suite compares against the committed recording of
the compiled ops (tests/data/mmcv_compiled_ops.pt, ``make record-mmcv-reference``); ``make
test-compiled`` (marker ``compiled``) also runs the compiled ops live in the full-mmcv venv.
"""
import os
import os.path as osp
import subprocess

import pytest
import torch
from cached_venv import cached_venv_python
from mmcv_golden import GoldenFileError, load_golden
from mmcv_op_cases import all_cases, run_case
from served_mmcv import assert_same_outputs, served_mmcv_ops

CASES = all_cases()


@pytest.fixture(scope='module')
def golden_results() -> dict:
    return load_golden(CASES)


@pytest.mark.parametrize('case', CASES, ids=[case[0] for case in CASES])
def test_served_op_equals_recorded_compiled(case, golden_results):
    case_id, runner, kwargs = case
    with served_mmcv_ops():
        served = run_case(runner, kwargs)
    assert_same_outputs(served, golden_results[case_id])


def _save_golden(path, **meta_changes) -> None:
    golden = torch.load(osp.join(osp.dirname(osp.dirname(__file__)), 'data',
                                 'mmcv_compiled_ops.pt'), weights_only=True)
    golden['meta'].update(meta_changes)
    torch.save(golden, path)


def test_golden_file_of_other_versions_is_refused_naming_the_command(tmp_path):
    path = tmp_path / 'golden.pt'
    _save_golden(path, torch='2.99.0', mmcv='2.0.1')
    with pytest.raises(GoldenFileError) as err:
        load_golden(CASES, str(path))
    message = str(err.value)
    assert 'torch 2.99.0 (installed: ' in message and 'mmcv 2.0.1 (installed: ' in message
    assert 'make record-mmcv-reference' in message


def test_golden_file_of_other_cases_is_refused(tmp_path):
    path = tmp_path / 'golden.pt'
    _save_golden(path, cases='0000')
    with pytest.raises(GoldenFileError, match='cases of tests/mmcv_op_cases.py'):
        load_golden(CASES, str(path))
    changed = [(case_id, runner, dict(kwargs)) for case_id, runner, kwargs in CASES]
    changed[0][2]['iou_threshold'] = 0.31  # any input change changes the fingerprint
    with pytest.raises(GoldenFileError, match='cases of tests/mmcv_op_cases.py'):
        load_golden(changed)


def test_missing_or_corrupt_golden_file_is_an_error_not_a_skip(tmp_path):
    with pytest.raises(GoldenFileError, match='missing.*make record-mmcv-reference'):
        load_golden(CASES, str(tmp_path / 'nowhere.pt'))
    (tmp_path / 'bad.pt').write_bytes(b'not a torch file')
    with pytest.raises(GoldenFileError, match='cannot be read.*make record-mmcv-reference'):
        load_golden(CASES, str(tmp_path / 'bad.pt'))


def test_a_served_op_bug_fails_against_the_recording(golden_results):
    """The comparison can fail: a served NMS that keeps one box too many."""
    case_id, runner, kwargs = next(case for case in CASES if case[0] == 'nms-random-iou0.5')
    with served_mmcv_ops():
        served = run_case(runner, kwargs)
    served['keep'] = torch.cat([served['keep'], served['keep'][-1:]])
    with pytest.raises(AssertionError):
        assert_same_outputs(served, golden_results[case_id])


@pytest.fixture(scope='module')
def compiled_results(repo_root, tmp_path_factory) -> dict:
    """The compiled ops run now, in the full-mmcv venv (``make test-compiled``)."""
    python = cached_venv_python(repo_root, 'full')
    folder = tmp_path_factory.mktemp('mmcv_reference')
    tests = osp.join(repo_root, 'tests')
    proc = subprocess.run(
        [python, osp.join(repo_root, 'tools', 'dev', 'record_mmcv_reference.py'),
         '--in-full-venv', '--out', str(folder / 'results.pt')], capture_output=True, text=True,
        timeout=1200, cwd=str(folder), env={**os.environ, 'PYTHONPATH': tests})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return torch.load(folder / 'results.pt', weights_only=True)['results']


@pytest.mark.compiled
@pytest.mark.parametrize('case', CASES, ids=[case[0] for case in CASES])
def test_served_op_equals_compiled_now(case, compiled_results):
    case_id, runner, kwargs = case
    with served_mmcv_ops():
        served = run_case(runner, kwargs)
    assert_same_outputs(served, compiled_results[case_id])
