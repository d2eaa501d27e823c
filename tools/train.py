"""Train a model from a config with MMEngine's Runner (the OpenMMLab ``tools/train.py`` form).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG GPUS [same options]
"""
import argparse

from mmengine.config import Config
from mmengine.runner import Runner

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import add_common_args, load_config
from orsanet.engine import check_weight_files, setup_cpu_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model (ORSANet-MM)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint in the work dir '
                        'when no path is given')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the total batch size (cfg.auto_scale_lr)')
    parser.add_argument('--no-validate', action='store_true', help='skip validation')
    add_common_args(parser)
    return parser.parse_args()


def apply_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the training options to the config."""
    if args.amp:
        wrapper = cfg.optim_wrapper
        if wrapper.get('type', 'OptimWrapper') == 'OptimWrapper':
            wrapper.type = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError(f'--auto-scale-lr needs `auto_scale_lr = dict(base_batch_size=...)` '
                           f'in {args.config}')
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    return cfg


def main() -> None:
    args = parse_args()
    cfg = apply_train_args(load_config(args), args)
    check_weight_files(cfg)  # every missing file at once, with its converter, before building
    runner = Runner.from_cfg(setup_cpu_distributed(cfg))
    runner.train()


if __name__ == '__main__':
    main()
