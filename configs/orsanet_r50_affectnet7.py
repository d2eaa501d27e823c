# ORSANet on AffectNet-7 (no Contempt; at most 5,000 training images per class: 33,803 train /
# 3,500 test, as the official log): the official recipe, lr 2e-6, warm-up 5 epochs.
#   bash tools/dist_train.sh configs/orsanet_r50_affectnet7.py 8
# Aims at 66.69 % (best epoch of the official log).
_base_ = ['./_base_/orsanet_official_recipe.py', './_base_/datasets/affectnet7.py']
model = dict(head=dict(warmup_epochs=5))
optim_wrapper = dict(optimizer=dict(lr=2e-6))
