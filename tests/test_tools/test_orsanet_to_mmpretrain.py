"""The official ORSANet conversion's head class mapping and its list of unused official keys.

The whole conversion (a full-size official checkpoint -> the official logits) is in
test_official_checkpoint.py (slow); the SPADE and MCM parts against the reference tensors are in
tests/test_models/test_spade_fusion.py and test_mcm_neck.py.
"""
import json
import os.path as osp
import re

import pytest
import torch

from orsanet.conversion import ConversionError
from orsanet.conversion.orsanet_official import (
    UNUSED_OFFICIAL_KEYS,
    infer_official_classes,
    map_head_classes,
)
from orsanet.datasets.occlu_fer import OCCLU_FER_CLASSES
from orsanet.datasets.rafdb import RAFDB


def head(outputs: int):
    return {'se.fc1.weight': torch.randn(4, 4), 'fc.weight': torch.arange(outputs * 4.)
            .view(outputs, 4), 'fc.bias': torch.arange(float(outputs))}


def test_occlu_fer_8_output_head_maps_onto_7_classes_by_name():
    official = infer_official_classes(8, OCCLU_FER_CLASSES)
    assert official[-1] == 'Contempt'
    source = head(8)
    seven = map_head_classes(source, official, OCCLU_FER_CLASSES[:7])
    assert torch.equal(seven['fc.weight'], source['fc.weight'][:7])
    assert torch.equal(seven['fc.bias'], source['fc.bias'][:7])
    assert torch.equal(seven['se.fc1.weight'], source['se.fc1.weight'])
    # folder codes and another order: rows follow the names
    codes = ['SU', 'AN', 'HA']
    picked = map_head_classes(source, official, codes)
    assert picked['fc.bias'].tolist() == [6., 0., 3.]


def test_rafdb_head_is_kept_in_order():
    official = ['SU', 'FE', 'DI', 'HA', 'SA', 'AN', 'NE']  # the official label names
    source = head(7)
    same = map_head_classes(source, official, RAFDB.METAINFO['classes'])
    assert torch.equal(same['fc.weight'], source['fc.weight'])


def test_head_mapping_refuses_what_it_cannot_map():
    with pytest.raises(ConversionError, match=r"classes \['Contempt'\] have no output"):
        map_head_classes(head(7), RAFDB.METAINFO['classes'], ['Happiness', 'Contempt'])
    with pytest.raises(ConversionError, match='the official head has 7 outputs but 8'):
        map_head_classes(head(7), OCCLU_FER_CLASSES, OCCLU_FER_CLASSES)
    with pytest.raises(ConversionError, match='pass --official-classes'):
        infer_official_classes(9, OCCLU_FER_CLASSES)


def test_only_parts_the_model_never_runs_are_left_out(shared_dir):
    """Of the official checkpoint's keys, exactly the IR-50 output layer, MCM's cls_token and
    SegFace's decoder are known to be unused; nothing else may be dropped."""
    with open(osp.join(shared_dir, 'reference', 'whole_model', 'keys.json')) as f:
        keys = [name for name, _, _ in json.load(f)]
    unused = [k for k in keys if any(re.match(p, k) for p in UNUSED_OFFICIAL_KEYS)]
    groups = {'.'.join(k.split('.')[:2]) for k in unused}
    assert groups == {'ir_back.output_layer', 'pyramid_fuse.cls_token', 'face_segment.face_decoder',
                      'face_segment.linear_c', 'face_segment.linear_fuse',
                      'face_segment.pe_layer'}
    assert not [k for k in unused if k.startswith(('ir_back.body', 'seg_', 'se_block', 'head',
                                                   'ir_layer', 'face_landback'))]
