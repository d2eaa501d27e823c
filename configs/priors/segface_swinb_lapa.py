# SegFace's face-parsing Swin-B on LaPa (11 classes, 224 x 224) as an mmseg EncoderDecoder: the
# semantic prior of ORSANet. The backbone is mmseg's own SwinTransformer with torchvision's shift
# rule (FaceSwinTransformer); the decode head is mmseg's all-MLP SegformerHead, which mirrors
# SegFace's per-stage projections + 1x1 fusion (SegFace's own mask decoder has no mmseg
# counterpart). Convert the released `model_299.pt` with
#   python tools/model_converters/segface_to_mmseg.py model_299.pt segface_swinb_lapa_mmseg.pth
# (backbone weights only), then give both files to SemanticPrior (allow_missing lists the head),
# or train the head with mmseg's tools / mmengine's Runner (this repository installed), starting
# from model.backbone.init_cfg=dict(type='Pretrained', checkpoint='segface_swinb_lapa_mmseg.pth').
_base_ = [
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_160k.py',
    '../_base_/normalization.py'
]

custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)
default_scope = 'mmseg'

crop_size = (224, 224)
num_classes = 11
# the official ORSANet feeds ImageNet-normalised RGB to this Swin
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean={{_base_.imagenet_rgb_mean}},
    std={{_base_.imagenet_rgb_std}},
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN for multi-GPU training
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='FaceSwinTransformer',
        skip_shift_when_window_covers=True,
        pretrain_img_size=224,
        embed_dims=128,
        patch_size=4,
        window_size=7,
        mlp_ratio=4,
        depths=(2, 2, 18, 2),
        num_heads=(4, 8, 16, 32),
        strides=(4, 2, 2, 2),
        out_indices=(0, 1, 2, 3),
        qkv_bias=True,
        patch_norm=True,
        drop_path_rate=0.3,
        use_abs_pos_embed=False),
    decode_head=dict(
        type='SegformerHead',
        in_channels=[128, 256, 512, 1024],
        in_index=[0, 1, 2, 3],
        channels=256,
        dropout_ratio=0.1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# dataset: LaPa (https://github.com/JDAI-CV/lapa-dataset) as released:
#   data/lapa/{train,val,test}/images/*.jpg and .../labels/*.png (label ids 0..10, below)
dataset_type = 'BaseSegDataset'
data_root = 'data/lapa/'
metainfo = dict(
    classes=('background', 'skin', 'left_eyebrow', 'right_eyebrow', 'left_eye', 'right_eye',
             'nose', 'upper_lip', 'inner_mouth', 'lower_lip', 'hair'),
    palette=[[0, 0, 0], [255, 204, 153], [0, 102, 0], [0, 204, 0], [0, 0, 153], [0, 0, 255],
             [255, 153, 51], [204, 0, 0], [255, 255, 102], [153, 0, 76], [102, 51, 0]])
dataset_common = dict(
    type=dataset_type,
    data_root=data_root,
    metainfo=metainfo,
    img_suffix='.jpg',
    seg_map_suffix='.png',
    reduce_zero_label=False)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=crop_size, ratio_range=(1.0, 1.25), keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size),
    # a horizontal flip turns left brows/eyes into right ones
    dict(type='RandomFlip', prob=0.5, swap_seg_labels=[(2, 3), (4, 5)]),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
workers = dict(num_workers=4, persistent_workers=True)
train_dataloader = dict(
    batch_size=16, **workers, sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(**dataset_common, pipeline=train_pipeline,
                 data_prefix=dict(img_path='train/images', seg_map_path='train/labels')))
val_dataloader = dict(
    batch_size=1, **workers, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**dataset_common, pipeline=test_pipeline,
                 data_prefix=dict(img_path='val/images', seg_map_path='val/labels')))
test_dataloader = dict(val_dataloader, dataset=dict(
    val_dataloader['dataset'], data_prefix=dict(img_path='test/images',
                                                 seg_map_path='test/labels')))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU', 'mFscore'])
test_evaluator = val_evaluator

# schedule: AdamW as mmseg's Swin recipes (no decay on norms and position tables)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'relative_position_bias_table': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000, by_epoch=False)
]
