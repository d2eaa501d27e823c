# ORSANet at demo size (`make demo`) on the synthetic RAF-DB layout: the official wiring (backbone
# -> image tokens, frozen semantic prior -> SPADE fusion, frozen landmark prior -> MCM, DARE head
# with its warm-up) with the two priors the demo trains itself (parser_small.py,
# landmarks_mobilefacenet.py). Reduced for 2 CPU cores:
# - image backbone: a narrow ResNet-18 (3 stages, 16 base channels) instead of IR-50: IR-50 keeps
#   64 channels at full resolution and costs about 4x more per image even at 2 stages;
# - D = 64, MCM depth 1, SPADE hidden 32, 112-px input;
# - AdamW + cosine for a few epochs instead of SAM + Adam for 400 (SAM doubles each step).
_base_ = [
    '../_base_/models/orsanet_ir50.py',
    '../_base_/datasets/rafdb.py',
    'mmpretrain::_base_/default_runtime.py',
]
data_root = 'work_dirs/demo/data'
prior_dir = 'work_dirs/demo/priors'
image_backbone = dict(
    type='ResNet', depth=18, stem_channels=16, base_channels=16, num_stages=3,
    strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ))  # 112 px -> 64 x 7 x 7
model = dict(
    backbone=dict(_delete_=True, **image_backbone),
    semantic_prior=dict(
        _delete_=True,
        type='SemanticPrior',
        model='{{fileDirname}}/parser_small.py',
        checkpoint=prior_dir + '/parser_small.pth',
        output='probs',  # the 11 parsing probabilities (the paper's parsing maps)
        input_size=112,
        fuse_conv_bn=True),
    # both priors run a copy with BN folded into the convolutions (exact up to rounding):
    # MobileFaceNet takes 0.22 s a batch of 32 on CPU instead of 0.28 s, half of a step here
    landmark_prior=dict(
        model='{{fileDirname}}/landmarks_mobilefacenet.py',
        checkpoint=prior_dir + '/landmarks_mobilefacenet.pth',
        fuse_conv_bn=True),
    fusion=dict(hidden_channels=32),
    neck=dict(depth=1, drop_path_rate=0.),
    head=dict(in_channels=64, warmup_epochs=1),
    embed_dims=64,
    input_size=112,
    channels_last=True)  # CPU: about 0.48 s per training step of 32 faces against 0.62 s

# the FER pipelines' steps at 112 px, OpenCV resizing and mmpretrain's erasing (fast on 2 cores)
train_pipeline = [
    dict(type='LoadImageFromFile'), {{_base_.flip}}, dict(type='Resize', scale=(112, 112)),
    dict(type='RandomErasing', erase_prob=0.5, min_area_ratio=0.02, max_area_ratio=0.1,
         mode='const', fill_color={{_base_.imagenet_bgr_mean}}), {{_base_.pack}}
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(112, 112)),
                 {{_base_.pack}}]
# in-process loading: on 2 cores, worker processes only take cycles from the model
loader = dict(num_workers=0, persistent_workers=False, pin_memory=False)
# the demo's balanced synthetic faces are shuffled, not drawn by the recipes' imbalanced sampler
train_dataloader = dict(batch_size=32, **loader,
                        sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, **loader,
                      dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 3
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=1e-5, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [dict(type='DAREWarmupHook')]
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=max_epochs))
randomness = dict(seed=0)
