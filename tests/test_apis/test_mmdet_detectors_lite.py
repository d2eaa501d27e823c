"""mmdet detectors from mmdet's own configs (random weights) on orsanet's served mmcv ops, the
default mmcv-lite set-up: boxes, mmcv's NMS on the served kernel, and FERInferencer on a real
photo with the detector."""
import numpy as np
import pytest
import torch
from fer_checkpoint import CONFIG
from served_mmcv import served_mmcv_ops

from orsanet import mmcv_ops
from orsanet.apis import FERInferencer
from orsanet.faces import MMDetFaceDetector
from orsanet.faces.sample_photos import astronaut

PIPELINE = [
    dict(type='LoadImageFromNDArray'), dict(type='Resize', scale=(256, 256), keep_ratio=True),
    dict(type='PackDetInputs', meta_keys=('img_shape', 'ori_shape', 'scale_factor'))]


def small_detector_config(name: str):
    """RetinaNet or FCOS from mmdet's configs, shrunk to a ResNet-18 and one face class."""
    from mmengine.hub import get_config
    path = {'retinanet': 'mmdet::_base_/models/retinanet_r50_fpn.py',
            'fcos': 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'}[name]
    cfg = get_config(path)
    cfg.model.backbone.update(depth=18, init_cfg=None)
    cfg.model.neck.update(in_channels=[64, 128, 256, 512])
    cfg.model.bbox_head.update(num_classes=1, stacked_convs=1, feat_channels=32)
    cfg.model.test_cfg.update(score_thr=0.0, max_per_img=20)
    cfg.test_dataloader = dict(dataset=dict(type='CocoDataset', pipeline=PIPELINE))
    return cfg


@pytest.fixture
def nms_calls(monkeypatch):
    """mmcv's ops on the served kernels, the served NMS counting its calls."""
    calls = []

    def counting_nms(boxes, scores, iou_threshold, offset):
        keep = mmcv_ops.nms.nms(boxes, scores, iou_threshold, offset)
        calls.append((len(boxes), len(keep)))
        return keep

    monkeypatch.setitem(mmcv_ops.SERVED_KERNELS, 'nms', counting_nms)
    with served_mmcv_ops():
        yield calls


@pytest.mark.parametrize('name', ['retinanet', 'fcos'])
def test_detector_boxes_through_served_nms(name, nms_calls):
    torch.manual_seed(0)
    detector = MMDetFaceDetector(small_detector_config(name), None, score_thr=0.0,
                                 random_weights=True)
    faces = detector(astronaut())
    assert nms_calls and all(kept <= total for total, kept in nms_calls)
    assert 1 <= len(faces) <= 20
    boxes = np.stack([f.box for f in faces])
    assert np.isfinite(boxes).all() and (boxes[:, 2:] > boxes[:, :2]).all()
    assert (boxes >= -1).all() and (boxes <= 513).all()  # mmdet clips to the 512 px photo
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert (np.diff(areas) <= 0).all()  # largest first


def test_fer_inferencer_with_mmdet_detector(checkpoint, nms_calls):
    """FERInferencer end to end on the astronaut photo with a RetinaNet (random weights: the
    boxes mean nothing, every step runs)."""
    torch.manual_seed(0)
    inferencer = FERInferencer(
        CONFIG, checkpoint=checkpoint, device='cpu', min_face_size=8,
        detector=dict(type='mmdet', config=small_detector_config('retinanet'), score_thr=0.0,
                      random_weights=True))
    [result] = inferencer(astronaut())
    assert nms_calls
    assert result['faces'] and len(result['faces']) + len(result['skipped']) <= 20
    assert 'the face detector has RANDOM weights' in result['warnings']
    for face in result['faces']:
        assert face['scores'].shape == (len(inferencer.classes), )
        assert face['scores'].sum() == pytest.approx(1.0, abs=1e-5)
        assert face['label'] in inferencer.classes and 0.0 <= face['det_score'] <= 1.0
