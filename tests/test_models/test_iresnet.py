"""IResNet (IR-50 face backbone) and its converter from the official ``ir50.pth`` layout."""
import json
import os.path as osp

import pytest
import torch
from mmpretrain.registry import MODELS

from orsanet.conversion import ir50
from orsanet.conversion.common import missing_keys, save_checkpoint
from orsanet.models.backbones.iresnet import IResNet

IR50_KEYS = 'ir50.pth (state dict, POSTER release)'


@pytest.fixture(scope='module')
def converter():
    return ir50


@pytest.fixture(scope='module')
def cli(load_converter):
    return load_converter('ir50_to_mmpretrain')


@pytest.fixture(scope='module')
def ir50_ref(reference):
    ref = reference('ir50_stages123.pt')
    ref['state_dict'] = {k: v.float() if v.is_floating_point() else v
                         for k, v in ref['state_dict'].items()}
    return ref


@pytest.fixture(scope='module')
def official_layout(shared_dir):
    """The released ir50.pth's keys and shapes, as meta tensors (nothing allocated)."""
    with open(osp.join(shared_dir, 'reference', 'official_checkpoint_keys.json')) as f:
        shapes = json.load(f)[IR50_KEYS]
    return {key: torch.empty(shape, device='meta') for key, shape in shapes.items()}


def assert_close_to(out: torch.Tensor, ref: torch.Tensor) -> float:
    assert out.shape == ref.shape
    diff = (out - ref).abs().max().item()
    assert diff <= 1e-5 * ref.abs().max().item(), diff
    return diff


def test_reproduces_official_stages123(converter, ir50_ref):
    converted, ignored = converter.convert(ir50_ref['state_dict'], num_stages=3)
    assert ignored == []
    model = IResNet(arch='ir50', num_stages=3, input_size=112).eval()
    model.load_state_dict(converted, strict=True)
    with torch.no_grad():
        outs = model(ir50_ref['x'])
    assert len(outs) == 1
    assert_close_to(outs[0], ir50_ref['out'])


def test_pretrained_init_cfg_with_prefix(converter, ir50_ref, tmp_path):
    """The documented loading path: checkpoint under ``backbone.``, init_cfg Pretrained + prefix.

    The file also holds stage-4 tensors (a full IR-50): a 3-stage IResNet must load it anyway.
    """
    converted, _ = converter.convert(ir50_ref['state_dict'], num_stages=3)
    torch.manual_seed(0)
    stage4 = {k: v for k, v in IResNet(num_stages=4).state_dict().items()
              if k.startswith('layer4.')}
    ckpt = str(tmp_path / 'ir50_mmpretrain.pth')
    save_checkpoint({**converted, **stage4}, ckpt, prefix='backbone.')
    init_cfg = dict(type='Pretrained', checkpoint=ckpt, prefix='backbone.')

    model = MODELS.build(dict(type='IResNet', num_stages=3, input_size=112, init_cfg=init_cfg))
    model.init_weights()
    model.eval()
    with torch.no_grad():
        assert_close_to(model(ir50_ref['x'])[0], ir50_ref['out'])

    full = MODELS.build(dict(type='IResNet', num_stages=4, init_cfg=init_cfg))
    full.init_weights()
    torch.testing.assert_close(full.layer4[2].conv2.weight, stage4['layer4.2.conv2.weight'],
                               rtol=0, atol=0)


def test_official_layout_maps_completely(converter, official_layout):
    converted, ignored = converter.convert(official_layout, num_stages=3)
    assert ignored == [k for k in official_layout if k.startswith('output_layer.')]
    assert len(ignored) == 5 + 2 + 5  # BN2d, Linear 25088->512, BN1d
    assert missing_keys(converted, converter.expected_state_dict('ir50', 3)) == []
    # the release has no stage 4: a 4-stage model misses exactly that
    missing = missing_keys(converted, converter.expected_state_dict('ir50', 4))
    assert missing and all(k.startswith('layer4.') for k in missing)


def test_map_key_numbers_units_across_stages(converter):
    assert converter.map_key('input_layer.2.weight') == 'stem.prelu.weight'
    assert converter.map_key('body.2.res_layer.3.weight') == 'layer1.2.conv2.weight'
    assert converter.map_key('body.3.shortcut_layer.1.bias') == 'layer2.0.downsample.1.bias'
    assert converter.map_key('body.21.shortcut_layer.0.weight') == 'layer4.0.downsample.0.weight'
    assert converter.map_key('body.23.res_layer.4.running_var') == 'layer4.2.bn2.running_var'
    assert converter.map_key('body.24.res_layer.0.weight') is None  # IR-50 has 24 units
    assert converter.map_key('body.24.res_layer.0.weight', 'ir100') == 'layer3.8.bn1.weight'
    assert converter.map_key('output_layer.3.weight') is None


