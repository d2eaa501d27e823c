"""Record mmcv's COMPILED op outputs for the served-op tests, or check the committed recording.

    python tools/dev/record_mmcv_reference.py            # re-record tests/data/mmcv_compiled_ops.pt
    python tools/dev/record_mmcv_reference.py --check    # record into a temporary file, compare
    python tools/dev/record_mmcv_reference.py --pins-changed   # exit 0 if the pins changed since

(``make record-mmcv-reference`` and ``make test-compiled`` call the first two.) The cases are
those of tests/mmcv_op_cases.py; they run in the cached full-mmcv venv
(``tools/setup_env.sh --mmcv full``, built on first use: about 13 min on 2 cores, seconds after),
which this script finds or builds and re-runs itself in. The file records the versions, CPU and
pins that made it (tests/mmcv_golden.py). Run it after a pin change (torch, mmcv, the
requirements) or a change of the cases; the default suite refuses a recording whose mmcv or
torch version differs from the installed one.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import tempfile
from typing import List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TESTS = osp.join(REPO_ROOT, 'tests')
sys.path.insert(0, TESTS)

import torch  # noqa: E402
from mmcv_golden import GOLDEN_PATH, make_meta, pins_fingerprint  # noqa: E402
from mmcv_op_cases import all_cases, run_case  # noqa: E402

# compiled-vs-compiled on the same kernels: bitwise on one CPU; other CPUs may round differently
RECHECK_TOLERANCE = 1e-6


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--check', action='store_true',
                      help='record into a temporary file and compare it with the committed one')
    mode.add_argument('--pins-changed', action='store_true',
                      help='exit 0 when requirements/env.txt or the pins of setup_env.sh differ '
                      'from those of the committed recording, 1 when they are the same')
    parser.add_argument('--out', default=GOLDEN_PATH, help='where to write the recording')
    parser.add_argument('--in-full-venv', action='store_true', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def record(out: str) -> None:
    """Run every case with the compiled ops of this interpreter's mmcv and save the outputs."""
    import importlib.util
    if importlib.util.find_spec('mmcv._ext') is None:
        raise SystemExit('this mmcv has no compiled ops: run me with the full-mmcv venv')
    cases = all_cases()
    results = {case_id: run_case(runner, kwargs) for case_id, runner, kwargs in cases}
    torch.save(dict(meta=make_meta(cases), results=results), out)
    print(f'recorded {len(results)} cases into {out}')


def full_venv_python() -> str:
    proc = subprocess.run(['bash', osp.join(REPO_ROOT, 'tools', 'setup_env.sh'), '--mmcv', 'full',
                           '--cached-python'], stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit('building the full-mmcv venv failed (its log is above)')
    return proc.stdout.strip().splitlines()[-1]


def record_in_full_venv(out: str) -> None:
    env = {**os.environ, 'PYTHONPATH': TESTS}
    subprocess.run([full_venv_python(), osp.abspath(__file__), '--in-full-venv', '--out', out],
                   check=True, env=env, cwd=REPO_ROOT)


def differences(new: dict, old: dict, tol: float = RECHECK_TOLERANCE) -> List[str]:
    """What differs between two recordings' results: names, refusals, dtypes, shapes, integer
    values exactly, float values beyond ``tol``."""
    found = [f'{case_id}: only in the new recording' for case_id in new.keys() - old.keys()]
    found += [f'{case_id}: only in the committed recording' for case_id in old.keys() - new.keys()]
    for case_id in sorted(new.keys() & old.keys()):
        a, b = new[case_id], old[case_id]
        if isinstance(a, str) or isinstance(b, str):
            if a != b:
                found.append(f'{case_id}: {a!r} != {b!r}')
            continue
        if a.keys() != b.keys():
            found.append(f'{case_id}: outputs {sorted(a)} != {sorted(b)}')
            continue
        for name in sorted(a):
            x, y = a[name], b[name]
            if x is None or y is None:
                if (x is None) != (y is None):
                    found.append(f'{case_id}.{name}: None on one side only')
            elif x.dtype != y.dtype or x.shape != y.shape:
                found.append(f'{case_id}.{name}: {x.dtype}{tuple(x.shape)} != '
                             f'{y.dtype}{tuple(y.shape)}')
            elif not x.is_floating_point() and not torch.equal(x, y):
                found.append(f'{case_id}.{name}: integer values differ')
            elif x.is_floating_point() and x.numel() and not torch.allclose(
                    x.double(), y.double(), rtol=tol, atol=tol, equal_nan=True):
                diff = (x.double() - y.double()).abs().max().item()
                found.append(f'{case_id}.{name}: max abs diff {diff:.3g} > {tol}')
    return found


def check() -> int:
    """Re-record into a temporary file; 0 when it equals the committed recording."""
    with tempfile.TemporaryDirectory() as folder:
        fresh = osp.join(folder, 'mmcv_compiled_ops.pt')
        record_in_full_venv(fresh)
        new = torch.load(fresh, weights_only=True)
    if not osp.exists(GOLDEN_PATH):
        print(f'{GOLDEN_PATH} is missing: record it with `make record-mmcv-reference`')
        return 1
    old = torch.load(GOLDEN_PATH, weights_only=True)
    print('committed:', old['meta'])
    print('fresh:    ', new['meta'])
    found = differences(new['results'], old['results'])
    if new['meta']['cases'] != old['meta']['cases']:
        found.insert(0, 'the cases changed since the committed recording')
    for name in ('mmcv', 'torch'):
        if new['meta'][name] != old['meta'][name]:
            found.insert(0, f'{name} {old["meta"][name]} in the committed recording, '
                         f'{new["meta"][name]} now')
    if found:
        print(f'the compiled ops give other outputs than {GOLDEN_PATH} records:')
        print('\n'.join(f'  {line}' for line in found[:40]))
        print('if the change is expected (new pins), re-record: make record-mmcv-reference')
        return 1
    print(f'the compiled ops give the committed outputs ({len(new["results"])} cases, '
          f'floats within {RECHECK_TOLERANCE})')
    if new['meta']['pins'] != old['meta'].get('pins'):
        print('the pins changed since the recording: `make record-mmcv-reference` stores the new '
              'ones (until then CI runs `make test-compiled` on every run)')
    return 0


def pins_changed() -> int:
    if not osp.exists(GOLDEN_PATH):
        return 0
    recorded = torch.load(GOLDEN_PATH, weights_only=True)['meta'].get('pins')
    return 0 if recorded != pins_fingerprint() else 1


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.pins_changed:
        return pins_changed()
    if args.check:
        return check()
    if args.in_full_venv:
        record(args.out)
    else:
        record_in_full_venv(osp.abspath(args.out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
