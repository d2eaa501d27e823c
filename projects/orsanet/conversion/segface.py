"""SegFace's Swin-B (``model_299.pt``, or ORSANet's ``face_segment``) or torchvision's ``swin_b``
-> the mmseg segmentor of ``configs/priors/segface_swinb_lapa.py``.

Sources (torchvision's Swin layout in both):

- SegFace ``model_299.pt``: the state dict under ``'state_dict_backbone'``; the Swin is
  ``backbone.0.*`` (torchvision's ``features``) and ``backbone.1.*`` (its final LayerNorm); the
  SegFace decoder (``face_decoder.*``, ``linear_c.*``, ``linear_fuse.*``, ``pe_layer.*``) has no
  mmseg counterpart and is reported as ignored.
- torchvision ``swin_b().state_dict()``: ``features.*``, ``norm.*`` (and ``head.*``, ignored).

Target: the mmseg ``EncoderDecoder`` of ``configs/priors/segface_swinb_lapa.py`` (a
``FaceSwinTransformer``, i.e. mmseg's own ``SwinTransformer`` with torchvision's shift rule), keys
``backbone.*``. Its decode head and the per-stage ``norm0..2`` (which torchvision's Swin lacks) are
not in the source (:data:`NOT_IN_SOURCE`): the semantic prior taps ``backbone.stages.3``, which
neither affects, and names them in its ``allow_missing``; every other key must be filled.

Mapping: patch embedding ``features.0.{0,2}`` -> ``patch_embed.{projection,norm}``; stage ``i``
= ``features.{2i+1}`` -> ``stages.i.blocks``; patch merging ``features.{2,4,6}`` ->
``stages.{0,1,2}.downsample`` (mmseg merges at the end of the previous stage); ``attn.*`` ->
``attn.w_msa.*``; ``mlp.{0,3}`` -> ``ffn.layers.{0.0,1}``; final norm -> ``norm3``. torchvision
concatenates the four 2x2 sub-grids of a merge as (0,0), (1,0), (0,1), (1,1) (row, column), mmseg's
``nn.Unfold`` as channel-major with (0,0), (0,1), (1,0), (1,1) within a channel: the merge
reduction weight and norm are permuted accordingly. ``relative_position_index`` holds the same
values in both (checked) and is reshaped to mmseg's (N, N).

The command-line tool is ``tools/model_converters/segface_to_mmseg.py``.
"""
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch

from .common import ConversionError, StateDict, rename_and_check, require_complete

DEFAULT_CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..', 'configs',
                          'priors', 'segface_swinb_lapa.py')
# Parts of the mmseg segmentor that a SegFace / torchvision Swin does not hold: the decode head
# (SegFace's own decoder has no mmseg counterpart) and the per-stage output norms 0-2.
NOT_IN_SOURCE = ('decode_head.', 'backbone.norm0.', 'backbone.norm1.', 'backbone.norm2.')
LAYOUTS = (  # (features prefix, final-norm prefix) of the two known sources
    ('backbone.0.', 'backbone.1.'),  # SegFace model_299.pt
    ('features.', 'norm.'),  # torchvision swin_b
)
BLOCK_PARTS = (
    ('attn.qkv.', 'attn.w_msa.qkv.'),
    ('attn.proj.', 'attn.w_msa.proj.'),
    ('attn.relative_position_bias_table', 'attn.w_msa.relative_position_bias_table'),
    ('attn.relative_position_index', 'attn.w_msa.relative_position_index'),
    ('mlp.0.', 'ffn.layers.0.0.'),
    ('mlp.3.', 'ffn.layers.1.'),
    ('norm1.', 'norm1.'),
    ('norm2.', 'norm2.'),
)
PATCH_EMBED_PARTS = {'0': 'projection', '2': 'norm'}
# torchvision sub-grid k (x0, x1, x2, x3 = (0,0), (1,0), (0,1), (1,1)) feeding mmseg's slot j
# (nn.Unfold: (0,0), (0,1), (1,0), (1,1)).
UNFOLD_FROM_TORCHVISION = [0, 2, 1, 3]


def detect_layout(keys: List[str]) -> Tuple[str, str]:
    """The (features prefix, final-norm prefix) of a Swin state dict in torchvision layout."""
    for features, norm in LAYOUTS:
        if any(key.startswith(features) for key in keys):
            return features, norm
    raise ConversionError('not a torchvision-layout Swin: no key starts with '
                     f'{[layout[0] for layout in LAYOUTS]} (first keys: {keys[:3]})')


