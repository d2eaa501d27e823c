"""Evaluate a checkpoint on a config's test set (the OpenMMLab ``tools/test.py`` form).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE] [--cfg-options k=v ...]
    bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [same options]
"""
import argparse
import os.path as osp

from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import add_common_args, load_config
from orsanet.engine import setup_cpu_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint (ORSANet-MM)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='also dump every prediction to this .pkl file')
    parser.add_argument('--amp', action='store_true', help='test with mixed precision')
    add_common_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist: pass the .pth '
                                'file written by tools/train.py')
    if args.out and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out {args.out}: the dump must be a .pkl file')
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    runner = Runner.from_cfg(setup_cpu_distributed(cfg))
    if args.out:
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
