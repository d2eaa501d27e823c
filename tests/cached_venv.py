"""The cached venvs of tools/setup_env.sh, for tests that need the other mmcv flavour."""
import os.path as osp
import subprocess


def cached_venv_python(repo_root: str, flavour: str) -> str:
    """The python of the cached venv with ``flavour`` ('lite' or 'full') mmcv, which
    tools/setup_env.sh builds on first use (full: about 13 min on a fresh 2-core machine, 10 of
    them the mmcv wheel, cached after; lite: about 2 min; seconds once cached)."""
    proc = subprocess.run(
        ['bash', osp.join(repo_root, 'tools', 'setup_env.sh'), '--mmcv', flavour,
         '--cached-python'], capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, f'building the {flavour}-mmcv venv failed:\n{proc.stderr[-4000:]}'
    return proc.stdout.strip().splitlines()[-1]