def test_wrong_shape_refused(converter, ir50_ref):
    state_dict = dict(ir50_ref['state_dict'])
    state_dict['body.7.res_layer.1.weight'] = torch.zeros(256, 64, 3, 3)
    with pytest.raises(ValueError) as err:
        converter.convert(state_dict)
    message = str(err.value)
    for part in ('body.7.res_layer.1.weight', 'layer3.0.conv1.weight', '(256, 64, 3, 3)',
                 '(256, 128, 3, 3)'):
        assert part in message


def test_foreign_checkpoint_refused(converter):
    with pytest.raises(ValueError, match='none of the 2 keys'):
        converter.convert({'conv1.weight': torch.zeros(1), 'fc.bias': torch.zeros(1)})


def test_cli_writes_prefixed_checkpoint(cli, ir50_ref, tmp_path, monkeypatch, capsys):
    src, dst = tmp_path / 'ir50.pth', tmp_path / 'out.pth'
    torch.save(ir50_ref['state_dict'], src)
    monkeypatch.setattr('sys.argv', ['ir50_to_mmpretrain.py', str(src), str(dst)])
    cli.main()
    printed = capsys.readouterr().out
    assert 'ignored 0 source keys' in printed and 'IResNet-ir50 (3 stages)' in printed
    saved = torch.load(dst, weights_only=True)['state_dict']
    assert len(saved) == len(ir50_ref['state_dict'])
    assert all(k.startswith('backbone.') for k in saved)


def test_cli_refuses_a_source_without_a_unit(cli, ir50_ref, tmp_path, monkeypatch):
    """A missing unit (or a stage the file lacks) stops the converter, naming it; no file."""
    src, dst = tmp_path / 'ir50.pth', tmp_path / 'out.pth'
    state = {k: v for k, v in ir50_ref['state_dict'].items() if not k.startswith('body.9.')}
    torch.save(state, src)
    monkeypatch.setattr('sys.argv', ['ir50_to_mmpretrain.py', str(src), str(dst)])
    with pytest.raises(SystemExit, match=r'missing: .*layer3\.2\.'):
        cli.main()
    assert not dst.exists()
    torch.save(ir50_ref['state_dict'], src)  # stages 1-3 only, 4 asked for
    monkeypatch.setattr('sys.argv', ['x', str(src), str(dst), '--num-stages', '4'])
    with pytest.raises(SystemExit, match=r'missing: .*layer4\.0\.'):
        cli.main()
    assert not dst.exists()


def test_parameter_counts():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    # the spec: IR-50 30.46 M with its unused 12.85 M output layer -> 17.61 M for stem + stages 1-3
    assert count(IResNet(num_stages=3)) == 17_611_968
    assert count(IResNet(num_stages=4)) == 30_727_360


@pytest.mark.parametrize('arch,units', [('ir100', (3, 13, 30, 3)), ('ir152', (3, 8, 36, 3))])
def test_deeper_archs_shapes(arch, units):
    model = IResNet(arch=arch, out_indices=(0, 1, 2, 3)).eval()
    assert tuple(len(getattr(model, f'layer{i + 1}')) for i in range(4)) == units
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(1, 64, 16, 16), (1, 128, 8, 8), (1, 256, 4, 4),
                                              (1, 512, 2, 2)]


def test_input_resize_and_out_indices():
    model = IResNet(num_stages=2, out_indices=(-2, -1), input_size=64).eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, 100, 80))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 32, 32), (2, 128, 16, 16)]
    assert not hasattr(model, 'layer3')


@pytest.mark.parametrize('kwargs,match', [(dict(arch='ir18'), 'ir18'),
                                          (dict(num_stages=5), 'num_stages'),
                                          (dict(num_stages=3, out_indices=(3, )), 'out_indices')])
def test_bad_arguments(kwargs, match):
    with pytest.raises((KeyError, ValueError), match=match):
        IResNet(**kwargs)


def test_frozen_stages_and_norm_eval():
    model = IResNet(num_stages=2, frozen_stages=1, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.stem.parameters())
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert not model.layer1[0].bn1.training and not model.layer2[0].bn1.training
    assert model.layer2[0].conv1.training
