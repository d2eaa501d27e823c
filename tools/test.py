"""Evaluate a checkpoint on a config's test set (the OpenMMLab ``tools/test.py`` form).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE] [--out-dir DIR]
        [--check-data] [--cfg-options k=v ...] [--cfg-new-keys]
    bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [same options]
"""
import argparse
import os.path as osp
from typing import Any

from mmengine.config import Config, ConfigDict

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet import engine
from orsanet.apis import add_check_data_arg, add_common_args, load_config
from orsanet.apis.cli import cli_main
from orsanet.datasets.image_check import check_data
from orsanet.evaluation.metrics import AtomicDumpResults


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint (ORSANet-MM)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='also dump every prediction to this .pkl file')
    parser.add_argument('--out-dir', help='write the FERMetric report here: metrics.json, '
                        'confusion_matrix.png (row-normalised) and predictions.csv')
    parser.add_argument('--amp', action='store_true', help='test with mixed precision')
    parser.add_argument('--random-weights', action='store_true',
                        help='accept priors that have no weight file and are not in the '
                        'checkpoint (their random initialisation: smoke tests only)')
    add_check_data_arg(parser)
    add_common_args(parser)
    return parser.parse_args()


def _is_fer_metric(metric: Any) -> bool:
    kind = metric.get('type') if isinstance(metric, dict) else None
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    return name.split('.')[-1] == 'FERMetric'


def set_report_dir(cfg: Config, out_dir: str) -> Config:
    """Set ``out_dir`` on every FERMetric of ``cfg.test_evaluator``, or add one FERMetric (it
    only needs the dataset's ``classes``, so any classifier works)."""
    evaluator = cfg.get('test_evaluator')
    if evaluator is None:
        raise KeyError(f'--out-dir needs a test_evaluator in {cfg.filename}')
    if isinstance(evaluator, dict) and 'metrics' in evaluator:  # dict(type='Evaluator', ...)
        metrics = evaluator['metrics']
    else:
        metrics = evaluator
    listed = list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
    fer = [m for m in listed if _is_fer_metric(m)]
    for metric in fer:
        metric['out_dir'] = out_dir
    if not fer:
        listed.append(ConfigDict(type='FERMetric', out_dir=out_dir))
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator['metrics'] = listed
    else:
        cfg.test_evaluator = listed
    return cfg


def add_progress_bar(cfg: Config) -> Config:
    """Add :class:`orsanet.engine.hooks.EvalProgressHook` unless the config has one."""
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(str(h.get('type', '')).endswith('EvalProgressHook') for h in hooks):
        hooks.append(ConfigDict(type='EvalProgressHook'))
    cfg.custom_hooks = hooks
    return cfg


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'error: checkpoint {args.checkpoint} does not exist: pass the .pth '
                         'file written by tools/train.py or a converter')
    if args.out and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out {args.out}: the dump must be a .pkl file')
    cfg = load_config(args)
    if args.check_data:  # asked for: the data first, before the checkpoint is read
        check_data(cfg, ['test_dataloader'])
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    if args.out_dir:
        set_report_dir(cfg, args.out_dir)
    add_progress_bar(cfg)
    # strictly; a checkpoint that carries the priors (a converted official one) needs no prior files
    runner = engine.runner_for_checkpoint(cfg, args.checkpoint, args.random_weights)
    if args.out:
        runner.test_evaluator.metrics.append(AtomicDumpResults(out_file_path=args.out))
    runner.test()
    engine.finish_distributed()


if __name__ == '__main__':
    cli_main(main)
