# ORSANet on RAF-DB ("r50" = the IR-50 face backbone), official architecture.
#   bash tools/dist_train.sh configs/orsanet_r50_rafdb.py 8
_base_ = [
    './_base_/models/orsanet_ir50.py',
    './_base_/datasets/rafdb.py',
    './_base_/schedules/orsanet_sam_adam.py',
    './_base_/default_runtime.py',
]
# RAF-DB's official log switches from the label-smoothing warm-up to DARE after epoch 7
model = dict(head=dict(warmup_epochs=7))
# The official loop draws every dataset with an imbalanced sampler (weight 1/count(class),
# len(dataset) draws with replacement per epoch), split across ranks without overlap
train_dataloader = dict(sampler=dict(type='ImbalancedSampler', _delete_=True))
