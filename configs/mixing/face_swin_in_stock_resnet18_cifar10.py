# The plugin's part in a stock config: ORSANet's FaceSwinTransformer (mmseg's scope, hence the
# `mmseg.` prefix) as the backbone of mmpretrain's ResNet-18 CIFAR-10 config, with the config's
# stock GlobalAveragePooling neck and LinearClsHead. FaceSwinTransformer returns a tuple, as
# mmpretrain necks expect (mmseg's own SwinTransformer returns a list: docs/mixing.md).
_base_ = ['mmpretrain::resnet/resnet18_8xb16_cifar10.py']
custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, type='mmseg.FaceSwinTransformer', pretrain_img_size=32,
                  embed_dims=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), window_size=7,
                  out_indices=(3, )),
    head=dict(in_channels=768))  # Swin-T's last stage: 8 * 96 channels
