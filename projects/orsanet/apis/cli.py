"""What the command-line tools share: the common options, loading the config, and
:func:`cli_main`, which turns a known error into one message and exit status 1."""
import argparse
import os
import os.path as osp
import sys
from typing import Callable, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from .config_options import merge_cfg_options

# Models whose own `compile` option compiles their trainable parts with an eager fallback.
SELF_COMPILING_MODELS = ('ORSANet', )
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def add_cfg_options_args(parser: argparse.ArgumentParser) -> None:
    """``--cfg-options`` and ``--cfg-new-keys`` (see :func:`merge_cfg_options`)."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_dataloader.batch_size=8; a key '
                        'the config does not have is refused (see --cfg-new-keys)')
    parser.add_argument('--cfg-new-keys', action='store_true',
                        help='let --cfg-options add keys the config does not have (MMEngine\'s '
                        'semantics), e.g. a dataset argument left at its default')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """``--work-dir``, ``--cfg-options``, ``--cfg-new-keys``, ``--launcher`` and
    ``--local-rank``."""
    parser.add_argument('--work-dir', help='where logs, checkpoints and metrics go '
                        '(default: ./work_dirs/<config name>)')
    add_cfg_options_args(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_check_data_arg(parser: argparse.ArgumentParser) -> None:
    """``--check-data`` (tools/train.py and tools/test.py run :func:`check_data`)."""
    parser.add_argument('--check-data', action='store_true',
                        help='before the first iteration, load every image of every split the '
                        'run uses and stop with a count and the first paths of those that are '
                        'missing or cannot be decoded')


def load_config(args: argparse.Namespace) -> Config:
    """The config file with the common options applied."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    merge_cfg_options(cfg, args.cfg_options, getattr(args, 'cfg_new_keys', False))
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    route_compile(cfg)
    fit_dataloaders(cfg)
    return cfg


def route_compile(cfg: Config) -> Config:
    """Hand MMEngine's ``cfg.compile`` to a model that compiles itself (ORSANet).

    MMEngine compiles the whole ``train_step`` (the data preprocessor, SAM's hooks and its two
    passes, the priors' early stop) and fails or recompiles there; ORSANet's ``compile`` option
    compiles its trainable parts only and falls back to eager per part, with a warning.
    """
    compile_cfg = cfg.get('compile', None)
    model = cfg.get('model', None)
    if compile_cfg in (None, False) or not isinstance(model, dict):
        return cfg
    if model.get('type') in SELF_COMPILING_MODELS:
        model['compile'] = compile_cfg
        cfg.compile = False
        print_log(f'compile={compile_cfg!r} is applied by {model["type"]} to its trainable '
                  'parts (model.compile), not to the whole train_step', logger='current')
    return cfg


def fit_dataloaders(cfg: Config) -> Config:
    """Drop loader options that cannot apply here: ``persistent_workers`` without workers
    (torch refuses it) and ``pin_memory`` without CUDA (torch warns on every loader)."""
    for name in DATALOADERS:
        loader = cfg.get(name, None)
        if not isinstance(loader, dict):
            continue
        if loader.get('persistent_workers') and not loader.get('num_workers', 0):
            loader['persistent_workers'] = False
        if loader.get('pin_memory') and not torch.cuda.is_available():
            loader['pin_memory'] = False
    return cfg


# Errors that carry a message for the user (a file, a key, a missing extra, bad input): shown as
# one line, exit status 1. Any other exception is a bug: its traceback is shown as Python does.
KNOWN_ERRORS = (OSError, ImportError, ValueError, KeyError, SyntaxError)
DEBUG_FLAG = '--debug'


def is_known_error(err: BaseException) -> bool:
    """An error meant for the user: :data:`KNOWN_ERRORS`, or any class of this package (e.g.
    ``ResumeError``, ``RuntimeMismatchError``)."""
    return isinstance(err, KNOWN_ERRORS) or type(err).__module__.split('.')[0] == 'orsanet'


def error_message(err: BaseException) -> str:
    """``'error: <message>'`` of an exception (a KeyError's message without its quotes)."""
    if isinstance(err, KeyError) and type(err).__str__ is KeyError.__str__ and \
            len(err.args) == 1 and isinstance(err.args[0], str):
        text = err.args[0]
    else:
        text = str(err) or type(err).__name__
    return text if text.startswith('error: ') else f'error: {text}'


def cli_main(main: Callable[[], Optional[int]], argv: Optional[list] = None) -> None:
    """Run a tool's ``main()`` and exit: with its return value (an int), 0, or 1 and one line
    ``error: <message> (--debug shows the traceback)`` on stderr for a known error
    (:func:`is_known_error`). ``--debug`` anywhere on the command line (taken out before
    ``main`` parses it) or ``ORSANET_DEBUG=1`` lets the error through with its traceback.

    Every tool ends with ``if __name__ == '__main__': cli_main(main)``.
    """
    argv = sys.argv if argv is None else argv
    debug = DEBUG_FLAG in argv[1:] or os.environ.get('ORSANET_DEBUG', '') in ('1', 'true')
    argv[1:] = [a for a in argv[1:] if a != DEBUG_FLAG]
    try:
        code = main()
    except KeyboardInterrupt:
        if debug:
            raise
        print('stopped (Ctrl-C); what was written so far is kept', file=sys.stderr)
        sys.exit(130)
    except Exception as err:  # sorted: known errors vs bugs
        if debug or not is_known_error(err):
            raise
        sys.stderr.flush()
        print(f'{error_message(err)}\n({type(err).__name__}; {DEBUG_FLAG} shows the '
              'traceback)', file=sys.stderr)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
