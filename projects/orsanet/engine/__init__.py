"""Training engine parts: optim wrappers (mmengine OPTIM_WRAPPERS), hooks (mmpretrain HOOKS) and
CPU-distributed support (mmengine MODEL_WRAPPERS)."""
from . import hooks, optim_wrappers  # noqa: F401
from .distributed import CPUDistributedDataParallel, setup_cpu_distributed

__all__ = ['CPUDistributedDataParallel', 'setup_cpu_distributed']
