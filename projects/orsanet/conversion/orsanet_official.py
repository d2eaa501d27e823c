"""A trained official ORSANet checkpoint -> an ORSANet-MM checkpoint of the whole model.

The official ``train.py`` saves ``{'iter', 'model_state_dict', 'optimizer_state_dict'}`` of a
``DataParallel`` model (keys start with ``module.``); a bare state dict converts as well. Every
part maps onto the model a config builds:

=====================  ====================================  ==================================
official prefix        ORSANet-MM key prefix                 mapping
=====================  ====================================  ==================================
``ir_back.``           ``backbone.`` (IResNet, stages 1-3)   :mod:`.ir50`
``ir_layer.``          ``image_tokens.proj.``                same names
``seg_sample.``        ``semantic_proj.proj.``               same names
``seg_fusion.``        ``fusion.`` (SPADEFusion)             :func:`convert_official_spade`
``pyramid_fuse.``      ``neck.`` (MCMNeck)                   :func:`convert_official_mcm`
``se_block.``/``head.``  ``head.`` (DAREHead)                :func:`convert_official_head`
``face_landback.``     ``landmark_prior.model.``             :mod:`.mobilefacenet`
``face_segment.``      ``semantic_prior.model.``             :mod:`.segface`
=====================  ====================================  ==================================

The priors go INTO the converted checkpoint: the official training loop leaves the frozen
MobileFaceNet in train mode, so its BatchNorm statistics drift away from the released file's and
only this checkpoint's give the official logits. Entry points that load such a checkpoint build
the priors from it (see :func:`orsanet.checkpoints.carried_priors`).

Only these official keys may be left out, because the model never uses them
(:data:`UNUSED_OFFICIAL_KEYS`): the IR-50's output layer and any stage-4 units, MCM's
``cls_token`` and SegFace's own decoder. Any other key that maps nowhere, a key of the target
that stays empty, or a tensor of the wrong shape stops the conversion, naming the key.

The head's outputs are matched to the target classes by NAME (:func:`map_head_classes`): an
official 8-output Occlu-FER head, whose 8th output (CO) the released data never trains, becomes a
7-output head for a dataset without a CO folder.
"""
import re
from collections import OrderedDict
from typing import List, Mapping, Sequence, Tuple

import torch
from torch import Tensor

from ..checkpoints import StateDict, check_state_dict, state_dict_with_priors
from ..datasets.class_names import match_classes
from . import ir50, mobilefacenet, segface
from .common import ConversionError, map_key, rename_keys, sub_dict

# --- the parts ----------------------------------------------------------------------------------
# Official ``SPADEResnetBlock`` key -> key of :class:`SPADEFusion` (regex, replacement).
_SPADE_KEY_MAP: List[Tuple[str, str]] = [
    (r'^norm_(\d)\.mlp_shared\.0\.', r'spade_\1.trunk.0.'),
    (r'^norm_(\d)\.mlp_gamma\.', r'spade_\1.to_gamma.'),
    (r'^norm_(\d)\.mlp_beta\.', r'spade_\1.to_beta.'),
    (r'^conv_(\d)\.(bias|weight_orig|weight_u|weight_v|weight)$', r'conv_\1.\2'),
]
# Official ``HyVisionTransformer`` key -> key of :class:`MCMNeck` (regex, replacement).
_MCM_KEY_MAP: List[Tuple[str, str]] = [
    (r'^(pos_embed|norm\.weight|norm\.bias)$', r'\1'),
    (r'^downsample_m\.', 'down_mid.'),
    (r'^downsample_s\.', 'down_small.'),
    (r'^blocks\.(\d+)\.upsample_s\.', r'blocks.\1.up_small.'),
    (r'^blocks\.(\d+)\.upsample_m\.', r'blocks.\1.up_mid.'),
    (r'^blocks\.(\d+)\.block_l\.', r'blocks.\1.fuse_large.'),
    (r'^blocks\.(\d+)\.block_m\.', r'blocks.\1.fuse_mid.'),
    (r'^blocks\.(\d+)\.block_s\.', r'blocks.\1.fuse_small.'),
]
# Inside a cross-fusion layer (applied after the prefix above).
_MCM_LAYER_KEY_MAP: List[Tuple[str, str]] = [
    (r'\.scale$', '.lm_scale'),
    (r'\.attn_img\.', '.attn.'),
    (r'\.conv\.', '.token_mix.'),
]
# Official ORSANet key -> key of :class:`DAREHead` (regex, replacement).
_HEAD_KEY_MAP = [
    (r'^se_block\.linear1\.', 'se.fc1.'),
    (r'^se_block\.linear2\.', 'se.fc2.'),
    (r'^head\.linear\.', 'fc.'),
]
# Official MCM keys that the model never uses.
MCM_UNUSED_OFFICIAL_KEYS = ('cls_token', )


