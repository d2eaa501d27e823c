"""tools/analysis_tools/benchmark.py on the tiny ORSANet: every mode and dtype gives figures,
GFLOPs add up over the parts, JSON is written, missing prior checkpoints become random."""
import argparse
import json
import os.path as osp
import statistics

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def benchmark(load_tool):
    return load_tool('analysis_tools/benchmark.py')


@pytest.mark.slow
def test_all_modes_and_dtypes_on_the_tiny_model(benchmark, tmp_path, capsys):
    out = tmp_path / 'bench.json'
    result = benchmark.main([osp.join(ROOT, 'tests', 'data', 'tiny_orsanet.py'),
                             '--device', 'cpu', '--batch-sizes', '1', '--dtypes', 'fp32',
                             '--warmup', '0', '--repeats', '2', '--step-flops',
                             '--out', str(out)])
    printed = capsys.readouterr().out
    assert 'forward GFLOPs per image' in printed and 'img/s' in printed
    saved = json.loads(out.read_text())
    assert saved['results'] == json.loads(json.dumps(result['results']))
    rows = {(r['mode'], r['dtype']): r for r in saved['results']}
    assert set(rows) == {(m, 'fp32') for m in ('infer', 'train', 'sam')}
    for row in rows.values():
        assert len(row['times_s']) == 2 and row['batch_size'] == 1
        assert row['images_per_s'] == pytest.approx(1 / statistics.median(row['times_s']))
        assert row['ms_per_iter'] == pytest.approx(1e3 * statistics.median(row['times_s']))
        assert row['best_ms_per_iter'] == pytest.approx(1e3 * min(row['times_s']))
        assert row['peak_memory_mib'] > 0
    # work per image: a train step > a forward; SAM's two passes with the priors run once
    assert rows['infer', 'fp32']['gflops_per_image'] == pytest.approx(saved['gflops']['total'])
    assert rows['train', 'fp32']['gflops_per_image'] > 2 * saved['gflops']['total']
    assert rows['sam', 'fp32']['gflops_per_image'] > 1.5 * rows['train', 'fp32'][
        'gflops_per_image']
    flops = saved['gflops']
    parts = {k: v for k, v in flops.items() if k != 'total'}
    assert {'backbone', 'semantic_prior', 'landmark_prior', 'fusion', 'neck', 'head'} <= set(parts)
    assert sum(parts.values()) == pytest.approx(flops['total'], rel=1e-6)
    assert saved['conditions']['device'] == 'cpu' and saved['trainable_params'] > 0
    # bf16 autocast (16x slower than float32 on CPUs without native bf16): inference only, the
    # train and SAM steps take the same autocast path as their float32 rows
    bf16 = benchmark.main([osp.join(ROOT, 'tests', 'data', 'tiny_orsanet.py'), '--device', 'cpu',
                           '--batch-sizes', '1', '--dtypes', 'bf16', '--modes', 'infer',
                           '--warmup', '0', '--repeats', '2'])
    [row] = bf16['results']
    assert (row['mode'], row['dtype'], len(row['times_s'])) == ('infer', 'bf16', 2)
    assert row['images_per_s'] > 0


def test_missing_prior_checkpoints_become_random(benchmark, capsys):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'orsanet_r50_rafdb.py'))
    args = argparse.Namespace(random_priors=False, channels_last=True, compile=False)
    model = benchmark.model_config(cfg, args)
    assert model['semantic_prior']['checkpoint'] is None
    assert model['landmark_prior']['checkpoint'] is None
    assert model['channels_last'] is True
    assert 'segface_swinb_lapa_mmseg.pth does not exist' in capsys.readouterr().err
    args.random_priors = True
    benchmark.model_config(cfg, args)
    assert capsys.readouterr().err == ''
    assert cfg.model.semantic_prior.checkpoint is not None  # the config itself is untouched


@pytest.mark.slow
def test_toggle_times_both_settings_in_turns(benchmark):
    result = benchmark.main([osp.join(ROOT, 'tests', 'data', 'tiny_orsanet.py'), '--modes',
                             'sam', '--batch-sizes', '2', '--warmup', '0', '--repeats', '2',
                             '--no-flops', '--step-flops', '--toggle', 'cache_priors'])
    rows = {row['toggle']: row for row in result['results']}
    assert set(rows) == {'cache_priors=True', 'cache_priors=False'}
    on, off = rows['cache_priors=True'], rows['cache_priors=False']
    assert len(on['times_s']) == len(off['times_s']) == 2
    assert on['gflops_per_image'] < off['gflops_per_image']  # the priors ran once, not twice
