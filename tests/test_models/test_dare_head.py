"""DAREHead: SE + linear, the two loss phases, official formulas, conversion, errors."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from orsanet.conversion.orsanet_official import convert_official_head
from orsanet.models.heads.dare_head import DAREHead
from orsanet.models.losses.dare_loss import DARELoss


def samples(labels):
    return [DataSample().set_gt_label(int(label)) for label in labels]


@pytest.fixture
def batch():
    torch.manual_seed(0)
    return (torch.randn(6, 16), ), torch.randint(0, 5, (6, ))


def test_mmpretrain_label_smooth_equals_torch_label_smoothing():
    torch.manual_seed(0)
    logits, target = torch.randn(12, 7), torch.randint(0, 7, (12, ))
    loss = MODELS.build(dict(type='LabelSmoothLoss', label_smooth_val=0.2, mode='original'))
    expected = F.cross_entropy(logits, target, label_smoothing=0.2)
    assert torch.allclose(loss(logits, target, avg_factor=12), expected, atol=1e-6)


def test_forward_is_se_gate_then_linear(batch):
    feats, _ = batch
    head = DAREHead(num_classes=5, in_channels=16)
    feat = feats[-1]
    gate = torch.sigmoid(head.se.fc2(torch.relu(head.se.fc1(feat))))
    assert torch.allclose(head.pre_logits(feats), feat * gate)
    assert torch.allclose(head(feats), head.fc(feat * gate))
    assert head(feats).shape == (6, 5)


def test_warmup_then_main_losses_follow_official_formulas(batch):
    feats, labels = batch
    head = DAREHead(num_classes=5, in_channels=16, warmup_epochs=5)
    logits = head(feats)
    ce = F.cross_entropy(logits, labels)
    head.set_epoch(4)  # 0-based epoch 4 = official epoch 5: still warm-up
    assert head.in_warmup
    losses = head.loss(feats, samples(labels))
    assert set(losses) == {'loss_ce', 'loss_ls'}
    assert torch.allclose(losses['loss_ce'], ce)
    assert torch.allclose(losses['loss_ls'], 2 * F.cross_entropy(logits, labels,
                                                                label_smoothing=0.2))
    head.set_epoch(5)  # official epoch 6: CE + 0.1 DARE
    assert not head.in_warmup
    losses = head.loss(feats, samples(labels))
    assert set(losses) == {'loss_ce', 'loss_dare'}
    assert torch.allclose(losses['loss_dare'], 0.1 * DARELoss()(logits, labels))


def test_loss_gradient_reaches_se_and_classifier(batch):
    feats, labels = batch
    head = DAREHead(num_classes=5, in_channels=16, warmup_epochs=0)
    head.set_epoch(0)
    sum(head.loss(feats, samples(labels)).values()).backward()
    for name, param in head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_unset_epoch_means_warmup_and_warns_once(batch, caplog):
    feats, labels = batch
    head = DAREHead(num_classes=5, in_channels=16)
    assert head.epoch is None and head.in_warmup
    assert set(head.loss(feats, samples(labels))) == {'loss_ce', 'loss_ls'}
    head.loss(feats, samples(labels))
    assert head._warned_no_epoch


def test_custom_loss_terms_and_cal_acc(batch):
    feats, labels = batch
    head = DAREHead(num_classes=5, in_channels=16, warmup_epochs=1, cal_acc=True,
                    warmup_loss=dict(type='CrossEntropyLoss'),
                    main_loss=dict(dare=dict(type='DARELoss', temperature=2.0)))
    head.set_epoch(0)
    assert set(head.loss(feats, samples(labels))) == {'loss', 'accuracy_top-1'}
    head.set_epoch(1)
    logits = head(feats)
    losses = head.loss(feats, samples(labels))
    assert torch.allclose(losses['loss_dare'], DARELoss(temperature=2.0)(logits, labels))


def test_predict_gives_scores_and_labels(batch):
    feats, _ = batch
    head = DAREHead(num_classes=5, in_channels=16)
    preds = head.predict(feats)
    assert len(preds) == 6 and preds[0].pred_score.shape == (5, )
    assert torch.allclose(preds[0].pred_score.sum(), torch.tensor(1.))


def test_bad_inputs():
    head = DAREHead(num_classes=5, in_channels=16)
    with pytest.raises(ValueError, match=r'\(B, 16\).*got \(2, 16, 7, 7\)'):
        head((torch.randn(2, 16, 7, 7), ))
    with pytest.raises(TypeError, match='main_loss'):
        DAREHead(num_classes=5, main_loss=[dict(type='CrossEntropyLoss')])
    with pytest.raises(ValueError, match='warmup_epochs'):
        DAREHead(num_classes=5, warmup_epochs=-1)


def test_official_size_and_conversion():
    head = MODELS.build(dict(type='DAREHead', num_classes=7, in_channels=512))
    se_params = sum(p.numel() for p in head.se.parameters())
    assert se_params == 525_312  # 0.525 M (spec)
    official = {'se_block.linear1.weight': torch.randn(512, 512),
                'se_block.linear1.bias': torch.randn(512),
                'se_block.linear2.weight': torch.randn(512, 512),
                'se_block.linear2.bias': torch.randn(512),
                'head.linear.weight': torch.randn(7, 512), 'head.linear.bias': torch.randn(7),
                'ir_layer.weight': torch.randn(512, 1024)}
    converted, ignored = convert_official_head(official)
    assert ignored == ['ir_layer.weight']
    head.load_state_dict(converted, strict=True)
    assert torch.equal(head.se.fc2.bias, official['se_block.linear2.bias'])
    assert torch.equal(head.fc.weight, official['head.linear.weight'])