def _fold_spectral_norm(state_dict: Mapping[str, Tensor]) -> StateDict:
    """Replace ``weight_orig``/``_u``/``_v`` by the normalised ``weight`` that eval mode uses."""
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.endswith('.weight_u') or key.endswith('.weight_v'):
            continue
        if key.endswith('.weight_orig'):
            prefix = key[:-len('.weight_orig')]
            u, v = state_dict[prefix + '.weight_u'], state_dict[prefix + '.weight_v']
            sigma = torch.dot(u, value.flatten(1).mv(v))
            out[prefix + '.weight'] = value / sigma
        else:
            out[key] = value
    return out


def convert_official_spade(state_dict: Mapping[str, Tensor],
                           use_spectral_norm: bool = True) -> Tuple[StateDict, List[str]]:
    """Map an official ``SPADEResnetBlock`` state dict onto :class:`SPADEFusion`.

    Args:
        state_dict (dict): The block's keys with the parent prefix removed (in the whole ORSANet
            checkpoint they sit under ``seg_fusion.``), e.g. ``norm_0.mlp_gamma.weight``,
            ``conv_0.weight_orig``.
        use_spectral_norm (bool): Whether the target module keeps spectral norm. If False, each
            conv weight is divided by its stored spectral norm estimate ``u . (W v)``, which is the
            weight the official model uses in eval mode. Defaults to True.

    Returns:
        tuple: ``(converted, ignored)``: the state dict for ``SPADEFusion.load_state_dict`` and the
        official keys that have no counterpart.
    """
    converted, ignored = rename_keys(state_dict, _SPADE_KEY_MAP)
    if not use_spectral_norm:
        converted = _fold_spectral_norm(converted)
    return converted, ignored


def convert_official_mcm(state_dict: Mapping[str, Tensor]) -> Tuple[StateDict, List[str]]:
    """Map an official ``HyVisionTransformer`` (MCM) state dict onto :class:`MCMNeck`.

    Args:
        state_dict (dict): The MCM's keys with the parent prefix removed (in the whole ORSANet
            checkpoint they sit under ``pyramid_fuse.``), e.g.
            ``blocks.0.block_l.attn_img.kv.weight``.

    Returns:
        tuple: ``(converted, ignored)``: the state dict for ``MCMNeck.load_state_dict`` and the
        official keys that are not loaded (the unused ``cls_token`` and any unknown key).
    """
    converted, ignored = OrderedDict(), []
    for key, value in state_dict.items():
        new_key = None if key in MCM_UNUSED_OFFICIAL_KEYS else map_key(key, _MCM_KEY_MAP)
        if new_key is None:
            ignored.append(key)
            continue
        if '.fuse_' in new_key:
            new_key = map_key(new_key, _MCM_LAYER_KEY_MAP) or new_key
        converted[new_key] = value
    return converted, ignored


def convert_official_head(state_dict: Mapping[str, Tensor]) -> Tuple[StateDict, List[str]]:
    """Map the official ``se_block.*`` and ``head.linear.*`` keys onto :class:`DAREHead`.

    Args:
        state_dict (dict): Official ORSANet keys (other keys are returned as ignored).

    Returns:
        tuple: ``(converted, ignored)``.
    """
    return rename_keys(state_dict, _HEAD_KEY_MAP)


def map_head_classes(head: Mapping[str, Tensor], official: Sequence[str],
                     target: Sequence[str]) -> StateDict:
    """Reorder (and subset) the classifier rows ``fc.weight``/``fc.bias`` from the official
    output order to ``target``'s, matching classes by name (``'HA'`` = ``'Happiness'``).

    Raises:
        ConversionError: A target class has no official output, or the head has not
            ``len(official)`` outputs.
    """
    outputs = head['fc.weight'].shape[0]
    if outputs != len(official):
        raise ConversionError(f'the official head has {outputs} outputs but {len(official)} '
                              f'official class names were given ({list(official)})')
    rows = match_classes(target, official)
    absent = [name for name, row in zip(target, rows) if row is None]
    if absent:
        raise ConversionError(f'classes {absent} have no output in the official head, whose '
                              f'outputs are {list(official)}')
    if rows == list(range(outputs)):
        return OrderedDict(head)
    index = torch.tensor(rows)
    return OrderedDict((k, v.index_select(0, index) if k in ('fc.weight', 'fc.bias') else v)
                       for k, v in head.items())


