# ORSANet on AffectNet-8 (at most 5,000 training images per class: 37,553 train / 4,000 test, as
# the official log): the official recipe, 8 classes, lr 2e-6, warm-up 5 epochs.
#   bash tools/dist_train.sh configs/orsanet_r50_affectnet8.py 8
# Aims at 62.95 % (best epoch of the official log).
_base_ = ['./_base_/orsanet_official_recipe.py', './_base_/datasets/affectnet8.py']
model = dict(data_preprocessor=dict(num_classes=8), head=dict(num_classes=8, warmup_epochs=5))
optim_wrapper = dict(optimizer=dict(lr=2e-6))
