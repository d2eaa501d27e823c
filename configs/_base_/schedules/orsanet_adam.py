# The official optimiser without SAM (SAM arrives with the training-engine issue): Adam with the
# default betas and no weight decay, ExponentialLR gamma 0.98 per epoch, batch 20 on one GPU.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=4e-5, betas=(0.9, 0.999), weight_decay=0.))
param_scheduler = dict(type='ExponentialLR', gamma=0.98, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=400, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=20)
