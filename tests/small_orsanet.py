"""The small ORSANet of the model, fast-path and SAM tests (importable: tests/ is on the path).

``small_model_cfg`` is the official wiring at a small size (tiny stock parser, MobileFaceNet, MCM
depth 1, D 64, random priors); ``samples`` makes data samples with labels.
"""
import os.path as osp

from mmengine.config import Config
from mmpretrain.structures import DataSample

OFFICIAL_CONFIG = osp.join('configs', 'orsanet_r50_rafdb.py')
MIXED_CONFIG = osp.join('configs', 'orsanet_stock_parts_rafdb.py')

# A small face parser (stock mmseg parts) for fast tests: 11 LaPa classes, 1/8 resolution map.
TINY_SEGMENTOR = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNetV1c', depth=18, num_stages=3, out_indices=(2, ),
                  strides=(2, 2, 2), dilations=(1, 1, 1), norm_cfg=dict(type='BN')),
    decode_head=dict(type='FCNHead', in_channels=256, channels=32, num_convs=1, num_classes=11,
                     in_index=0, norm_cfg=dict(type='BN'),
                     loss_decode=dict(type='CrossEntropyLoss')),
    train_cfg=dict(), test_cfg=dict(mode='whole'))


def load_model_cfg(path: str, repo_root: str, no_prior_checkpoints: bool = True) -> dict:
    cfg = Config.fromfile(osp.join(repo_root, path))
    model = cfg.model.to_dict()
    if no_prior_checkpoints:  # tests use random weights
        model['semantic_prior']['checkpoint'] = None
        model['landmark_prior']['checkpoint'] = None
    return model


def small_model_cfg(repo_root: str, **overrides) -> dict:
    """The official wiring at a small size: tiny parser, MobileFaceNet, MCM depth 1, D 64."""
    model = load_model_cfg(OFFICIAL_CONFIG, repo_root)
    model['semantic_prior'] = dict(type='SemanticPrior', model=TINY_SEGMENTOR,
                                   output='features', layer='backbone')
    model.update(embed_dims=64, input_size=112)
    model['backbone'].update(arch='ir50', num_stages=2)
    model['fusion'].update(hidden_channels=16)
    model['neck'].update(depth=1)
    model['head'].update(in_channels=64)
    model.update(overrides)
    return model


def samples(labels):
    return [DataSample().set_gt_label(label) for label in labels]
