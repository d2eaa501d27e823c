"""Evaluate any OpenMMLab config's test set with trained weights, or untrained ones (the
reference the demo compares its priors against), and write the metrics to a json file.

    python tools/demo/evaluate.py CONFIG [--checkpoint CKPT] --out metrics.json
        [--work-dir DIR] [--cfg-options k=v ...]

Without ``--checkpoint`` the model keeps its initialisation (``init_weights``): an untrained
model evaluated by exactly the same pipeline and evaluator.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.runner import Runner

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import add_common_args, load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a config (trained or untrained)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--checkpoint', help='weights; none: the untrained initialisation')
    parser.add_argument('--out', required=True, help='json file for the metrics')
    add_common_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.checkpoint and not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    if not args.checkpoint:
        runner.model.init_weights()
    metrics = runner.test()
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump({k: float(v) for k, v in metrics.items()}, f, indent=1)
    print(f'metrics of {args.checkpoint or "the untrained model"}: {metrics}')


if __name__ == '__main__':
    main()
