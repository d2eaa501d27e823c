"""The committed outputs of mmcv's COMPILED ops on the cases of tests/mmcv_op_cases.py
(``tests/data/mmcv_compiled_ops.pt``), recorded by ``tools/dev/record_mmcv_reference.py`` in the
full-mmcv venv, so that the default suite compares the served ops against compiled mmcv without
building it.

The file holds ``{'meta': {...}, 'results': {case_id: outputs by name | refusal message}}``.
``meta`` names what made it: mmcv and torch versions (which must equal the installed ones, or the
comparison would blame a float difference on the served ops), python, the CPU and its flags, the
fingerprint of the cases' inputs and of the pins (requirements/env.txt and the versions in
tools/setup_env.sh). This file imports nothing of orsanet or pytest: the recorder runs it in the
full-mmcv venv.
"""
import hashlib
import os.path as osp
import platform
import re
import sys
from typing import Dict, List

import torch
from mmcv_op_cases import Case

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
GOLDEN_PATH = osp.join(REPO_ROOT, 'tests', 'data', 'mmcv_compiled_ops.pt')
RECORD_COMMAND = 'make record-mmcv-reference'
# the versions the served ops are compared under: a golden file of other versions is refused
CHECKED_VERSIONS = ('mmcv', 'torch')
# the lines of tools/setup_env.sh that pin what the full venv holds
_PIN_LINE = re.compile(r'^(TORCH|MMCV|MMPOSE|XTCOCOTOOLS)_VERSION=')


class GoldenFileError(RuntimeError):
    """The golden file is missing, unreadable or was recorded under other versions."""


def _update_with(digest, value) -> None:
    if isinstance(value, torch.Tensor):
        value = value.contiguous()
        digest.update(f'{value.dtype}{tuple(value.shape)}'.encode())
        digest.update(value.view(torch.uint8).numpy().tobytes() if value.numel() else b'')
    elif isinstance(value, dict):
        for key in sorted(value):
            digest.update(key.encode())
            _update_with(digest, value[key])
    else:
        digest.update(repr(value).encode())


def cases_fingerprint(cases: List[Case]) -> str:
    """sha256 of every case's id, runner and inputs (dtypes, shapes and bytes of the tensors)."""
    digest = hashlib.sha256()
    for case_id, runner, kwargs in cases:
        digest.update(f'{case_id}/{runner}'.encode())
        _update_with(digest, kwargs)
    return digest.hexdigest()[:16]


def pins_fingerprint(repo_root: str = REPO_ROOT) -> str:
    """sha256 of requirements/env.txt and the version pins of tools/setup_env.sh: when it changes,
    the golden file may be stale and ``make test-compiled`` re-checks it (CI does so by itself)."""
    digest = hashlib.sha256()
    with open(osp.join(repo_root, 'requirements', 'env.txt'), 'rb') as f:
        digest.update(f.read())
    with open(osp.join(repo_root, 'tools', 'setup_env.sh')) as f:
        digest.update(''.join(line for line in f if _PIN_LINE.match(line)).encode())
    return digest.hexdigest()[:16]


def cpu_description() -> Dict[str, str]:
    """The CPU model and its vector flags (avx*, fma, amx*, vnni, bf16), from /proc/cpuinfo."""
    model, flags = platform.processor() or platform.machine(), ''
    if osp.exists('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() == 'model name' and model in ('', platform.machine()):
                    model = value.strip()
                elif key.strip() == 'flags' and not flags:
                    flags = ' '.join(
                        flag for flag in value.split()
                        if re.match(r'(avx|fma|amx|f16c|sse4)', flag) or 'vnni' in flag
                        or 'bf16' in flag)
    return dict(cpu=model, cpu_flags=flags)


def installed_versions() -> Dict[str, str]:
    import mmcv

    return dict(mmcv=str(mmcv.__version__), torch=str(torch.__version__),
                python='%d.%d.%d' % sys.version_info[:3])


def make_meta(cases: List[Case]) -> Dict[str, str]:
    """What a recording states about itself."""
    return dict(**installed_versions(), **cpu_description(), cases=cases_fingerprint(cases),
                pins=pins_fingerprint(), command=RECORD_COMMAND)


def load_golden(cases: List[Case], path: str = GOLDEN_PATH) -> Dict[str, object]:
    """The recorded compiled outputs by case id, after checking that the file is there, was made
    from these cases and under the installed mmcv and torch versions; otherwise a
    :class:`GoldenFileError` that says what differs and names the command that re-records it."""
    if not osp.exists(path):
        raise GoldenFileError(
            f'{path} is missing: the served mmcv ops are compared against it. Record it with '
            f'`{RECORD_COMMAND}` (builds the full-mmcv venv once, about 13 min)')
    try:
        golden = torch.load(path, weights_only=True)
        meta, results = golden['meta'], golden['results']
    except Exception as err:
        first_line = (str(err).strip().splitlines() or [''])[0]
        raise GoldenFileError(f'{path} cannot be read ({type(err).__name__}: {first_line}); '
                              f're-record it with `{RECORD_COMMAND}`') from err
    stale = [f'{name} {meta.get(name)} (installed: {value})'
             for name, value in installed_versions().items()
             if name in CHECKED_VERSIONS and meta.get(name) != value]
    if meta.get('cases') != cases_fingerprint(cases):
        stale.append('the cases of tests/mmcv_op_cases.py (they changed since)')
    if stale:
        raise GoldenFileError(
            f'{path} was recorded with other versions: ' + '; '.join(stale)
            + f'. Its outputs would not tell a served-op bug from a version change: re-record it '
            f'with `{RECORD_COMMAND}` (recorded on {meta.get("cpu")}, python {meta.get("python")})')
    missing = [case_id for case_id, _, _ in cases if case_id not in results]
    if missing:
        raise GoldenFileError(f'{path} has no outputs for {missing}; re-record it with '
                              f'`{RECORD_COMMAND}`')
    return results
