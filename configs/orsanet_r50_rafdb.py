# ORSANet on RAF-DB basic ("r50" = the IR-50 face backbone): the official recipe.
#   bash tools/dist_train.sh configs/orsanet_r50_rafdb.py 8
# Starts from the converted IR-50 and priors (see configs/_base_/models/orsanet_ir50.py); lr 4e-5,
# label-smoothing warm-up for 7 epochs (the official log switches to DARE after epoch 7), the
# imbalanced sampler, batch 20, 400 epochs. Aims at 92.28 % (best epoch of the official log).
_base_ = ['./_base_/orsanet_official_recipe.py', './_base_/datasets/rafdb.py']
model = dict(head=dict(warmup_epochs=7))
optim_wrapper = dict(optimizer=dict(lr=4e-5))
