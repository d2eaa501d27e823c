# The official 68-point MobileFaceNet landmark model (ORSANet's landmark prior) as an mmpose
# top-down regression model: MobileFaceNet backbone + GDC head, 112 x 112 input, coordinates
# regressed as fractions of the input (RegressionLabel codec). Train/test it with mmpose's tools,
# e.g. `python tools/train.py configs/priors/mobilefacenet_68pt_300w.py` from an mmpose checkout
# (or mmengine's Runner) with this repository installed; load the official weights converted by
# `tools/model_converters/mobilefacenet_to_mmpose.py`.
_base_ = ['mmpose::_base_/default_runtime.py', '../_base_/normalization.py']

custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)
default_scope = 'mmpose'

# runtime
train_cfg = dict(max_epochs=60, val_interval=1)

# optimizer
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))

# learning policy
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),  # warm-up
    dict(type='MultiStepLR', begin=0, end=60, milestones=[40, 55], gamma=0.1, by_epoch=True)
]

# automatically scaling LR based on the actual training batch size
auto_scale_lr = dict(base_batch_size=256)

# hooks
default_hooks = dict(checkpoint=dict(save_best='NME', rule='less'))

# codec settings: landmarks as fractions of the 112 x 112 input, interleaved (x, y) per point
codec = dict(type='RegressionLabel', input_size=(112, 112))

# model settings
model = dict(
    type='TopdownPoseEstimator',
    # the official model sees ImageNet-normalised RGB (as ORSANet's classifier input)
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean={{_base_.imagenet_rgb_mean}},
        std={{_base_.imagenet_rgb_std}},
        bgr_to_rgb=True),
    backbone=dict(type='MobileFaceNet', out_indices=(4, )),
    head=dict(
        type='GDCHead',
        in_channels=512,
        num_joints=68,
        kernel_size=7,
        loss=dict(type='SmoothL1Loss', use_target_weight=True),
        decoder=codec),
    train_cfg=dict(),
    # the official model predicts without flip test; set flip_test=True to average with a flip
    test_cfg=dict(flip_test=False, shift_coords=True))

# base dataset settings
dataset_type = 'Face300WDataset'
data_mode = 'topdown'
data_root = 'data/300w/'

# pipelines, from steps a config inheriting this one can reuse ({{_base_.affine}} ...)
load = dict(type='LoadImage')
flip = dict(type='RandomFlip', direction='horizontal')
affine = dict(type='TopdownAffine', input_size=codec['input_size'])
target = dict(type='GenerateTarget', encoder=codec)
pack = dict(type='PackPoseInputs')
train_pipeline = [
    load, dict(type='GetBBoxCenterScale'), flip,
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=60, scale_factor=(0.75, 1.25)),
    affine, target, pack
]
val_pipeline = [load, dict(type='GetBBoxCenterScale'), affine, pack]

# data loaders
dataset_common = dict(type=dataset_type, data_root=data_root, data_mode=data_mode,
                      data_prefix=dict(img='images/'))
train_dataloader = dict(
    batch_size=64, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**dataset_common, ann_file='annotations/face_landmarks_300w_train.json',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(**dataset_common, ann_file='annotations/face_landmarks_300w_valid.json',
                 test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader

# evaluators: NME normalised by the outer eye corners (300W keypoints 36 and 45)
val_evaluator = dict(type='NME', norm_mode='keypoint_distance')
test_evaluator = val_evaluator
