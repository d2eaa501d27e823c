"""Distributed training without GPUs: gloo process groups and DDP on CPU.

MMEngine assumes CUDA under ``--launcher pytorch``: it calls ``torch.cuda.set_device`` and gives DDP
``device_ids=[LOCAL_RANK]``, both of which fail on a CPU-only machine. :func:`setup_cpu_distributed`
makes the same command work there (for tests and CPU clusters); on GPUs it does nothing.
"""
import os
from typing import Any

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel, is_model_wrapper
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` for a module on CPU: drops the GPU ``device_ids``.

    The runner passes ``device_ids=[LOCAL_RANK]``; torch refuses them for CPU modules.
    """

    def __init__(self, module: torch.nn.Module, **kwargs: Any) -> None:
        kwargs.pop('device_ids', None)
        kwargs.pop('output_device', None)
        super().__init__(module=module, **kwargs)


def unwrap_model(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DDP / DataParallel wrapper (the model itself if not wrapped)."""
    return model.module if is_model_wrapper(model) else model


def setup_cpu_distributed(cfg: Config) -> Config:
    """Under a distributed launcher without CUDA, join a gloo group and use CPU DDP.

    The process group is created here from the torchrun variables (RANK, WORLD_SIZE,
    MASTER_ADDR, MASTER_PORT); MMEngine's runner then finds it initialised and skips its
    CUDA-only set-up.
    """
    if cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available():
        return cfg
    if cfg.get('sync_bn'):
        raise ValueError(f'sync_bn={cfg.sync_bn!r}: torch SyncBatchNorm runs on GPUs only; '
                         'on CPU processes each keeps its own BatchNorm statistics: set '
                         'sync_bn=None (--cfg-options sync_bn=None)')
    if cfg.launcher != 'pytorch':
        raise ValueError(f'--launcher {cfg.launcher} without CUDA is not supported; use '
                         '--launcher pytorch (tools/dist_train.sh) for CPU training')
    for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if name not in os.environ:
            raise RuntimeError(f'--launcher pytorch needs ${name}: start through torchrun '
                               '(tools/dist_train.sh / tools/dist_test.sh)')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='CPUDistributedDataParallel')
    if wrapper.get('type') in (None, 'MMDistributedDataParallel'):
        wrapper['type'] = 'CPUDistributedDataParallel'
    cfg.model_wrapper_cfg = wrapper
    return cfg


def finish_distributed() -> None:
    """Leave the process group in step with the other ranks (a barrier, then destroy it).

    Without it each process tears gloo down at interpreter exit on its own; a rank whose peer
    has already closed its sockets can then abort in gloo's threads ("terminate called without
    an active exception") after the run itself has finished.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
