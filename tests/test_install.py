"""``pip install -e .`` into an existing OpenMMLab environment keeps its mmcv, full or lite."""
import json
import os.path as osp
import shutil
import subprocess

import pytest
from cached_venv import cached_venv_python


@pytest.mark.slow
# the full flavour's venv is built by `make test-compiled` only (about 13 min once)
@pytest.mark.parametrize('flavour', ['lite', pytest.param('full', marks=pytest.mark.compiled)])
def test_pip_install_editable_keeps_either_mmcv(flavour, repo_root, tmp_path):
    """Offline dry run in the cached venv of each flavour: everything orsanet requires is already
    there, so pip would install orsanet alone (a requirement on ``mmcv`` by name would make it
    fetch and build the full mmcv into an mmcv-lite environment)."""
    source = tmp_path / 'orsanet-src'  # a copy: pip writes its metadata next to setup.py
    source.mkdir()
    for name in ('setup.py', 'README.md', 'MANIFEST.in'):
        shutil.copy(osp.join(repo_root, name), source / name)
    shutil.copytree(osp.join(repo_root, 'requirements'), source / 'requirements')
    shutil.copytree(osp.join(repo_root, 'projects', 'orsanet'), source / 'projects' / 'orsanet',
                    ignore=shutil.ignore_patterns('__pycache__'))
    report = tmp_path / 'report.json'
    proc = subprocess.run(
        [cached_venv_python(repo_root, flavour), '-m', 'pip', 'install', '--dry-run',
         '--no-index', '--no-build-isolation', '--report', str(report), '-e', str(source)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    to_install = [item['metadata']['name'] for item in json.loads(report.read_text())['install']]
    assert to_install == ['orsanet'], to_install
