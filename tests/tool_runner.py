"""Running the repo's command-line tools from tests, and the two-class image folders they use
(importable: pytest puts tests/ on the path).

A tool run as ``[sys.executable, SCRIPT, ...]`` starts from a fork of a server process that has
already imported the heavy libraries that do not depend on the plugin (torch, torchvision,
numpy, OpenCV, scikit-learn, pandas, matplotlib, ...: about half of a tool's 9 s of imports on
2 cores), so a test pays that once per session instead of once per run. The child is then set up
like a fresh ``python SCRIPT ARGS`` (``sys.argv``, ``sys.path`` with the script's folder and
``PYTHONPATH``, working directory, environment), imports the plugin and the OpenMMLab toolboxes
itself in the order the script does, runs the script as ``__main__``, runs its ``atexit``
handlers and exits with its status; stdout and stderr are captured apart. Any other command
(another interpreter, ``-c``, ``-m``, a shell script) runs as a plain subprocess; so does every
run with ``ORSANET_TOOL_FORKSERVER=0``.
"""
import atexit
import json
import multiprocessing
import os
import os.path as osp
import runpy
import socket
import subprocess
import sys
import traceback
from typing import Dict, List, Optional

import cv2
import numpy as np

# imported once by the fork server; none of them imports orsanet or an OpenMMLab toolbox
PRELOAD = ('torch', 'torchvision', 'numpy', 'cv2', 'PIL.Image', 'scipy.optimize',
           'sklearn.metrics', 'pandas', 'matplotlib', 'skimage', 'onnx', 'onnxruntime')
_BASE_PATH: Optional[List[str]] = None  # sys.path of a fresh interpreter, without the script's


def _fresh_sys_path() -> List[str]:
    """What a fresh ``python SCRIPT`` has on sys.path after the script's folder (site-packages,
    .pth entries), without PYTHONPATH: asked once of a fresh interpreter."""
    global _BASE_PATH
    if _BASE_PATH is None:
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
        out = subprocess.run(
            [sys.executable, '-c', 'import sys, json; print(json.dumps(sys.path[1:]))'],
            capture_output=True, text=True, env=env, check=True).stdout
        _BASE_PATH = json.loads(out)
    return _BASE_PATH


def _run_script(argv: List[str], cwd: str, env: Dict[str, str], base_path: List[str],
                out_path: str, err_path: str) -> None:
    """In the forked child: become ``python argv[0] argv[1:]`` and exit with its status."""
    for fd, path in ((1, out_path), (2, err_path)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(handle, fd)
        os.close(handle)
    sys.stdout = open(1, 'w', encoding='utf-8', errors='backslashreplace', closefd=False)
    sys.stderr = open(2, 'w', encoding='utf-8', errors='backslashreplace', closefd=False)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    script = osp.abspath(argv[0])
    extra = [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p]
    sys.path[:] = [osp.dirname(script)] + [osp.abspath(p) for p in extra] + base_path
    sys.argv = list(argv)
    if env.get('OMP_NUM_THREADS'):  # read by OpenMP when torch loaded, in the server
        import torch
        torch.set_num_threads(int(env['OMP_NUM_THREADS']))
    code = 0
    try:
        runpy.run_path(script, run_name='__main__')
    except SystemExit as exit_:
        if exit_.code is None:
            code = 0
        elif isinstance(exit_.code, int):
            code = exit_.code
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # as the interpreter does: the traceback on stderr, status 1
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


_CONTEXT = None


def _forkserver():
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context('forkserver')
        _CONTEXT.set_forkserver_preload(list(PRELOAD))
    return _CONTEXT


def _uses_forkserver(args: List[str]) -> bool:
    return (os.environ.get('ORSANET_TOOL_FORKSERVER', '1') != '0' and len(args) >= 2
            and args[0] == sys.executable and args[1].endswith('.py') and osp.isfile(args[1]))


def run_python_tool(args: List[str], cwd: str, env: Optional[Dict[str, str]] = None,
                    timeout: float = 900) -> subprocess.CompletedProcess:
    """``subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
    timeout=timeout)``, through the fork server where ``args`` is ``[sys.executable, SCRIPT,
    ...]`` (see the module's docstring)."""
    env = dict(os.environ if env is None else env)
    if not _uses_forkserver(args):
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=env)
    import tempfile
    with tempfile.TemporaryDirectory(prefix='tool_run_') as folder:
        out_path, err_path = osp.join(folder, 'stdout'), osp.join(folder, 'stderr')
        child = _forkserver().Process(
            target=_run_script, args=(args[1:], osp.abspath(cwd), env, _fresh_sys_path(),
                                      out_path, err_path))
        child.start()
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join()
            raise subprocess.TimeoutExpired(args, timeout)
        outputs = []
        for path in (out_path, err_path):
            if not osp.exists(path):  # the child died before it became the tool
                raise RuntimeError(f'the fork server could not start {args[1]} (exit code '
                                   f'{child.exitcode}); ORSANET_TOOL_FORKSERVER=0 runs tools as '
                                   'plain subprocesses')
            with open(path, encoding='utf-8', errors='replace') as f:
                outputs.append(f.read())
    return subprocess.CompletedProcess(args, child.exitcode, *outputs)


def run_tool(args: List[str], cwd: str, expect_ok: bool = True, **env: str) -> str:
    """Run a command (``tools/train.py``, ``dist_train.sh``...); return stdout + stderr."""
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', **env)
    proc = run_python_tool(args, cwd=cwd, env=env)
    output = proc.stdout + proc.stderr
    if expect_ok:
        assert proc.returncode == 0, f'{" ".join(args)} failed:\n{output[-5000:]}'
    return output


def free_port() -> int:
    """A free TCP port on the loopback interface, for a torchrun rendezvous."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_images(root: str, per_class: int = 4) -> None:
    rng = np.random.default_rng(0)
    for label, cls in enumerate(('calm', 'smile')):
        os.makedirs(osp.join(root, cls))
        for i in range(per_class):
            img = rng.integers(0, 80, (36, 36, 3), dtype=np.uint8) + 100 * label
            cv2.imwrite(osp.join(root, cls, f'{i}.png'), img)


def data_options(data_root: str) -> List[str]:
    return [f'{split}_dataloader.dataset.data_root={data_root}'
            for split in ('train', 'val', 'test')]
