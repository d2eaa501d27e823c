# Stock parts in the plugin's config: ORSANet (RAF-DB recipe) with mmpretrain's
# GlobalAveragePooling neck and LinearClsHead in place of MCMNeck and DAREHead. One edit: the
# neck gets the fused map the stock way (the landmark prior goes unused, with a warning) and the
# inherited DAREWarmupHook stands aside with one warning, as the model has no DAREHead.
_base_ = ['../orsanet_r50_rafdb.py']

model = dict(
    neck=dict(_delete_=True, type='GlobalAveragePooling'),
    head=dict(_delete_=True, type='LinearClsHead', num_classes=7, in_channels=512,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, )))
