"""Running the repo's command-line tools from tests (importable: pytest puts tests/ on the path)."""
import os
import socket
import subprocess
import sys
from typing import List


def run_tool(args: List[str], cwd: str, expect_ok: bool = True, **env: str) -> str:
    """Run a command (``tools/train.py``, ``dist_train.sh``...); return stdout + stderr."""
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', **env)
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, env=env)
    output = proc.stdout + proc.stderr
    if expect_ok:
        assert proc.returncode == 0, f'{" ".join(args)} failed:\n{output[-5000:]}'
    return output


def free_port() -> int:
    """A free TCP port on the loopback interface, for a torchrun rendezvous."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
