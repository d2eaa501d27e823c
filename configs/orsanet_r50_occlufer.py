# ORSANet on Occlu-FER: the official recipe, lr 4e-6, warm-up 5 epochs, 6,838 train / 880 test.
#   bash tools/dist_train.sh configs/orsanet_r50_occlufer.py 8
# 7 classes AN, DI, FE, HA, NE, SA, SU (the released data). With a CO folder the dataset has 8
# classes, CO last: add --cfg-options model.head.num_classes=8 model.data_preprocessor.num_classes=8
# (the official train.py always builds 8 outputs; the 8th is never trained without CO data).
# Aims at 68.07 % (best epoch of the official log).
_base_ = ['./_base_/orsanet_official_recipe.py', './_base_/datasets/occlu_fer.py']
model = dict(head=dict(warmup_epochs=5))
optim_wrapper = dict(optimizer=dict(lr=4e-6))
