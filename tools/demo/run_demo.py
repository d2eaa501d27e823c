"""The ORSANet-MM demo (`make demo`): synthetic data -> two priors -> ORSANet -> report, on CPU.

    python tools/demo/run_demo.py [--work-dir work_dirs/demo] [--quick]

1. writes the synthetic expression data (RAF-DB layout, mmseg parsing, mmpose 300W keypoints and
   an occluded test split) with tools/dataset_converters/make_synthetic_fer.py;
2. trains the face parser (configs/demo/parser_small.py, mmseg) and the landmark model
   (configs/demo/landmarks_mobilefacenet.py, mmpose) with tools/train.py (MMEngine's Runner in
   each toolbox's scope), then evaluates both side by side, each trained and untrained with its
   own evaluator (tools/demo/evaluate.py);
3. trains ORSANet with the two as frozen priors (configs/demo/orsanet_small_synthetic.py) and
   the ablation without priors (configs/demo/baseline_small_synthetic.py), same budget;
4. tests both with tools/test.py on the clean and the occluded test split, side by side
   (FERMetric reports),
   and runs tools/analysis_tools/occlusion_robustness.py where it exists (not with --quick), at
   severities 0, the occluded split's own (data/occluded/occlusion.json) and 0.5;
5. writes <work-dir>/report/REPORT.md and its PNGs (tools/demo/make_report.py).

``--quick`` is the reduced run of the CI test (tests/test_demo.py): fewer images and steps, no
ablation and no robustness sweep.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import Dict, List, Tuple

import torch

import orsanet  # noqa: F401  (the weights_only allowlist for the checkpoints read here)
from orsanet.apis.cli import cli_main

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs', 'demo')

# images and training budget: (full, quick). The quick run (the CI test, about 3.5 minutes) has
# fewer faces, parser iterations and landmark epochs, no ablation and no robustness sweep, and
# the same 5 ORSANet epochs (4 gave 36.2 % clean top-1 instead of 41.0 % with another seed).
# The quick run trains its one landmark epoch at Adam 1e-2 after 5 warm-up steps: NME 0.147
# against 0.309 with the config's 5e-3 and 20 steps. In the full run that recipe gave a better
# NME (0.0356 against 0.0363) but a worse ORSANet (55.7-56.3 % clean against 60.1-61.3 %).
# Quick budgets tried (clean top-1 / parser mIoU / NME): 1,120 faces and 120 parser iterations
# 40.5 / 22.6 / 0.147; 840 and 90: 42.4 / 22.0 / 0.190; 840 and 60: 39.5 / 20.6 / 0.187, the
# landmarks then training 40 s longer than the parser beside them; this one, the landmarks on
# 420 faces: 43.8 / 20.6 / 0.312; 700 and 60: 31.9 / 20.5 / 0.214 (too close to the test's 28.6).
BUDGETS = dict(
    num_train=(2100, 840), num_test=(700, 210),
    parser_iters=(400, 60), landmark_epochs=(3, 1), landmark_faces=(0, 420), fer_epochs=(5, 5),
    landmark_lr=(5e-3, 1e-2), landmark_warmup=(20, 5))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo', help='everything goes here')
    parser.add_argument('--quick', action='store_true', help='the reduced run of the CI test')
    parser.add_argument('--seed', type=int, default=0, help='data seed')
    # idle 2-core machine: 0.60 s per ORSANet step with 2 threads, 1.00 s with 1; on a machine
    # busy with other jobs, one thread per process avoids thrashing
    parser.add_argument('--threads', type=int, default=0,
                        help="intra-op threads of each step (OMP_NUM_THREADS); 0: torch's default")
    return parser.parse_args(argv)


Job = Tuple[str, List[str]]  # (step name, the command's arguments after the Python executable)


class Steps:
    """Runs the demo's commands, one by one or a few side by side, printing progress and times.

    Args:
        work_dir (str): The demo's work dir: ``report/timings.json`` and ``logs/`` go there.
        threads (int): OMP_NUM_THREADS of each command run alone; 0: torch's default.
    """

    def __init__(self, work_dir: str, threads: int = 0) -> None:
        self.start = time.time()
        self.timings = osp.join(work_dir, 'report', 'timings.json')
        self.log_dir = osp.join(work_dir, 'logs')
        self.threads = threads
        self.times: Dict[str, float] = {}

    def _announce(self, name: str, args: List[str]) -> None:
        print(f'\n=== [{time.time() - self.start:6.0f} s] {name}\n    ' + ' '.join(args),
              flush=True)

    def _done(self, name: str, seconds: float) -> None:
        self.times[name] = seconds
        print(f'=== {name}: done in {seconds:.0f} s', flush=True)
        with open(self.timings, 'w', encoding='utf-8') as f:
            json.dump(dict(steps=self.times, wall=time.time() - self.start), f, indent=1)

    @staticmethod
    def _env(threads: int) -> Dict[str, str]:
        env = dict(os.environ, PYTHONWARNINGS='ignore')
        if threads:
            env['OMP_NUM_THREADS'] = str(threads)
        return env

    def run(self, name: str, args: List[str]) -> None:
        """Run one command in the foreground, its output on this terminal."""
        self._announce(name, args)
        begin = time.time()
        subprocess.run([sys.executable, *args], cwd=ROOT, env=self._env(self.threads), check=True)
        self._done(name, time.time() - begin)

    def run_here(self, name: str, args: List[str]) -> None:
        """Run a light tool's ``main(argv)`` in this process: no interpreter start-up and
        imports (about 10 s a command on 2 cores) for the data writer and the report."""
        self._announce(name, args)
        begin = time.time()
        script, *argv = args
        spec = importlib.util.spec_from_file_location(
            f'_demo_{osp.splitext(osp.basename(script))[0]}', osp.join(ROOT, script))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.main(argv)
        self._done(name, time.time() - begin)

    def run_together(self, jobs: List[Job]) -> None:
        """Run short independent commands side by side, the cores shared out between them.

        Their start-up (about 10 s of single-threaded imports each) overlaps. Each one's output
        goes to ``logs/<name>.log``; a failure raises with the end of that log.
        """
        os.makedirs(self.log_dir, exist_ok=True)
        threads = max(1, (self.threads or torch.get_num_threads()) // len(jobs))
        running = []
        for name, args in jobs:
            self._announce(name, args)
            log = osp.join(self.log_dir, re.sub(r'[^\w.-]+', '_', name).strip('_') + '.log')
            with open(log, 'w', encoding='utf-8') as out:
                proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=self._env(threads),
                                        stdout=out, stderr=subprocess.STDOUT)
            running.append((name, log, proc, time.time()))
        print(f'    ({len(jobs)} side by side, {threads} thread(s) each; logs in {self.log_dir})',
              flush=True)
        failed = []
        for name, log, proc, begin in running:
            if proc.wait() != 0:
                failed.append((name, log, proc.returncode))
            else:
                self._done(name, time.time() - begin)
        for name, log, code in failed:
            with open(log, encoding='utf-8', errors='replace') as f:
                tail = ''.join(f.readlines()[-30:])
            print(f'=== {name} FAILED (exit code {code}); the end of {log}:\n{tail}', flush=True)
        if failed:
            raise RuntimeError(f'demo step(s) failed: {", ".join(n for n, _, _ in failed)}; '
                               f'see the logs in {self.log_dir}')


def data_options(root: str) -> List[str]:
    return [f'{loader}_dataloader.dataset.data_root={root}' for loader in ('train', 'val', 'test')]


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint'), encoding='utf-8') as f:
        return f.read().strip()


def export_weights(checkpoint: str, target: str) -> None:
    """Keep only the weights of a checkpoint this demo just wrote (the prior's own file)."""
    state = torch.load(checkpoint, map_location='cpu')['state_dict']
    torch.save(dict(state_dict=state), target)


def train_priors(steps: Steps, wd: str, budget: Dict[str, float]) -> None:
    data = osp.join(wd, 'data')
    prior_dir = osp.join(wd, 'priors')
    os.makedirs(prior_dir, exist_ok=True)
    jobs = dict(
        parser_small=(osp.join(data, 'parsing'),
                      [f"train_cfg.max_iters={budget['parser_iters']}",
                       f"param_scheduler.0.end={budget['parser_iters']}"]),
        landmarks_mobilefacenet=(osp.join(data, 'landmarks') + '/',
                                 [f"train_cfg.max_epochs={budget['landmark_epochs']}",
                                  f"param_scheduler.1.T_max={budget['landmark_epochs']}",
                                  f"param_scheduler.1.end={budget['landmark_epochs']}",
                                  f"optim_wrapper.optimizer.lr={budget['landmark_lr']}",
                                  f"param_scheduler.0.end={budget['landmark_warmup']}"]
                                 + ([f"train_dataloader.dataset.indices={budget['landmark_faces']}"]
                                    if budget['landmark_faces'] else [])))
    trainings: List[Job] = []
    evaluations: List[Job] = []
    for name, (root, extra) in jobs.items():
        config = osp.join(CONFIGS, f'{name}.py')
        roots = data_options(root)
        run_dir = osp.join(wd, name)
        trainings.append((f'train {name}', ['tools/train.py', config, '--work-dir', run_dir,
                                            '--no-validate', '--cfg-options', *roots, *extra]))
        target = osp.join(prior_dir, f'{name}.pth')
        report = osp.join(wd, 'report', name)
        evaluations.append((
            f'evaluate {name} (trained and untrained)',
            ['tools/demo/evaluate.py', config, '--checkpoint', target,
             '--out', f'{report}_trained.json', '--untrained-out', f'{report}_untrained.json',
             '--work-dir', osp.join(run_dir, 'eval'), '--cfg-options', *roots]))
    # the two priors are independent: trained side by side, one thread each (their imports
    # overlap, and two single-threaded trainings use 2 cores better than one after the other)
    steps.run_together(trainings)
    for name in jobs:
        export_weights(last_checkpoint(osp.join(wd, name)),
                       osp.join(prior_dir, f'{name}.pth'))
    steps.run_together(evaluations)


def sweep_severities(data: str) -> List[str]:
    """The robustness sweep's severities: clean, the occluded split's own and half the face."""
    with open(osp.join(data, 'occluded', 'occlusion.json'), encoding='utf-8') as f:
        split = json.load(f)['severity']
    return [f'{s:g}' for s in sorted({0.0, float(split), 0.5})]


def train_and_test_fer(steps: Steps, wd: str, budget: Dict[str, float], quick: bool) -> None:
    data = osp.join(wd, 'data')
    epochs = budget['fer_epochs']
    common = [f'model.semantic_prior.checkpoint={wd}/priors/parser_small.pth',
              f'model.landmark_prior.checkpoint={wd}/priors/landmarks_mobilefacenet.pth']
    runs = ['orsanet_small_synthetic'] + ([] if quick else ['baseline_small_synthetic'])
    for name in runs:
        config = osp.join(CONFIGS, f'{name}.py')
        options = data_options(data) + [
            f'train_cfg.max_epochs={epochs}', f'param_scheduler.T_max={epochs}']
        if name.startswith('orsanet'):
            options += common
        run_dir = osp.join(wd, name)
        steps.run(f'train {name}', ['tools/train.py', config, '--work-dir', run_dir,
                                    '--no-validate', '--cfg-options', *options])
        ckpt = last_checkpoint(run_dir)
        steps.run_together([
            (f'test {name} ({split})',
             ['tools/test.py', config, ckpt, '--work-dir', osp.join(run_dir, f'test_{split}'),
              '--out-dir', osp.join(wd, 'report', f'{name}_{split}'),
              '--cfg-options', *options, f'test_dataloader.dataset.data_root={root}'])
            for split, root in (('clean', data), ('occluded', osp.join(data, 'occluded')))])
        tool = osp.join(ROOT, 'tools', 'analysis_tools', 'occlusion_robustness.py')
        if not quick and osp.isfile(tool):
            steps.run(f'occlusion robustness {name}',
                      [tool, config, ckpt, '--out-dir',
                       osp.join(wd, 'report', f'{name}_robustness'),
                       '--types', 'patch', 'eye_bar', 'hand', '--severities',
                       *sweep_severities(data),
                       '--work-dir', osp.join(run_dir, 'robustness'), '--cfg-new-keys',
                       '--cfg-options', *options, 'test_dataloader.dataset.indices=280'])


def main(argv=None) -> None:
    args = parse_args(argv)
    budget = {k: v[1 if args.quick else 0] for k, v in BUDGETS.items()}
    wd = osp.abspath(args.work_dir)
    os.makedirs(osp.join(wd, 'report'), exist_ok=True)
    steps = Steps(wd, args.threads)
    print(f'ORSANet-MM demo in {wd} ({"quick" if args.quick else "full"}): {budget}')
    steps.run_here('synthetic data', [
        'tools/dataset_converters/make_synthetic_fer.py', osp.join(wd, 'data'),
        '--num-train', str(budget['num_train']), '--num-test', str(budget['num_test']),
        '--size', '112', '--seed', str(args.seed)])
    train_priors(steps, wd, budget)
    train_and_test_fer(steps, wd, budget, args.quick)
    steps.run_here('report', ['tools/demo/make_report.py', wd])
    print(f'\nthe demo took {time.time() - steps.start:.0f} s; report: '
          f"{osp.join(wd, 'report', 'REPORT.md')}")


if __name__ == '__main__':
    cli_main(main)
