# AffectNet-7: AffectNet-8 without Contempt (33,803 train / 3,500 test images, spec section 2).
_base_ = ['./affectnet8.py']
num_classes = 7
train_dataloader = dict(dataset=dict(num_classes=num_classes))
val_dataloader = dict(dataset=dict(num_classes=num_classes))
test_dataloader = val_dataloader
