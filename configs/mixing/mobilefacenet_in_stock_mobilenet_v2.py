# The plugin's part in a stock config: mmpretrain's own MobileNetV2 ImageNet config with ORSANet's
# MobileFaceNet, which is registered in mmpose's scope: in an mmpretrain config it is
# `mmpose.MobileFaceNet` (`type='MobileFaceNet'` is not found, and the project's tools say so).
_base_ = ['mmpretrain::mobilenet_v2/mobilenet-v2_8xb32_in1k.py']
custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, type='mmpose.MobileFaceNet'),
    head=dict(in_channels=512))  # MobileFaceNet's last stage: 512 channels
