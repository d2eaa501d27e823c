"""Accuracy of a checkpoint under synthetic occlusion: every occluder type x severity.

    python tools/analysis_tools/occlusion_robustness.py CONFIG CHECKPOINT --out-dir DIR \\
        [--types patch eye_bar mask hand scarf object] [--severities 0 0.1 0.2 0.3 0.4 0.5] \\
        [--seed 0] [--work-dir DIR] [--cfg-options k=v ...]

``SyntheticOcclusion`` (seeded per image, so every run and every model sees the same occluders)
is inserted into the test pipeline right after ``LoadImageFromFile``; severity 0 is the clean
test set (evaluated once). Writes ``robustness.json``, ``robustness.csv`` (one row per type x
severity: top-1, mean class accuracy, macro-F1, mean achieved coverage, samples) and
``robustness.png`` (top-1 accuracy against severity, one line per type).
"""
import argparse
import copy
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

from mmengine.config import Config, ConfigDict
from mmengine.dist import is_main_process
from mmengine.evaluator import BaseMetric
from mmpretrain.datasets.transforms import PackInputs

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import add_common_args, load_config
from orsanet.apis.cli import cli_main
from orsanet.datasets.occlusion import OCCLUDER_TYPES
from orsanet.engine import runner_for_checkpoint
from orsanet.fileio import atomic_write, save_figure

COLUMNS = ('type', 'severity', 'top1', 'mean_class_acc', 'macro_f1', 'coverage', 'num_samples')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Occlusion robustness of a checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-dir', required=True, help='where the table and the plot go')
    parser.add_argument('--types', nargs='+', default=list(OCCLUDER_TYPES), choices=OCCLUDER_TYPES,
                        help='occluder types')
    parser.add_argument('--severities', nargs='+', type=float,
                        default=[0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
                        help='fractions of the face covered (0: clean)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the occluders')
    add_common_args(parser)
    return parser.parse_args()


class CoverageMetric(BaseMetric):
    """Mean achieved occluder coverage (``occlusion`` meta of SyntheticOcclusion)."""
    default_prefix = 'occlusion'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.results.extend(float(s.get('occlusion', {}).get('coverage', 0.0))
                            for s in data_samples)

    def compute_metrics(self, results: List[float]) -> Dict[str, float]:
        return dict(coverage=sum(results) / max(len(results), 1))


def _pipeline_holder(dataset: dict, where: str) -> dict:
    """The dataset config that has the pipeline (inside wrappers such as RepeatDataset)."""
    while 'pipeline' not in dataset and isinstance(dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    if 'pipeline' not in dataset:
        raise KeyError(f'{where}: found no pipeline in the test dataset config')
    return dataset


def occluded_loader(cfg: Config, kind: str, severity: float, seed: int) -> dict:
    """``cfg.test_dataloader`` with SyntheticOcclusion after LoadImageFromFile (replacing any
    SyntheticOcclusion of the config) and the ``occlusion`` meta key packed."""
    loader = copy.deepcopy(cfg.test_dataloader)
    dataset = _pipeline_holder(loader['dataset'], cfg.filename)
    pipeline = [t for t in dataset['pipeline']
                if str(t.get('type', '')).split('.')[-1] != 'SyntheticOcclusion']
    names = [str(t.get('type', '')).split('.')[-1] for t in pipeline]
    if 'LoadImageFromFile' not in names:
        raise ValueError(f'{cfg.filename}: the test pipeline has no LoadImageFromFile to put '
                         f'SyntheticOcclusion after ({names})')
    at = names.index('LoadImageFromFile') + 1
    pipeline.insert(at, ConfigDict(type='SyntheticOcclusion', types=[kind], severity=severity,
                                   seed=seed))
    for pack in pipeline:
        if str(pack.get('type', '')).split('.')[-1] != 'PackInputs':
            continue
        keys = tuple(pack.get('meta_keys', PackInputs.DEFAULT_META_KEYS))
        pack['meta_keys'] = keys + ('occlusion', ) * ('occlusion' not in keys)
    dataset['pipeline'] = pipeline
    return loader


def fer_evaluator(cfg: Config) -> List[dict]:
    """The config's FERMetric(s) without a report folder, else a plain FERMetric."""
    evaluator = cfg.test_evaluator
    metrics = evaluator.get('metrics', evaluator) if isinstance(evaluator, dict) else evaluator
    metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
    fer = [dict(m, out_dir=None) for m in metrics
           if str(m.get('type', '')).split('.')[-1] == 'FERMetric']
    return fer[:1] or [dict(type='FERMetric')]


def evaluate(args: argparse.Namespace) -> List[dict]:
    """One row per (type, severity); the clean set (severity 0) is evaluated once."""
    cfg = load_config(args)
    cfg.test_evaluator = fer_evaluator(cfg)
    conditions = [(k, s) for s in sorted(set(args.severities)) for k in args.types]
    clean_cfg = copy.deepcopy(cfg)
    cfg.test_dataloader = occluded_loader(clean_cfg, *conditions[0], args.seed)
    runner = runner_for_checkpoint(cfg, args.checkpoint)  # strictly
    runner.test_evaluator.metrics.append(CoverageMetric())
    rows, clean = [], None
    for i, (kind, severity) in enumerate(conditions):
        if severity == 0 and clean is not None:
            metrics = clean
        else:
            if i == 0:
                metrics = runner.test()
            else:
                runner.test_loop.dataloader = runner.build_dataloader(
                    occluded_loader(clean_cfg, kind, severity, args.seed))
                metrics = runner.test_loop.run()
            clean = metrics if severity == 0 else clean
        rows.append(dict(type=kind, severity=severity, top1=metrics['fer/top1'],
                         mean_class_acc=metrics['fer/mean_class_acc'],
                         macro_f1=metrics['fer/macro_f1'],
                         coverage=metrics['occlusion/coverage'],
                         num_samples=metrics['fer/num_samples']))
    return rows


def plot(rows: List[dict], path: str, title: str) -> None:
    """Top-1 accuracy against severity, one line per occluder type."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for kind in dict.fromkeys(r['type'] for r in rows):
        points = sorted((r['severity'], r['top1']) for r in rows if r['type'] == kind)
        ax.plot(*zip(*points), marker='o', label=kind)
    ax.set_xlabel('severity (fraction of the face covered)')
    ax.set_ylabel('top-1 accuracy (%)')
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(title='occluder')
    ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)


def write(rows: List[dict], args: argparse.Namespace) -> None:
    os.makedirs(args.out_dir, exist_ok=True)
    with atomic_write(osp.join(args.out_dir, 'robustness.json')) as f:
        json.dump(dict(config=args.config, checkpoint=args.checkpoint, seed=args.seed,
                       rows=rows), f, indent=2)
    with atomic_write(osp.join(args.out_dir, 'robustness.csv'), newline='') as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, osp.join(args.out_dir, 'robustness.png'),
         f'{osp.basename(args.checkpoint)}: accuracy under synthetic occlusion')


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    bad = [s for s in args.severities if not 0 <= s <= 1]
    if bad:
        raise ValueError(f'--severities {bad}: severities are fractions in [0, 1]')
    rows = evaluate(args)
    if is_main_process():
        write(rows, args)
        print(f'{"type":<10}{"severity":>9}{"top1":>8}{"coverage":>10}')
        for r in rows:
            print(f'{r["type"]:<10}{r["severity"]:>9.2f}{r["top1"]:>8.2f}{r["coverage"]:>10.3f}')


if __name__ == '__main__':
    cli_main(main)