def map_key(key: str, layout: Tuple[str, str], last_stage: int = 3) -> Optional[str]:
    """torchvision/SegFace Swin key -> mmseg segmentor key; None for keys mmseg lacks."""
    features, norm = layout
    if key.startswith(norm):
        return f'backbone.norm{last_stage}.{key[len(norm):]}'
    if not key.startswith(features):
        return None
    match = re.match(r'^(\d+)\.(.+)$', key[len(features):])
    if match is None:
        return None
    index, rest = int(match.group(1)), match.group(2)
    if index == 0:
        part, _, param = rest.partition('.')
        return (f'backbone.patch_embed.{PATCH_EMBED_PARTS[part]}.{param}'
                if part in PATCH_EMBED_PARTS else None)
    if index % 2 == 0:  # patch merging after stage index / 2 - 1
        return f'backbone.stages.{index // 2 - 1}.downsample.{rest}'
    block, _, param = rest.partition('.')
    for source, target in BLOCK_PARTS:
        if param.startswith(source):
            return f'backbone.stages.{(index - 1) // 2}.blocks.{block}.{target}' \
                   f'{param[len(source):]}'
    return None


def unfold_order(merged: torch.Tensor) -> torch.Tensor:
    """Reorder the last (4 C) axis of a merge tensor from torchvision's to mmseg's order."""
    lead = merged.shape[:-1]
    channels = merged.shape[-1] // 4
    grids = merged.reshape(*lead, 4, channels)[..., UNFOLD_FROM_TORCHVISION, :]
    return grids.transpose(-1, -2).reshape(*lead, 4 * channels)


def mmseg_relative_position_index(window: int) -> torch.Tensor:
    """The (window^2, window^2) index that mmseg's ``WindowMSA`` builds for itself."""
    from mmseg.models.backbones.swin import WindowMSA

    coords = WindowMSA.double_step_seq(2 * window - 1, window, 1, window)
    return (coords + coords.T).flip(1).contiguous()


def convert_values(state_dict: Mapping[str, torch.Tensor], layout: Tuple[str, str]) -> StateDict:
    """Source tensors in mmseg's value layout (same keys): merges reordered, indices reshaped."""
    features = layout[0]
    out: StateDict = OrderedDict()
    for key, value in state_dict.items():
        merge = re.match(rf'^{re.escape(features)}[246]\.(reduction\.weight|norm\.(weight|bias))$',
                         key)
        if merge is not None:
            value = unfold_order(value)
        elif key.endswith('attn.relative_position_index'):
            window = round(value.numel()**0.25)
            expected = mmseg_relative_position_index(window)
            if value.numel() != expected.numel() or not torch.equal(
                    value.reshape(expected.shape).to(expected.dtype), expected):
                raise ConversionError(f'{key!r}: this relative_position_index (shape '
                                 f'{tuple(value.shape)}) is not the one mmseg builds for window '
                                 f'{window}; the checkpoint is not a standard Swin')
            value = expected
        out[key] = value
    return out


def expected_state_dict(config: str = DEFAULT_CONFIG) -> Dict[str, torch.Tensor]:
    """State dict of the segmentor built from an mmseg config file (its shapes)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS

    if not osp.isfile(config):
        raise FileNotFoundError(f'mmseg config {config} does not exist')
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(Config.fromfile(config).model)
    return model.state_dict()


def convert(state_dict: Mapping[str, torch.Tensor],
            expected: Mapping[str, torch.Tensor]) -> Tuple[StateDict, List[str]]:
    """Convert a SegFace / torchvision Swin state dict into mmseg segmentor keys.

    Args:
        state_dict: Source state dict (SegFace's ``state_dict_backbone`` or torchvision's).
        expected: State dict of the target segmentor (shapes; see :func:`expected_state_dict`).

    Returns:
        tuple: ``(converted, ignored)``: ``backbone.*`` tensors and the source keys left out.

    Raises:
        ConversionError: A tensor's shape differs from the target's (names key and both
            shapes), a key of the target outside :data:`NOT_IN_SOURCE` is not filled, or the
            source is not a torchvision-layout Swin.
    """
    layout = detect_layout(list(state_dict))
    stages = {int(m.group(1)) for m in (re.match(rf'^{re.escape(layout[0])}(\d+)\.', k)
                                         for k in state_dict) if m}
    last_stage = (max(stages) - 1) // 2
    name = 'Swin (torchvision layout) -> mmseg conversion'
    converted, ignored = rename_and_check(convert_values(state_dict, layout),
                                          lambda key: map_key(key, layout, last_stage), expected,
                                          name)
    require_complete(converted, expected, name, optional=NOT_IN_SOURCE)
    return converted, ignored
