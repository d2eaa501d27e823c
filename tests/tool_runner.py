"""Running the repo's command-line tools from tests, and the two-class image folders they use
(importable: pytest puts tests/ on the path)."""
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import List

import cv2
import numpy as np


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
