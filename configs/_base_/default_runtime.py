# ORSANet-MM's default runtime: mmpretrain's, plus the checkpoint that keeps the best accuracy,
# the DARE warm-up hook, and seeding (set `randomness.deterministic=True` for bitwise-repeatable
# CPU runs and resumes; it slows GPU training).
_base_ = ['mmpretrain::_base_/default_runtime.py']

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='accuracy/top1', rule='greater'))
custom_hooks = [dict(type='DAREWarmupHook')]
randomness = dict(seed=0, deterministic=False)
# fixed 224-px inputs: let cuDNN pick the fastest convolution algorithms (ignored on CPU and
# turned off by randomness.deterministic=True)
env_cfg = dict(cudnn_benchmark=True)
# Multi-GPU: by default each rank's BatchNorm (the IR-50's) normalises with its own per-GPU
# batch and keeps its own running statistics (rank 0's are saved), like the official
# DataParallel per replica. 'torch' converts them to SyncBatchNorm (statistics of the global
# batch; GPUs only). See docs/training.md.
sync_bn = None
