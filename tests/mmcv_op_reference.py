"""Runs the cases of tests/mmcv_op_cases.py with mmcv's COMPILED ops (run by the tests with the
full-mmcv venv's python): ``python mmcv_op_reference.py cases.pt results.pt``.

Results: case id -> outputs by name, or the error message where the compiled op refused.
"""
import importlib.util
import sys

import torch
from mmcv_op_cases import run_case


def main(cases_path: str, results_path: str) -> None:
    if importlib.util.find_spec('mmcv._ext') is None:
        raise SystemExit('this mmcv has no compiled ops: run me with the full-mmcv venv')
    results = {}
    for case_id, runner, kwargs in torch.load(cases_path, weights_only=False):
        results[case_id] = run_case(runner, kwargs)
    torch.save(results, results_path)


if __name__ == '__main__':
    main(*sys.argv[1:])
