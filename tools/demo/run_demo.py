"""The ORSANet-MM demo (`make demo`): synthetic data -> two priors -> ORSANet -> report, on CPU.

    python tools/demo/run_demo.py [--work-dir work_dirs/demo] [--quick]

1. writes the synthetic expression data (RAF-DB layout, mmseg parsing, mmpose 300W keypoints and
   an occluded test split) with tools/dataset_converters/make_synthetic_fer.py;
2. trains the face parser (configs/demo/parser_small.py, mmseg) and the landmark model
   (configs/demo/landmarks_mobilefacenet.py, mmpose) with tools/train.py (MMEngine's Runner in
   each toolbox's scope), and evaluates each, trained and untrained, with its own evaluator;
3. trains ORSANet with the two as frozen priors (configs/demo/orsanet_small_synthetic.py) and
   the ablation without priors (configs/demo/baseline_small_synthetic.py), same budget;
4. tests both with tools/test.py on the clean and the occluded test split (FERMetric reports),
   and runs tools/analysis_tools/occlusion_robustness.py where it exists (not with --quick);
5. writes <work-dir>/report/REPORT.md and its PNGs (tools/demo/make_report.py).

``--quick`` is the reduced run of the CI test (tests/test_demo.py): fewer images and steps, no
ablation and no robustness sweep.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List

import torch

import orsanet  # noqa: F401  (the weights_only allowlist for the checkpoints read here)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs', 'demo')

# images and training budget: (full, quick). The quick run (the CI test) spends what the full
# run gives the ablation and the robustness sweep on more ORSANet epochs.
BUDGETS = dict(
    num_train=(2100, 1120), num_test=(700, 210),
    parser_iters=(400, 120), landmark_epochs=(3, 2), fer_epochs=(5, 5))


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


class Steps:
    """Runs the demo's commands one by one, printing progress and the time taken."""

    def __init__(self, timings: str, threads: int = 0) -> None:
        self.start = time.time()
        self.timings = timings
        self.threads = threads
        self.times: Dict[str, float] = {}

    def run(self, name: str, args: List[str]) -> None:
        print(f'\n=== [{time.time() - self.start:6.0f} s] {name}\n    '
              + ' '.join(args), flush=True)
        begin = time.time()
        env = dict(os.environ, PYTHONWARNINGS='ignore')
        if self.threads:
            env['OMP_NUM_THREADS'] = str(self.threads)
        subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)
        self.times[name] = time.time() - begin
        print(f'=== {name}: done in {self.times[name]:.0f} s', flush=True)
        with open(self.timings, 'w', encoding='utf-8') as f:
            json.dump(self.times, f, indent=1)


def data_options(root: str) -> List[str]:
    return [f'{loader}_dataloader.dataset.data_root={root}' for loader in ('train', 'val', 'test')]


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint'), encoding='utf-8') as f:
        return f.read().strip()


def export_weights(checkpoint: str, target: str) -> None:
    """Keep only the weights of a checkpoint this demo just wrote (the prior's own file)."""
    state = torch.load(checkpoint, map_location='cpu')['state_dict']
    torch.save(dict(state_dict=state), target)


def train_priors(steps: Steps, wd: str, budget: Dict[str, int]) -> None:
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
                                  f"param_scheduler.1.end={budget['landmark_epochs']}"]))
    for name, (root, extra) in jobs.items():
        config = osp.join(CONFIGS, f'{name}.py')
        roots = data_options(root)
        run_dir = osp.join(wd, name)
        steps.run(f'train {name}', ['tools/train.py', config, '--work-dir', run_dir,
                                    '--no-validate', '--cfg-options', *roots, *extra])
        target = osp.join(prior_dir, f'{name}.pth')
        export_weights(last_checkpoint(run_dir), target)
        for tag, ckpt in (('trained', ['--checkpoint', target]), ('untrained', [])):
            steps.run(f'evaluate {name} ({tag})',
                      ['tools/demo/evaluate.py', config, *ckpt, '--work-dir',
                       osp.join(run_dir, f'eval_{tag}'), '--out',
                       osp.join(wd, 'report', f'{name}_{tag}.json'),
                       '--cfg-options', *roots])


def train_and_test_fer(steps: Steps, wd: str, budget: Dict[str, int], quick: bool) -> None:
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
        for split, root in (('clean', data), ('occluded', osp.join(data, 'occluded'))):
            steps.run(f'test {name} ({split})',
                      ['tools/test.py', config, ckpt, '--work-dir', osp.join(run_dir, 'test'),
                       '--out-dir', osp.join(wd, 'report', f'{name}_{split}'),
                       '--cfg-options', *options, f'test_dataloader.dataset.data_root={root}'])
        tool = osp.join(ROOT, 'tools', 'analysis_tools', 'occlusion_robustness.py')
        if not quick and osp.isfile(tool):
            steps.run(f'occlusion robustness {name}',
                      [tool, config, ckpt, '--out-dir',
                       osp.join(wd, 'report', f'{name}_robustness'),
                       '--types', 'patch', 'eye_bar', 'hand', '--severities', '0', '0.25', '0.5',
                       '--work-dir', osp.join(run_dir, 'robustness'), '--cfg-options', *options,
                       'test_dataloader.dataset.indices=280'])


def main(argv=None) -> None:
    args = parse_args(argv)
    budget = {k: v[1 if args.quick else 0] for k, v in BUDGETS.items()}
    wd = osp.abspath(args.work_dir)
    os.makedirs(osp.join(wd, 'report'), exist_ok=True)
    steps = Steps(osp.join(wd, 'report', 'timings.json'), args.threads)
    print(f'ORSANet-MM demo in {wd} ({"quick" if args.quick else "full"}): {budget}')
    steps.run('synthetic data', [
        'tools/dataset_converters/make_synthetic_fer.py', osp.join(wd, 'data'),
        '--num-train', str(budget['num_train']), '--num-test', str(budget['num_test']),
        '--size', '112', '--seed', str(args.seed)])
    train_priors(steps, wd, budget)
    train_and_test_fer(steps, wd, budget, args.quick)
    steps.run('report', ['tools/demo/make_report.py', wd])
    print(f'\nthe demo took {time.time() - steps.start:.0f} s; report: '
          f"{osp.join(wd, 'report', 'REPORT.md')}")


if __name__ == '__main__':
    main()
