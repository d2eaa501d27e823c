# ORSANet as the official code builds it (spec section 1): IR-50 stages 1-3 at 112 px, a frozen
# Swin-B face parser (stage-4 features) and a frozen MobileFaceNet (conv_6_sep features), SPADE
# fusion, MCM (D 512, depth 8) and the SE + linear DARE head.
# Weights (nothing is downloaded; see docs/training.md): convert the released files with
#   python tools/model_converters/ir50_to_mmpretrain.py ir50.pth checkpoints/ir50_mmpretrain.pth
#   python tools/model_converters/segface_to_mmseg.py model_299.pt \
#       checkpoints/segface_swinb_lapa_mmseg.pth
#   python tools/model_converters/mobilefacenet_to_mmpose.py mobilefacenet_model_best.pth.tar \
#       checkpoints/mobilefacenet_68pt_mmpose.pth
# tools/train.py lists every weight file a config needs and lacks before it starts. The IR-50
# starts from the released face-recognition weights as in the official recipe; train it from
# scratch only by saying so: --cfg-options model.backbone.init_cfg=None. The priors' weights are
# loaded from their files, not saved into ORSANet checkpoints.
_base_ = ['../normalization.py']
custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)

model = dict(
    type='ORSANet',
    data_preprocessor=dict(
        num_classes=7,
        mean={{_base_.imagenet_rgb_mean}},  # the official normalisation
        std={{_base_.imagenet_rgb_std}},
        to_rgb=True),
    backbone=dict(
        type='IResNet', arch='ir50', num_stages=3, input_size=112,
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/ir50_mmpretrain.pth',
                      prefix='backbone.')),
    semantic_prior=dict(
        type='SemanticPrior',
        model='{{fileDirname}}/../../priors/segface_swinb_lapa.py',
        checkpoint='checkpoints/segface_swinb_lapa_mmseg.pth',
        layer='backbone.stages.3',  # output='features' (the default): the tapped layer's map
        # not in the SegFace weights and not run by the stage-4 tap: the decode head and the
        # per-stage output norms 0-2 (orsanet.conversion.segface.NOT_IN_SOURCE)
        allow_missing=('decode_head.', 'backbone.norm0.', 'backbone.norm1.', 'backbone.norm2.')),
    landmark_prior=dict(
        type='LandmarkPrior',
        model='{{fileDirname}}/../../priors/mobilefacenet_68pt_300w.py',
        checkpoint='checkpoints/mobilefacenet_68pt_mmpose.pth',
        layer='backbone.conv_6_sep',
        input_size=112,
        resize_mode='nearest'),
    fusion=dict(type='SPADEFusion', hidden_channels=128),
    # use_sdpa: attention by F.scaled_dot_product_attention (False: the softmax written out)
    neck=dict(type='MCMNeck', depth=8, num_heads=8, mlp_ratio=2., drop_path_rate=0.1,
              use_sdpa=True),
    head=dict(type='DAREHead', num_classes=7, in_channels=512),
    embed_dims=512,
    token_layout='official',
    input_size=224,
    # Fast paths (the same numbers; see README "Speed"): SAM's second pass reuses the frozen
    # priors' outputs; channels_last memory format for the convolutional parts (meant for GPUs
    # with tensor cores); torch.compile of the backbone, fusion and MCM
    # with an eager fallback (True or a dict of torch.compile arguments; `compile=True` at the
    # top level of a config is routed here by tools/train.py and tools/test.py)
    cache_priors=True,
    channels_last=False,
    compile=False)
