"""MobileFaceNet + GDCHead as an mmpose TopdownPoseEstimator; the official-checkpoint converter."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from mmpose.apis import inference_topdown, init_model
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.structures import PoseDataSample

from orsanet.conversion import mobilefacenet
from orsanet.conversion.common import missing_keys
from orsanet.models.backbones.mobilefacenet import MobileFaceNet

CONFIG = 'configs/priors/mobilefacenet_68pt_300w.py'
MFN_KEYS = "mobilefacenet_model_best.pth.tar ['state_dict']"


@pytest.fixture(scope='module')
def converter():
    return mobilefacenet


@pytest.fixture(scope='module')
def cli(load_converter):
    return load_converter('mobilefacenet_to_mmpose')


@pytest.fixture(scope='module')
def mfn_ref(reference):
    return reference('mobilefacenet.pt')


@pytest.fixture()
def pose_model(repo_root):
    return init_model(osp.join(repo_root, CONFIG), checkpoint=None, device='cpu')


@pytest.fixture()
def official_pose_model(pose_model, converter, mfn_ref):
    converted, ignored = converter.convert(mfn_ref['state_dict'])
    assert ignored == []
    pose_model.load_state_dict(converted, strict=True)
    return pose_model.eval()


def assert_close_to(out: torch.Tensor, ref: torch.Tensor) -> None:
    assert out.shape == ref.shape
    diff = (out - ref).abs().max().item()
    assert diff <= 1e-5 * ref.abs().max().item(), diff


def test_reproduces_official_features_and_landmarks(official_pose_model, mfn_ref):
    taps = []
    hook = official_pose_model.backbone.conv_6_sep.register_forward_hook(
        lambda module, args, out: taps.append(out))
    with torch.no_grad():
        feats = official_pose_model.extract_feat(mfn_ref['x'])
        coords = official_pose_model.head(feats)
    hook.remove()
    assert_close_to(feats[-1], mfn_ref['conv_6_sep'])
    assert_close_to(taps[0], mfn_ref['conv_6_sep'])
    assert coords.shape == (2, 68, 2)
    assert_close_to(coords.flatten(1), mfn_ref['landmarks'])  # x0, y0, x1, y1, ...


def make_samples(batch: int, with_targets: bool = False) -> list:
    """PoseDataSamples for a 112 x 112 crop that is the whole image (input space = image space)."""
    codec = KEYPOINT_CODECS.build(dict(type='RegressionLabel', input_size=(112, 112)))
    samples = []
    for i in range(batch):
        sample = PoseDataSample(metainfo=dict(input_size=(112, 112), input_center=np.array(
            [56., 56.]), input_scale=np.array([112., 112.])))
        sample.gt_instances = InstanceData(bboxes=np.array([[0., 0., 112., 112.]]),
                                           bbox_scores=np.ones(1))
        if with_targets:
            keypoints = np.random.RandomState(i).uniform(10, 100, (1, 68, 2))
            encoded = codec.encode(keypoints, np.ones((1, 68)))
            sample.gt_instance_labels = InstanceData(
                keypoint_labels=torch.from_numpy(encoded['keypoint_labels']).float(),
                keypoint_weights=torch.from_numpy(encoded['keypoint_weights']).float())
        samples.append(sample)
    return samples


def test_tensor_and_predict_modes(official_pose_model, mfn_ref):
    x = mfn_ref['x']
    with torch.no_grad():
        raw = official_pose_model(x, None, mode='tensor')
        results = official_pose_model(x, make_samples(2), mode='predict')
    assert raw.shape == (2, 68, 2)
    assert_close_to(raw.flatten(1), mfn_ref['landmarks'])
    for i, result in enumerate(results):
        keypoints = torch.from_numpy(result.pred_instances.keypoints)
        assert keypoints.shape == (1, 68, 2)
        # the RegressionLabel codec decodes fractions of the 112-px input into pixels
        assert_close_to(keypoints[0].float(), raw[i] * 112)


def test_inference_topdown(official_pose_model):
    img = np.random.RandomState(0).randint(0, 256, (112, 112, 3), dtype=np.uint8)
    results = inference_topdown(official_pose_model, img, bboxes=np.array([[0, 0, 112, 112],
                                                                            [10, 20, 90, 100]]))
    assert len(results) == 2
    for result in results:
        assert result.pred_instances.keypoints.shape == (1, 68, 2)
        assert np.isfinite(result.pred_instances.keypoints).all()


def test_loss_step_gives_finite_gradients(pose_model):
    pose_model.init_weights()
    pose_model.train()
    inputs = torch.randn(2, 3, 112, 112)
    losses = pose_model(inputs, make_samples(2, with_targets=True), mode='loss')
    assert set(losses) == {'loss_kpt', 'acc_pose'}
    assert torch.isfinite(losses['loss_kpt']) and losses['loss_kpt'] > 0
    losses['loss_kpt'].backward()
    for name in ('backbone.conv1.conv.weight', 'backbone.conv_6_sep.conv.weight',
                 'head.gdc.conv.weight', 'head.fc.weight'):
        grad = pose_model.get_parameter(name).grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name


def test_config_builds_with_mmpose_registry(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, CONFIG))
    assert cfg.default_scope == 'mmpose'
    assert cfg.model.head.decoder == dict(type='RegressionLabel', input_size=(112, 112))
    assert cfg.train_dataloader.dataset.type == 'Face300WDataset'
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'TopdownPoseEstimator'
    assert isinstance(model.backbone, MobileFaceNet)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(model.backbone) == 911_232
    assert count(model.head) == 96_016  # about 1.0 M in all, as the spec says


def test_official_layout_maps_completely(converter, shared_dir):
    with open(osp.join(shared_dir, 'reference', 'official_checkpoint_keys.json')) as f:
        shapes = json.load(f)[MFN_KEYS]
    layout = {key: torch.empty(shape, device='meta') for key, shape in shapes.items()}
    converted, ignored = converter.convert(layout)
    assert ignored == []
    assert len(converted) == len(layout) == 333
    assert missing_keys(converted, converter.expected_state_dict()) == []
    assert converter.map_key('conv_4.model.5.project.bn.bias') == \
        'backbone.conv_4.5.project.bn.bias'
    assert converter.map_key('output_layer.conv_6_dw.conv.weight') == 'head.gdc.conv.weight'


def test_wrong_shape_refused(converter, mfn_ref):
    state_dict = dict(mfn_ref['state_dict'])
    state_dict['output_layer.linear.weight'] = torch.zeros(196, 512)  # a 98-point head
    with pytest.raises(ValueError) as err:
        converter.convert(state_dict)
    for part in ('output_layer.linear.weight', 'head.fc.weight', '(196, 512)', '(136, 512)'):
        assert part in str(err.value)


def test_cli_round_trip(cli, mfn_ref, repo_root, tmp_path, monkeypatch):
    src, dst = tmp_path / 'mobilefacenet_model_best.pth.tar', tmp_path / 'mfn_mmpose.pth'
    torch.save({'epoch': 1, 'state_dict': mfn_ref['state_dict']}, src)
    monkeypatch.setattr('sys.argv', ['mobilefacenet_to_mmpose.py', str(src), str(dst)])
    cli.main()
    model = init_model(osp.join(repo_root, CONFIG), checkpoint=str(dst), device='cpu')
    with torch.no_grad():
        assert_close_to(model(mfn_ref['x'], None, mode='tensor').flatten(1),
                        mfn_ref['landmarks'])


def test_cli_refuses_incomplete_checkpoint(cli, mfn_ref, tmp_path, monkeypatch):
    src, dst = tmp_path / 'partial.pth.tar', tmp_path / 'out.pth'
    partial = {k: v for k, v in mfn_ref['state_dict'].items() if not k.startswith('conv_5.')}
    torch.save({'state_dict': partial}, src)
    monkeypatch.setattr('sys.argv', ['mobilefacenet_to_mmpose.py', str(src), str(dst)])
    with pytest.raises(SystemExit, match='nothing saved'):
        cli.main()
    assert not dst.exists()


def test_head_rejects_wrong_feature_size(official_pose_model):
    with pytest.raises(ValueError, match='112 x 112'):
        official_pose_model(torch.randn(1, 3, 128, 128), None, mode='tensor')


def test_backbone_stages_and_freezing():
    model = MobileFaceNet(out_indices=(0, 1, 2, 3, 4), frozen_stages=1, norm_eval=True)
    model.train()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 112, 112))
    assert [tuple(o.shape[1:]) for o in outs] == [(64, 56, 56), (64, 28, 28), (128, 14, 14),
                                                  (128, 7, 7), (512, 7, 7)]
    assert not any(p.requires_grad for p in model.conv_3.parameters())
    assert all(p.requires_grad for p in model.conv_34.parameters())
    assert not model.conv_6_sep.bn.training
    with pytest.raises(ValueError, match='out_indices'):
        MobileFaceNet(out_indices=(5, ))
