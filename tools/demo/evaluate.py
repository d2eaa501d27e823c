"""Evaluate any OpenMMLab config's test set with trained weights and/or untrained ones (the
reference the demo compares its priors against), and write the metrics to json files.

    python tools/demo/evaluate.py CONFIG [--checkpoint CKPT --out trained.json]
        [--untrained-out untrained.json] [--work-dir DIR] [--cfg-options k=v ...]

The untrained model is the config's initialisation (``init_weights``), evaluated by exactly the
same pipeline and evaluator. Both evaluations share one Runner, so asking for both costs one
start-up (about 10 s of imports and building), not two.
"""
import argparse
import json
import os
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.runner import Runner

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import add_common_args, load_config
from orsanet.apis.cli import cli_main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a config (trained and/or untrained)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--checkpoint', help='trained weights, written to --out')
    parser.add_argument('--out', help='json file for the metrics of --checkpoint')
    parser.add_argument('--untrained-out', help='json file for the untrained model\'s metrics')
    add_common_args(parser)
    args = parser.parse_args()
    if bool(args.checkpoint) != bool(args.out):
        parser.error('--checkpoint and --out go together')
    if not args.out and not args.untrained_out:
        parser.error('nothing to do: give --checkpoint with --out, and/or --untrained-out')
    if args.checkpoint and not osp.isfile(args.checkpoint):
        parser.error(f'checkpoint {args.checkpoint} does not exist')
    return args


def write_metrics(metrics: dict, out: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w', encoding='utf-8') as f:
        json.dump({k: float(v) for k, v in metrics.items()}, f, indent=1)


def main() -> None:
    args = parse_args()
    cfg = load_config(args)
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    # untrained first: init_weights, then the checkpoint loads over it
    jobs: List[Tuple[Optional[str], str]] = []
    if args.untrained_out:
        jobs.append((None, args.untrained_out))
    if args.checkpoint:
        jobs.append((args.checkpoint, args.out))
    runner.call_hook('before_run')  # what Runner.test() does around its loop, once for all
    for checkpoint, out in jobs:
        if checkpoint:
            runner.load_checkpoint(checkpoint, map_location='cpu', strict=True)  # same config
        else:
            runner.model.init_weights()
        metrics = runner.test_loop.run()
        write_metrics(metrics, out)
        print(f'metrics of {checkpoint or "the untrained model"}: {metrics}', flush=True)
    runner.call_hook('after_run')


if __name__ == '__main__':
    cli_main(main)
