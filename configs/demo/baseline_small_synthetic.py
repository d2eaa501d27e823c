# The demo's ablation: the same image backbone, data, pipelines, optimiser and epochs as
# orsanet_small_synthetic.py, without the priors. ORSANet without its priors has no semantic map
# for SPADE and no landmark tokens for MCM, so the honest "no prior" model is the stock
# mmpretrain classifier on the same backbone: ResNet -> global average pooling -> linear head.
_base_ = ['./orsanet_small_synthetic.py']
model = dict(
    _delete_=True,
    type='ImageClassifier',
    data_preprocessor=dict(num_classes=7, mean={{_base_.imagenet_rgb_mean}},
                           std={{_base_.imagenet_rgb_std}}, to_rgb=True),
    backbone={{_base_.image_backbone}},
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=7, in_channels=64,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
custom_hooks = [dict(type='ChannelsLastHook')]  # what ORSANet's channels_last does
