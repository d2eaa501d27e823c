"""The mmcv ops orsanet serves without compiled mmcv (orsanet.mmcv_ops) against mmcv's COMPILED ops.

The compiled ops run in a subprocess with the cached full-mmcv venv (``tools/setup_env.sh --mmcv
full``, built on first use); both sides call mmcv's public ops (``nms``, ``batched_nms``,
``RoIAlign``, ``deform_conv2d``, ``modulated_deform_conv2d``) on the same inputs
(tests/mmcv_op_cases.py): indices must be equal, values and gradients equal to 1e-5.
"""
import os
import os.path as osp
import subprocess

import pytest
import torch
from cached_venv import cached_venv_python
from mmcv_op_cases import all_cases, run_case
from served_mmcv import assert_same_outputs, served_mmcv_ops

CASES = all_cases()


@pytest.fixture(scope='module')
def compiled_results(repo_root, tmp_path_factory) -> dict:
    python = cached_venv_python(repo_root, 'full')
    folder = tmp_path_factory.mktemp('mmcv_reference')
    torch.save(CASES, folder / 'cases.pt')
    tests = osp.join(repo_root, 'tests')
    proc = subprocess.run(
        [python, osp.join(tests, 'mmcv_op_reference.py'), str(folder / 'cases.pt'),
         str(folder / 'results.pt')], capture_output=True, text=True, timeout=1200,
        cwd=str(folder), env={**os.environ, 'PYTHONPATH': tests})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return torch.load(folder / 'results.pt', weights_only=False)


@pytest.mark.slow
@pytest.mark.parametrize('case', CASES, ids=[case[0] for case in CASES])
def test_served_op_equals_compiled(case, compiled_results):
    case_id, runner, kwargs = case
    with served_mmcv_ops():
        served = run_case(runner, kwargs)
    assert_same_outputs(served, compiled_results[case_id])
