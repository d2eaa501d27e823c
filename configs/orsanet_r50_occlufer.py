# ORSANet on Occlu-FER (8 classes; "r50" = the IR-50 face backbone), official architecture.
#   bash tools/dist_train.sh configs/orsanet_r50_occlufer.py 8
_base_ = [
    './_base_/models/orsanet_ir50.py',
    './_base_/datasets/occlu_fer.py',
    './_base_/schedules/orsanet_sam_adam.py',
    './_base_/default_runtime.py',
]
# Occlu-FER: 8 classes, label-smoothing warm-up for 5 epochs, lr about 4e-6 (spec section 2)
model = dict(data_preprocessor=dict(num_classes=8), head=dict(num_classes=8, warmup_epochs=5))
optim_wrapper = dict(optimizer=dict(lr=4e-6))
# The official loop draws every dataset with an imbalanced sampler (weight 1/count(class),
# len(dataset) draws with replacement per epoch), split across ranks without overlap
train_dataloader = dict(sampler=dict(type='ImbalancedSampler', _delete_=True))
