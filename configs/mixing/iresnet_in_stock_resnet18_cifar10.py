# The plugin's part in a stock config: mmpretrain's own ResNet-18 CIFAR-10 config with ORSANet's
# IResNet (registered in mmpretrain's scope: no prefix) as the backbone.
_base_ = ['mmpretrain::resnet/resnet18_8xb16_cifar10.py']
custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)

model = dict(
    backbone=dict(_delete_=True, type='IResNet', arch='ir50', num_stages=4),
    head=dict(in_channels=512))  # IResNet's last stage: 512 channels
