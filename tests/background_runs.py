"""Long tool runs started in the background when the session collects their tests, so that they
overlap the rest of the suite instead of running after it: most tests use one core at a time
(imports, Python-level work, single-threaded tool start-ups), these runs fill the other.

A test marked ``@pytest.mark.background(NAME)`` checks the outputs of the run ``JOBS[NAME]``.
tests/conftest.py starts the runs of the selected tests one after another in a thread of the
session (in the order of ``JOBS``), each a plain subprocess with one thread a step
(``OMP_NUM_THREADS=1``), and moves their tests to the end of the session; each test waits for
its run. Nothing is started when no such test is selected.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import Callable, Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
OFFICIAL_CONFIG = osp.join('configs', 'orsanet_r50_rafdb.py')

# name -> the command's arguments after the Python executable, given the run's work dir
JOBS: Dict[str, Callable[[str], List[str]]] = {
    # the full official-size model through the export tool (random weights; the ONNX optimiser
    # alone would take about 5 min here, --no-optimize gives the same differences)
    'official_export': lambda wd: [
        'tools/deployment/export_onnx.py', OFFICIAL_CONFIG, '--random-priors', '--no-optimize',
        '--out', osp.join(wd, 'orsanet_r50.onnx')],
    # the demo's reduced run (about 3.5 min alone on 2 idle cores): the two prior trainings side
    # by side, then the ORSANet training, one thread each
    'quick_demo': lambda wd: [
        'tools/demo/run_demo.py', '--quick', '--threads', '1', '--work-dir',
        osp.join(wd, 'demo')],
}


class Run:
    """One background run: its work dir, and once it ended, its exit code and output."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.work_dir = tempfile.mkdtemp(prefix=f'orsanet_{name}_')
        self.args = [sys.executable, *JOBS[name](self.work_dir)]
        self.proc: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None
        self.output = ''
        self.done = threading.Event()

    def execute(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self.args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True, env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore'))
            self.output = self.proc.communicate()[0]
            self.returncode = self.proc.returncode
        except Exception as error:  # noqa: BLE001  (the test reports it)
            self.output, self.returncode = f'could not run {self.args}: {error!r}', -1
        finally:
            self.done.set()


class BackgroundRuns:
    """The session's background runs, executed one after another by one thread."""

    def __init__(self) -> None:
        self.runs: Dict[str, Run] = {}
        self.stopped = False

    def start(self, names: List[str]) -> None:
        ordered = [name for name in JOBS if name in names]
        self.runs = {name: Run(name) for name in ordered}

        def work():
            for run in self.runs.values():
                if not self.stopped:
                    run.execute()
                else:
                    run.done.set()

        threading.Thread(target=work, name='background-runs', daemon=True).start()

    def wait(self, name: str, timeout: float = 2400) -> Run:
        """The ended run ``name`` (started now, alone, if the session did not start it)."""
        if name not in self.runs:
            run = self.runs[name] = Run(name)
            run.execute()
        run = self.runs[name]
        if not run.done.wait(timeout):
            raise TimeoutError(f'the background run {name} did not end in {timeout:.0f} s')
        return run

    def stop(self, keep: bool) -> None:
        """Kill runs still going (an interrupted session); remove work dirs unless ``keep``."""
        self.stopped = True
        for run in self.runs.values():
            if run.proc is not None and run.proc.poll() is None:
                run.proc.kill()
            if not keep:
                shutil.rmtree(run.work_dir, ignore_errors=True)


BACKGROUND = BackgroundRuns()
