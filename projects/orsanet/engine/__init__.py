"""Training engine parts: optim wrappers (mmengine OPTIM_WRAPPERS), hooks (mmpretrain HOOKS) and
CPU-distributed support (mmengine MODEL_WRAPPERS)."""
from . import hooks, optim_wrappers  # noqa: F401
from .checkpoint_runner import runner_for_checkpoint
from .distributed import (
                          CPUDistributedDataParallel,
                          finish_distributed,
                          setup_cpu_distributed,
                          unwrap_model,
)
from .resume_check import ResumeError, check_resumable, resume_target
from .scope_hint import registry_scope_hint
from .weight_files import check_weight_files, missing_weight_files

__all__ = [
    'CPUDistributedDataParallel', 'ResumeError', 'check_resumable', 'check_weight_files',
    'finish_distributed', 'missing_weight_files', 'registry_scope_hint', 'resume_target',
    'runner_for_checkpoint', 'setup_cpu_distributed',
    'unwrap_model'
]
