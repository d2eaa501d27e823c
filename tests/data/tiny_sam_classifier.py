# A tiny stock-mmpretrain classifier (LeNet5, no BatchNorm so that per-rank batches give the same
# gradient as one large batch) with ORSANet's DAREHead, trained with SAM(Adam) and the
# ImbalancedSampler. The test passes data_root with --cfg-options; images sit in
# <data_root>/<class>/*.png.
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)

data_root = 'data/tiny'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='LeNet5'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='DAREHead', num_classes=3, in_channels=120, warmup_epochs=2))
data_preprocessor = dict(num_classes=3, mean=[127.5], std=[127.5], to_rgb=False)
train_dataloader = dict(
    batch_size=8, num_workers=0,
    dataset=dict(type='CustomDataset', data_root=data_root, pipeline=[
        dict(type='LoadImageFromFile', color_type='grayscale'),
        dict(type='Resize', scale=32),
        dict(type='PackInputs'),
    ]),
    sampler=dict(type='ImbalancedSampler'))
optim_wrapper = dict(type='SAMOptimWrapper', rho=0.05,
                     optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.))
param_scheduler = dict(type='ExponentialLR', gamma=0.98, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=3)
custom_hooks = [dict(type='DAREWarmupHook')]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1))
# window 1: every logged loss is that iteration's own value
log_processor = dict(window_size=1)
randomness = dict(seed=0, deterministic=True)
