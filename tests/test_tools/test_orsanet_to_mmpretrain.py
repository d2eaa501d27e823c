"""tools/model_converters/orsanet_to_mmpretrain.py on an official-layout whole-model state dict."""

import pytest
import torch

from orsanet.models.heads.dare_head import DAREHead
from orsanet.models.necks.mcm_neck import MCMNeck
from orsanet.models.necks.spade_fusion import SPADEFusion


@pytest.fixture(scope='module')
def converter(load_converter):
    return load_converter('orsanet_to_mmpretrain')


@pytest.fixture(scope='module')
def official(reference):
    """An official ORSANet state dict: the reference SPADE and MCM plus SE/head and others."""
    torch.manual_seed(0)
    state = {f'seg_fusion.{k}': v for k, v in reference('spade_block.pt')['state_dict'].items()}
    state.update({f'pyramid_fuse.{k}': v for k, v in reference('mcm.pt')['state_dict'].items()})
    state.update({'se_block.linear1.weight': torch.randn(64, 64),
                  'se_block.linear1.bias': torch.randn(64),
                  'se_block.linear2.weight': torch.randn(64, 64),
                  'se_block.linear2.bias': torch.randn(64),
                  'head.linear.weight': torch.randn(7, 64), 'head.linear.bias': torch.randn(7),
                  'ir_layer.weight': torch.randn(64, 1024)})
    return state


def test_converts_each_part_to_the_reference_numbers(converter, official, reference):
    prefixes = dict(fusion='fusion.', mcm='neck.', head='head.')
    converted, ignored = converter.convert(official, prefixes)
    assert sorted(ignored) == ['ir_layer.weight', 'pyramid_fuse.cls_token']

    def part(prefix):
        return {k[len(prefix):]: v for k, v in converted.items() if k.startswith(prefix)}

    spade_ref, mcm_ref = reference('spade_block.pt'), reference('mcm.pt')
    fusion = SPADEFusion(64, 64, 128).eval()
    fusion.load_state_dict(part('fusion.'), strict=True)
    neck = MCMNeck(embed_dims=64, depth=2).eval()
    neck.load_state_dict(part('neck.'), strict=True)
    head = DAREHead(num_classes=7, in_channels=64)
    head.load_state_dict(part('head.'), strict=True)
    with torch.no_grad():
        out = fusion(spade_ref['x'], spade_ref['seg'])
        assert (out - spade_ref['out']).abs().max() <= 1e-5 * spade_ref['out'].abs().max()
        out = neck(mcm_ref['x_img'], mcm_ref['x_lm'])
        assert (out - mcm_ref['out']).abs().max() <= 1e-5 * mcm_ref['out'].abs().max()


def test_refuses_wrong_shapes(converter, official):
    broken = dict(official)
    broken['pyramid_fuse.blocks.0.block_l.kv.weight'] = torch.zeros(1)  # unknown: ignored
    broken['pyramid_fuse.blocks.0.block_l.attn_img.kv.bias'] = torch.zeros(3)
    with pytest.raises(ValueError, match=r"mcm key 'blocks.0.fuse_large.attn.kv.bias' has shape "
                                         r'\(3,\) but the ORSANet-MM module expects \(128,\)'):
        converter.convert(broken, dict(fusion='', mcm='', head=''))
