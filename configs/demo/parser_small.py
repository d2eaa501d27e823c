# A small face parser for the demo (`make demo`): a narrow ResNetV1c-18 (3 stages, output
# stride 4 through dilation) + FCN head, trained with mmseg's own runner on the synthetic
# 11-class LaPa-style parsing dataset at 112 px (tools/dataset_converters/make_synthetic_fer.py).
# A couple of minutes on 2 CPU cores; ORSANet's frozen semantic prior in the demo.
_base_ = ['mmseg::_base_/default_runtime.py', '../_base_/normalization.py']

custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)
default_scope = 'mmseg'

data_root = 'work_dirs/demo/data/parsing'
crop_size = (112, 112)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean={{_base_.imagenet_rgb_mean}},  # as the ORSANet classifier's input
    std={{_base_.imagenet_rgb_std}},
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c', depth=18, stem_channels=16, base_channels=16, num_stages=3,
        strides=(1, 1, 1), dilations=(1, 2, 4), out_indices=(2, ),
        norm_cfg=dict(type='BN', requires_grad=True)),
    decode_head=dict(
        type='FCNHead', in_channels=64, channels=32, num_convs=1, concat_input=False,
        num_classes=11, in_index=0, dropout_ratio=0.0, align_corners=False,
        norm_cfg=dict(type='BN', requires_grad=True),
        # the small parts (brows, eyes, lips) cover a few pixels each: weight them up
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0,
                         class_weight=[1., 1., 4., 4., 4., 4., 2., 4., 4., 4., 1.])),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

metainfo = dict(
    classes=('background', 'skin', 'left_eyebrow', 'right_eyebrow', 'left_eye', 'right_eye',
             'nose', 'upper_lip', 'inner_mouth', 'lower_lip', 'hair'),
    palette=[[0, 0, 0], [255, 204, 153], [0, 102, 0], [0, 204, 0], [0, 0, 153], [0, 0, 255],
             [255, 153, 51], [204, 0, 0], [255, 255, 102], [153, 0, 76], [102, 51, 0]])
dataset = dict(type='BaseSegDataset', data_root=data_root, metainfo=metainfo,
               img_suffix='.jpg', seg_map_suffix='.png', reduce_zero_label=False)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5, swap_seg_labels=[(2, 3), (4, 5)]),  # left <-> right
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=16, num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**dataset, pipeline=train_pipeline,
                 data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train')))
val_dataloader = dict(
    batch_size=16, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**dataset, pipeline=test_pipeline,
                 data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val')))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator

max_iters = 300
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters))
randomness = dict(seed=0)
