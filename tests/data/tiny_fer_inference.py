# A small ORSANet for the inference / explanation / t-SNE tests: the official wiring at D 64 with
# 'spatial' tokens (image token i = grid cell i, so attention maps are spatial), a tiny stock
# mmseg parser as the semantic prior and a random MobileFaceNet, 112-px inputs. The test set is
# built-in synthetic faces (nothing on disk).
_base_ = ['../../configs/_base_/models/orsanet_ir50.py', './tiny_parser.py']

model = dict(
    backbone=dict(num_stages=1, init_cfg=None),  # from scratch
    # random priors whose weights go into (and come back from) the model's checkpoints
    semantic_prior=dict(
        _delete_=True,
        type='SemanticPrior',
        model={{_base_.tiny_parser}},
        output='features',
        layer='backbone',
        save_weights=True),
    landmark_prior=dict(checkpoint=None, save_weights=True),
    fusion=dict(hidden_channels=16),
    neck=dict(depth=1),
    head=dict(in_channels=64, warmup_epochs=1),
    embed_dims=64,
    token_layout='spatial',
    input_size=112)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(112, 112)),
    dict(type='PackInputs'),
]
test_dataloader = dict(
    batch_size=8, num_workers=0,
    dataset=dict(type='SyntheticFER', num_samples=35, image_size=112, split='test',
                 test_mode=True, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
