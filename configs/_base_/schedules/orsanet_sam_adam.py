# The official ORSANet optimiser (spec section 2): SAM (rho 0.05, not adaptive) around Adam with
# the default betas and no weight decay; ExponentialLR gamma 0.98 per epoch; batch 20 on one GPU.
# lr per dataset (override `optim_wrapper.optimizer.lr` in the dataset's config):
#   RAF-DB 4e-5 (400 epochs) | AffectNet-7/8 about 2e-6 | Occlu-FER about 4e-6
# AMP: `tools/train.py --amp` turns on autocast (bfloat16 on CPU, float16 + GradScaler on GPUs).
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.05,
    adaptive=False,
    optimizer=dict(type='Adam', lr=4e-5, betas=(0.9, 0.999), weight_decay=0.))
param_scheduler = dict(type='ExponentialLR', gamma=0.98, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=400, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# `--auto-scale-lr` scales lr linearly by (GPUs x batch per GPU) / 20
auto_scale_lr = dict(base_batch_size=20)