# --- the whole model ----------------------------------------------------------------------------
# Official keys that the model never uses: they may be (and are reported as) left out.
UNUSED_OFFICIAL_KEYS = (
    r'^ir_back\.output_layer\.',
    r'^ir_back\.body\.(2[1-3])\.',  # stage-4 units of a 4-stage IR-50 (ORSANet runs 1-3)
    r'^pyramid_fuse\.cls_token$',
    r'^face_segment\.(face_decoder|linear_c|linear_fuse|pe_layer)\.',
)
# Official top-level prefix -> ORSANet-MM prefix for the parts whose inner names are unchanged.
SAME_NAMES = {'ir_layer.': 'image_tokens.proj.', 'seg_sample.': 'semantic_proj.proj.'}


def _convert_part(name: str, convert, *args) -> Tuple[StateDict, List[str]]:
    """Run one part's converter, naming the official part in its errors."""
    try:
        return convert(*args)
    except ConversionError as err:
        raise ConversionError(f'official part {name!r}: {err}') from None


def convert_whole(state_dict: Mapping[str, Tensor], model: torch.nn.Module,
                  official_classes: Sequence[str],
                  target_classes: Sequence[str]) -> Tuple[StateDict, List[str]]:
    """Convert every part of an official ORSANet state dict into ``model``'s keys.

    Args:
        state_dict: The official state dict, ``module.`` removed.
        model (ORSANet): The target, built from the config the checkpoint will be used with
            (its priors' weights are not needed: they are what this fills).
        official_classes: The class of each official head output, in output order.
        target_classes: The classes of ``model``'s head, in its output order.

    Returns:
        tuple: ``(converted, ignored)``: every key of the model (the priors' wrapped models
        under ``semantic_prior.model.`` / ``landmark_prior.model.``) and the official keys left
        out (all in :data:`UNUSED_OFFICIAL_KEYS`).

    Raises:
        ConversionError: An official key maps nowhere and is not known to be unused, a key the
            model needs stays empty, or a tensor has the wrong shape; each is named.
    """
    semantic = model.semantic_prior.model.state_dict()
    num_joints = state_dict['face_landback.output_layer.linear.weight'].shape[0] // 2 \
        if 'face_landback.output_layer.linear.weight' in state_dict else 68
    parts = [  # (official prefix, target prefix, converter of the part's stripped state dict)
        ('ir_back.', 'backbone.', lambda sd: ir50.convert(sd, 'ir50', model.backbone.num_stages)),
        ('seg_fusion.', 'fusion.',
         lambda sd: convert_official_spade(sd, model.fusion.use_spectral_norm)),
        ('pyramid_fuse.', 'neck.', convert_official_mcm),
        ('face_landback.', 'landmark_prior.model.',
         lambda sd: mobilefacenet.convert(sd, num_joints)),
        ('face_segment.', 'semantic_prior.model.', lambda sd: segface.convert(sd, semantic)),
    ]
    converted: StateDict = OrderedDict()
    ignored: List[str] = []
    for official, target, convert in parts:
        new, part_ignored = _convert_part(official.rstrip('.'), convert,
                                          sub_dict(state_dict, official))
        converted.update((target + k, v) for k, v in new.items())
        ignored += [official + k for k in part_ignored]
    for official, target in SAME_NAMES.items():
        converted.update((target + k, v) for k, v in sub_dict(state_dict, official).items())
    head, _ = convert_official_head(state_dict)
    head = map_head_classes(head, official_classes, target_classes) if head else head
    converted.update(('head.' + k, v) for k, v in head.items())

    claimed = tuple(p for p, _, _ in parts) + tuple(SAME_NAMES) + ('se_block.', 'head.')
    ignored += [k for k in state_dict if not k.startswith(claimed)]
    unmapped = [k for k in ignored if not any(re.match(p, k) for p in UNUSED_OFFICIAL_KEYS)]
    if unmapped:
        raise ConversionError(f'{len(unmapped)} official keys map to no part of ORSANet-MM and '
                              f'are not known to be unused: {unmapped[:8]}; is this an official '
                              'ORSANet checkpoint (of this architecture)?')
    # the priors' parts that the source lacks must be ones their configs allow to be missing
    expected, optional = state_dict_with_priors(model)
    check_state_dict(converted, expected, 'the official checkpoint', 'the ORSANet-MM model',
                     'It is not a whole official ORSANet checkpoint of this configuration; '
                     'nothing was saved.', optional)
    return converted, ignored


def infer_official_classes(outputs: int, dataset_classes: Sequence[str]) -> Sequence[str]:
    """The official head's class order: the first ``outputs`` classes of the dataset's canonical
    order (the official data folders sort into it; Occlu-FER's 8th output is CO)."""
    if outputs > len(dataset_classes):
        raise ConversionError(f'the official head has {outputs} outputs but the dataset names '
                              f'only {len(dataset_classes)} classes; pass --official-classes')
    return list(dataset_classes[:outputs])
