# AffectNet-7: AffectNet-8 without Contempt (33,803 train / 3,500 test images, spec section 2).
_base_ = ['./affectnet8.py']
train_dataloader = dict(dataset=dict(num_classes=7))
val_dataloader = test_dataloader = dict(dataset=dict(num_classes=7))
