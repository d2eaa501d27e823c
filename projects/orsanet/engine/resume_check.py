"""``--resume`` that resumes or stops: never "resumed from None" and a run from scratch, never a
truncated or foreign checkpoint loaded half-way.

:func:`resume_target` picks the checkpoint (the given one, or the work dir's ``last_checkpoint``)
and stops when there is none; :func:`check_resumable` reads it before training (memory-mapped:
no copy of the weights) and stops when it is unreadable, not a training checkpoint, or does not
fit the model, naming the earlier checkpoints of its folder that would work.
"""
import glob
import os
import os.path as osp
from typing import Dict, List, Optional

import torch

from ..checkpoints import CheckpointError, read_checkpoint
from .distributed import unwrap_model

SHOWN = 5  # keys or checkpoints named in a message


class ResumeError(RuntimeError):
    """``--resume`` cannot resume; the message names the checkpoint and what to do."""


def _checkpoints(folder: str) -> List[str]:
    """The ``.pth`` files of ``folder``, newest first."""
    return sorted(glob.glob(osp.join(folder, '*.pth')), key=osp.getmtime, reverse=True)


def resume_target(work_dir: str, requested: Optional[str] = None) -> str:
    """The checkpoint ``--resume [requested]`` resumes from.

    Raises:
        ResumeError: ``requested`` does not exist, or the work dir has no ``last_checkpoint``
            (or names a missing file).
    """
    if requested is not None:
        if not osp.isfile(requested):
            raise ResumeError(f'--resume {requested}: the file does not exist')
        return requested
    record = osp.join(work_dir, 'last_checkpoint')
    present = _checkpoints(work_dir)
    if not osp.isfile(record):
        hint = (f' It holds {", ".join(osp.basename(p) for p in present[:SHOWN])}: pass one with '
                '--resume PATH.' if present else ' Run without --resume to start training.')
        raise ResumeError(f'--resume: the work dir {work_dir} has no checkpoint to resume from '
                          f'(no last_checkpoint file).{hint}')
    with open(record, encoding='utf-8') as f:
        target = f.read().strip()
    if not osp.isfile(target):
        raise ResumeError(f'--resume: {record} names {target!r}, which does not exist.'
                          + _usable_hint(work_dir, None, target))
    return target


def checkpoint_problem(path: str, model_state: Dict[str, torch.Tensor]) -> Optional[str]:
    """Why ``path`` cannot be resumed into a model with ``model_state``, or None."""
    try:
        checkpoint = read_checkpoint(path, mmap=True)
    except (CheckpointError, OSError) as err:
        cause = err.__cause__ or err
        reason = str(cause).strip().splitlines()[0][:200] if str(cause).strip() else ''
        return (f'it cannot be read ({type(cause).__name__}: {reason}); the file is truncated '
                'or not a checkpoint')
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint \
            or 'iter' not in (checkpoint.get('meta') or {}):
        return ('it is not a training checkpoint of tools/train.py (no state_dict and meta.iter '
                'to resume the loop from)')
    return _mismatch(checkpoint['state_dict'], model_state)


def _mismatch(saved: Dict[str, torch.Tensor],
              model_state: Dict[str, torch.Tensor]) -> Optional[str]:
    missing = [k for k in model_state if k not in saved]
    unexpected = [k for k in saved if k not in model_state]
    reshaped = [f'{k} {tuple(saved[k].shape)} vs {tuple(model_state[k].shape)}'
                for k in model_state if k in saved and hasattr(saved[k], 'shape')
                and tuple(saved[k].shape) != tuple(model_state[k].shape)]
    parts = [f'{len(keys)} {what} ({", ".join(keys[:SHOWN])}{", ..." if len(keys) > SHOWN else ""})'
             for what, keys in (('keys the model needs are missing', missing),
                                ('keys the model does not have', unexpected),
                                ('weights of another shape (checkpoint vs model)', reshaped))
             if keys]
    return 'it is a checkpoint of another model: ' + '; '.join(parts) if parts else None


def _usable_hint(folder: str, model_state: Optional[Dict[str, torch.Tensor]],
                 bad: str) -> str:
    """Which other checkpoints of ``folder`` could be resumed from (checked if a model state
    is given), newest first."""
    usable = []
    for path in _checkpoints(folder):
        if osp.abspath(path) == osp.abspath(bad):
            continue
        if model_state is None or checkpoint_problem(path, model_state) is None:
            usable.append(path)
        if len(usable) == SHOWN:
            break
    if not usable:
        return (f' No other checkpoint in {folder} can be resumed from: start again without '
                '--resume (in a new --work-dir to keep this one).')
    return (f' Checkpoints in {folder} that can be resumed from, newest first: '
            f'{", ".join(usable)}; pass one with --resume PATH.')


def check_resumable(path: str, model: torch.nn.Module) -> None:
    """Stop before training when ``path`` cannot be resumed into ``model`` (its state dict as
    the runner saves it, wrappers removed)."""
    model_state = unwrap_model(model).state_dict()
    problem = checkpoint_problem(path, model_state)
    if problem is not None:
        raise ResumeError(f'--resume: cannot resume from {path}: {problem}.'
                          + _usable_hint(osp.dirname(path) or os.curdir, model_state, path))
