# ORSANet at a small size (the official wiring; a tiny stock mmseg parser as the semantic prior)
# for end-to-end tests of tools/train.py and tools/test.py. Images: <data_root>/<class>/*.png.
_base_ = ['../../configs/_base_/models/orsanet_ir50.py', 'mmpretrain::_base_/default_runtime.py',
          './tiny_parser.py']

data_root = 'data/tiny'
model = dict(
    data_preprocessor=dict(num_classes=2),
    backbone=dict(num_stages=2, init_cfg=None),  # from scratch
    # random priors (the runner's seed makes them the same in every process and run); a
    # checkpoint does not carry them, so tools/test.py needs --random-weights to accept them
    semantic_prior=dict(
        _delete_=True,
        type='SemanticPrior',
        model={{_base_.tiny_parser}},
        output='probs'),
    landmark_prior=dict(checkpoint=None),
    fusion=dict(hidden_channels=16),
    neck=dict(depth=1),
    head=dict(num_classes=2, in_channels=64, warmup_epochs=1),
    embed_dims=64,
    input_size=112)
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(112, 112)),
    dict(type='PackInputs'),
]
dataloader = dict(
    batch_size=4, num_workers=0,
    dataset=dict(type='CustomDataset', data_root=data_root, pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
train_dataloader = dataloader
val_dataloader = dict(dataloader, sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4))
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=2)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='DAREWarmupHook')]
default_hooks = dict(logger=dict(type='LoggerHook', interval=1),
                     checkpoint=dict(type='CheckpointHook', interval=1))
randomness = dict(seed=0, deterministic=True)
