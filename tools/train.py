"""Train a model from a config with MMEngine's Runner (the OpenMMLab ``tools/train.py`` form).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--check-data]
        [--cfg-options k=v ...] [--cfg-new-keys]
    bash tools/dist_train.sh CONFIG GPUS [same options]
"""
import argparse

from mmengine.config import Config
from mmengine.runner import Runner

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet import engine
from orsanet.apis import add_check_data_arg, add_common_args, load_config
from orsanet.apis.cli import cli_main
from orsanet.datasets.image_check import check_data


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model (ORSANet-MM)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint in the work dir '
                        '(its last_checkpoint file) when no path is given; stops if there is '
                        'none or it cannot be resumed from')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the total batch size (cfg.auto_scale_lr)')
    parser.add_argument('--no-validate', action='store_true', help='skip validation')
    add_check_data_arg(parser)
    add_common_args(parser)
    return parser.parse_args()


def apply_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the training options to the config."""
    if args.amp:
        wrapper = cfg.optim_wrapper
        if wrapper.get('type', 'OptimWrapper') == 'OptimWrapper':
            wrapper.type = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume is not None:
        requested = None if args.resume == 'auto' else args.resume
        cfg.resume, cfg.load_from = True, engine.resume_target(cfg.work_dir, requested)
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
    engine.check_weight_files(cfg)  # every missing weight file at once, before building
    if args.check_data:
        check_data(cfg)
    with engine.registry_scope_hint():  # a plugin name in the wrong scope gets its scope
        runner = Runner.from_cfg(engine.setup_cpu_distributed(cfg))
    if cfg.resume:
        engine.check_resumable(cfg.load_from, runner.model)
    runner.train()
    engine.finish_distributed()


if __name__ == '__main__':
    cli_main(main)
