# The demo's landmark model (`make demo`): the ORSANet landmark-prior architecture (MobileFaceNet +
# GDCHead, 68 points regressed at 112 px, configs/priors/mobilefacenet_68pt_300w.py) trained
# briefly with mmpose's own runner on the synthetic 300W-style keypoints
# (tools/dataset_converters/make_synthetic_fer.py). Reports NME (outer eye corners).
_base_ = ['../priors/mobilefacenet_68pt_300w.py']

data_root = 'work_dirs/demo/data/landmarks/'
max_epochs = 3
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs, eta_min=1e-5,
         by_epoch=True)
]
codec = dict(type='RegressionLabel', input_size=(112, 112))
# GDCHead ends in BatchNorm1d(136): at its default init (weight 1, bias 0) the outputs spread
# over about +-1 where the targets (fractions of the input) sit in 0.15..0.85, and shrinking
# that scale costs hundreds of Adam steps. Start it at the targets' scale instead.
model = dict(head=dict(init_cfg=[
    dict(type='Normal', layer='Linear', std=0.01),
    dict(type='Constant', layer='BatchNorm1d', val=0.05, bias=0.5)]))
# ORSANet feeds the landmark prior the whole 112-px aligned face. The synthetic annotations'
# face box is that whole crop (tools/dataset_converters/make_synthetic_fer.py), so with no
# padding the model learns in exactly the frame it is used in.
bbox_padding = 1.0
box = dict(type='GetBBoxCenterScale', padding=bbox_padding)
train_pipeline = [
    {{_base_.load}}, box, {{_base_.flip}},
    dict(type='RandomBBoxTransform', shift_prob=0, rotate_factor=10, scale_factor=(0.9, 1.1)),
    {{_base_.affine}}, {{_base_.target}}, {{_base_.pack}}
]
val_pipeline = [{{_base_.load}}, box, {{_base_.affine}}, {{_base_.pack}}]
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    # indices: the first N training faces only (None: all; the quick demo trains on fewer)
    dataset=dict(data_root=data_root, ann_file='annotations/face_landmarks_300w_train.json',
                 pipeline=train_pipeline, indices=None))
val_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='annotations/face_landmarks_300w_test.json',
                 pipeline=val_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(interval=max_epochs, save_best=None))
# channels_last convolution weights: a training step of 32 takes 1.03 s on CPU instead of 1.18 s;
# MobileFaceNet is dominated by depthwise convolutions and PReLU (orsanet ChannelsLastHook)
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='mmpretrain.ChannelsLastHook')]
randomness = dict(seed=0)
