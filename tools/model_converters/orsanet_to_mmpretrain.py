"""Convert a trained official ORSANet checkpoint's fusion parts into ORSANet-MM keys.

The official ``train.py`` saves ``{'iter', 'model_state_dict', 'optimizer_state_dict'}`` of a
``DataParallel`` model (keys start with ``module.``). This converter maps the trainable parts that
follow the backbone:

=====================  =====================  ===================================
official prefix        ORSANet-MM module      default output prefix
=====================  =====================  ===================================
``seg_fusion.``        ``SPADEFusion``        ``--fusion-prefix`` (``fusion.``)
``pyramid_fuse.``      ``MCMNeck``            ``--mcm-prefix`` (``neck.``)
``se_block.``/``head.``  ``DAREHead``         ``--head-prefix`` (``head.``)
=====================  =====================  ===================================

Every tensor's shape is checked against the module built at the checkpoint's size (MCM depth and
number of classes are read from the keys); other official keys (IR-50, priors, token adapters)
are reported as ignored. The per-part mapping functions live next to the modules
(``convert_official_spade``, ``convert_official_mcm``, ``convert_official_head``).

Usage::

    python tools/model_converters/orsanet_to_mmpretrain.py epoch127_acc0.9224.pth out.pth
"""
import argparse
import re
from collections import OrderedDict
from typing import Callable, Dict, List, Tuple

import torch

import orsanet  # noqa: F401  (compat patches; registers the modules)
from orsanet.models.heads.dare_head import DAREHead, convert_official_head
from orsanet.models.necks.mcm_neck import MCMNeck, convert_official_mcm
from orsanet.models.necks.spade_fusion import SPADEFusion, convert_official_spade
from orsanet.utils.checkpoint_conversion import (
    StateDict,
    load_source_state_dict,
    missing_keys,
    report,
    save_checkpoint,
)

Converter = Callable[[StateDict], Tuple[StateDict, List[str]]]


def _sub_dict(state_dict: StateDict, prefixes: Tuple[str, ...], strip: bool) -> StateDict:
    return OrderedDict((key[len(p):] if strip else key, value)
                       for key, value in state_dict.items() for p in prefixes
                       if key.startswith(p))


def expected_spade(state_dict: StateDict) -> StateDict:
    trunk = state_dict.get('spade_0.trunk.0.weight')
    hidden, semantic = tuple(trunk.shape[:2]) if trunk is not None else (128, 512)
    bias = state_dict.get('conv_0.bias')
    channels = bias.shape[0] if bias is not None else 512
    with torch.device('meta'):
        return SPADEFusion(channels, semantic, hidden).state_dict()


def expected_mcm(state_dict: StateDict) -> StateDict:
    blocks = {int(m.group(1)) for k in state_dict if (m := re.match(r'^blocks\.(\d+)\.', k))}
    pos_embed, down = state_dict.get('pos_embed'), state_dict.get('down_mid.weight')
    _, num_img, embed = tuple(pos_embed.shape) if pos_embed is not None else (1, 50, 512)
    num_lm = down.shape[0] - num_img if down is not None else num_img
    with torch.device('meta'):
        neck = MCMNeck(embed_dims=embed, depth=max(blocks, default=7) + 1,
                       num_heads=1, num_img_tokens=num_img - 1, num_lm_tokens=num_lm - 1)
    return neck.state_dict()


def expected_head(state_dict: StateDict) -> StateDict:
    fc = state_dict.get('fc.weight')
    num_classes, in_channels = tuple(fc.shape) if fc is not None else (7, 512)
    with torch.device('meta'):
        head = DAREHead(num_classes=num_classes, in_channels=in_channels)
    return head.state_dict()


# (name, official prefixes, strip the prefix?, mapping function, expected-state-dict builder)
PARTS = [
    ('fusion', ('seg_fusion.', ), True, convert_official_spade, expected_spade),
    ('mcm', ('pyramid_fuse.', ), True, convert_official_mcm, expected_mcm),
    ('head', ('se_block.', 'head.'), False, convert_official_head, expected_head),
]


def check_shapes(converted: StateDict, expected: StateDict, part: str) -> None:
    for key, value in converted.items():
        if key in expected and tuple(expected[key].shape) != tuple(value.shape):
            raise ValueError(f'official {part} key {key!r} has shape {tuple(value.shape)} but '
                             f'the ORSANet-MM module expects {tuple(expected[key].shape)}')


def convert(state_dict: StateDict, prefixes: Dict[str, str]) -> Tuple[StateDict, List[str]]:
    """Convert the fusion, MCM and head parts of an official ORSANet state dict.

    Args:
        state_dict: Official keys (``module.`` already removed).
        prefixes: Output prefix per part name (``fusion``, ``mcm``, ``head``).

    Returns:
        tuple: ``(converted, ignored)`` with output keys prefixed; ``ignored`` lists the official
        keys not converted (other parts of the model, unused ``cls_token``).
    """
    converted, claimed, ignored = OrderedDict(), set(), []
    for name, official, strip, mapping, expected_of in PARTS:
        part = _sub_dict(state_dict, official, strip)
        if not part:
            continue
        claimed.update(k for k in state_dict if k.startswith(official))
        new, part_ignored = mapping(part)
        expected = expected_of(new)
        check_shapes(new, expected, name)
        missing = missing_keys(new, expected)
        if missing:
            raise ValueError(f'the official {name} part ({", ".join(official)}) lacks keys for '
                             f'{len(missing)} ORSANet-MM keys, e.g. {missing[:3]}: not a whole '
                             'ORSANet checkpoint?')
        converted.update((prefixes[name] + k, v) for k, v in new.items())
        ignored += [official[0] + k for k in part_ignored] if strip else part_ignored
    ignored += [k for k in state_dict if k not in claimed]
    return converted, ignored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official ORSANet checkpoint (train.py output)')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument('--fusion-prefix', default='fusion.')
    parser.add_argument('--mcm-prefix', default='neck.')
    parser.add_argument('--head-prefix', default='head.')
    parser.add_argument('--trusted', action='store_true',
                        help='load the source with weights_only=False (trusted files only)')
    args = parser.parse_args()
    source = load_source_state_dict(args.src, state_key='model_state_dict', trusted=args.trusted)
    prefixes = dict(fusion=args.fusion_prefix, mcm=args.mcm_prefix, head=args.head_prefix)
    converted, ignored = convert(source, prefixes)
    save_checkpoint(converted, args.dst, meta=dict(converted_from=args.src))
    print(report(converted, ignored, [], 'ORSANet-MM fusion/MCM/head'))
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()
