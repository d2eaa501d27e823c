"""tools/test.py --out-dir and its progress bar, and tools/analysis_tools/occlusion_robustness.py,
with a stock classifier on an Occlu-FER layout."""
import csv
import json
import os
import os.path as osp
import shutil
import sys
from typing import List

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from tool_runner import run_tool as run

CONFIG = osp.join('tests', 'data', 'tiny_occlufer_classifier.py')
# Occlu-FER's official class order: AN DI FE HA NE SA SU, then CO
CODES = ('AN', 'DI', 'FE', 'HA', 'NE', 'SA', 'SU', 'CO')
CLASSES = ['Anger', 'Disgust', 'Fear', 'Happiness', 'Neutral', 'Sadness', 'Surprise', 'Contempt']


def write_occlu_fer(root: str, per_class: dict) -> None:
    """``root/{train,valid}/<code>/<code>_<split>_<i>.png`` (class-dependent brightness)."""
    rng = np.random.default_rng(0)
    for split, count in per_class.items():
        for label, code in enumerate(CODES):
            os.makedirs(osp.join(root, split, code))
            for i in range(count):
                img = rng.integers(0, 60, (36, 36, 3)) + 25 * label
                cv2.imwrite(osp.join(root, split, code, f'{code}_{split}_{i}.png'),
                            img.astype(np.uint8))


def data_options(data_root: str) -> List[str]:
    return [f'{split}_dataloader.dataset.data_root={data_root}'
            for split in ('train', 'val', 'test')]


@pytest.fixture(scope='module')
def tools(load_tool):
    return load_tool('test.py')


def test_out_dir_sets_every_fer_metric(tools):
    cfg = Config(dict(test_evaluator=[dict(type='Accuracy'), dict(type='FERMetric'),
                                      dict(type='FERMetric', model_classes=['Happy'])]))
    tools.set_report_dir(cfg, 'rep')
    assert [m.get('out_dir') for m in cfg.test_evaluator] == [None, 'rep', 'rep']
    assert len(cfg.test_evaluator) == 3


def test_out_dir_adds_fer_metric_when_there_is_none(tools):
    cfg = Config(dict(test_evaluator=dict(type='Accuracy', topk=(1, ))))
    tools.set_report_dir(cfg, 'rep')
    assert [m['type'] for m in cfg.test_evaluator] == ['Accuracy', 'FERMetric']
    assert cfg.test_evaluator[1]['out_dir'] == 'rep'
    with pytest.raises(KeyError, match='--out-dir needs a test_evaluator'):
        tools.set_report_dir(Config(dict()), 'rep')


def eval_progress_hook_is_added_once(tools):
    cfg = tools.add_progress_bar(Config(dict(custom_hooks=[dict(type='EMAHook')])))
    cfg = tools.add_progress_bar(cfg)
    assert [h['type'] for h in cfg.custom_hooks] == ['EMAHook', 'EvalProgressHook']


@pytest.fixture(scope='module')
def trained(tmp_path_factory, repo_root):
    """The tiny classifier trained 2 iterations on an 8-class Occlu-FER fixture."""
    tmp = tmp_path_factory.mktemp('occlufer')
    data_root = str(tmp / 'Occlu-FER')
    write_occlu_fer(data_root, dict(train=2, valid=3))
    work_dir = str(tmp / 'work')
    run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir,
         '--no-validate', '--cfg-options', *data_options(data_root)], cwd=repo_root)
    return data_root, osp.join(work_dir, 'iter_2.pth')


@pytest.mark.slow
def test_out_dir_writes_report_of_stock_classifier(repo_root, tmp_path, trained):
    data_root, checkpoint = trained
    out_dir = str(tmp_path / 'report')
    log = run([sys.executable, 'tools/test.py', CONFIG, checkpoint,
               '--work-dir', str(tmp_path / 'test'), '--out-dir', out_dir,
               '--cfg-options', *data_options(data_root)], cwd=repo_root)
    assert '6/6, ' in log and 'task/s' in log  # the progress bar: 24 images, batches of 4
    assert 'mean_class_acc' in log and 'macro_f1' in log  # the table

    with open(osp.join(out_dir, 'predictions.csv')) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 24
    assert sorted(osp.basename(r['img_path']) for r in rows) == sorted(
        f'{c}_valid_{i}.png' for c in CODES for i in range(3))
    for row in rows:
        code = osp.basename(osp.dirname(row['img_path']))
        assert CLASSES[int(row['gt_label'])] == row['gt_class']
        assert CODES.index(code) == int(row['gt_label'])
        assert CLASSES[int(row['pred_label'])] == row['pred_class']
        assert int(row['correct']) == int(row['gt_label'] == row['pred_label'])
        assert 0.0 < float(row['pred_score']) <= 1.0

    with open(osp.join(out_dir, 'metrics.json')) as f:
        report = json.load(f)
    assert report['classes'] == CLASSES
    metrics = report['metrics']
    cm = np.zeros((8, 8), dtype=int)
    for row in rows:
        cm[int(row['gt_label']), int(row['pred_label'])] += 1
    assert metrics['confusion_matrix'] == cm.tolist()
    assert metrics['num_samples'] == 24
    assert metrics['top1'] == pytest.approx(100 * np.trace(cm) / 24)
    recall = 100 * np.diag(cm) / cm.sum(1)
    assert metrics['mean_class_acc'] == pytest.approx(recall.mean())
    for name, value in zip(CLASSES, recall):
        assert metrics[f'recall/{name}'] == pytest.approx(value)

    png = cv2.imread(osp.join(out_dir, 'confusion_matrix.png'))
    assert png is not None
    # figure 8.1 x 6.6 inches at 120 dpi: (height, width) = (792, 972), landscape
    assert png.shape == (792, 972, 3)
    assert len(np.unique(png.reshape(-1, 3), axis=0)) > 10  # a drawing, not a blank image


@pytest.mark.slow
def test_occlusion_robustness_table_and_plot(repo_root, tmp_path, trained):
    data_root, checkpoint = trained
    out_dir = str(tmp_path / 'robustness')
    run([sys.executable, 'tools/analysis_tools/occlusion_robustness.py', CONFIG, checkpoint,
         '--types', 'mask', 'eye_bar', '--severities', '0', '0.3', '0.6', '--seed', '3',
         '--out-dir', out_dir, '--work-dir', str(tmp_path / 'work'),
         '--cfg-options', *data_options(data_root)], cwd=repo_root)
    with open(osp.join(out_dir, 'robustness.json')) as f:
        rows = json.load(f)['rows']
    with open(osp.join(out_dir, 'robustness.csv')) as f:
        table = list(csv.DictReader(f))
    assert [(r['type'], r['severity']) for r in rows] == [
        (k, s) for s in (0.0, 0.3, 0.6) for k in ('mask', 'eye_bar')]
    assert [(r['type'], float(r['severity']), float(r['top1'])) for r in table] == [
        (r['type'], r['severity'], pytest.approx(r['top1'])) for r in rows]
    clean = [r for r in rows if r['severity'] == 0]
    assert clean[0]['top1'] == clean[1]['top1'] and clean[0]['coverage'] == 0.0
    for row in rows:
        assert row['num_samples'] == 24
        correct = row['top1'] * 24 / 100  # a whole number of the 24 images
        assert 0 <= correct <= 24 and correct == pytest.approx(round(correct), abs=1e-6)
        # 36-px images: coverage moves in steps of about one pixel row (1/36)
        assert abs(row['coverage'] - row['severity']) <= 0.03
    png = cv2.imread(osp.join(out_dir, 'robustness.png'))
    assert png is not None and png.shape == (540, 840, 3)  # 7 x 4.5 inches at 120 dpi


def eval_progress_hook_draws_one_tick_per_batch(capsys):
    from types import SimpleNamespace

    from orsanet.engine.hooks import EvalProgressHook
    hook = EvalProgressHook()
    runner = SimpleNamespace(test_dataloader=[0] * 5)
    hook.before_test_epoch(runner)
    for i in range(5):
        hook.after_test_iter(runner, i)
    hook.after_test_epoch(runner)
    out = capsys.readouterr().out
    assert '0/5' in out and '5/5' in out and out.endswith('\n')


@pytest.fixture(scope='module')
def robustness(load_tool):
    return load_tool('analysis_tools/occlusion_robustness.py')


def test_robustness_inserts_the_occluder_after_loading(robustness):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='SyntheticOcclusion', types='hand'),
                dict(type='Resize', scale=32), dict(type='PackInputs', meta_keys=('img_path', ))]
    cfg = Config(dict(test_dataloader=dict(dataset=dict(
        type='RepeatDataset', times=1, dataset=dict(type='OccluFER', pipeline=pipeline)))))
    loader = robustness.occluded_loader(cfg, 'mask', 0.3, 5)
    pipeline = loader['dataset']['dataset']['pipeline']
    assert [t['type'] for t in pipeline] == ['LoadImageFromFile', 'SyntheticOcclusion', 'Resize',
                                             'PackInputs']
    assert pipeline[1] == dict(type='SyntheticOcclusion', types=['mask'], severity=0.3, seed=5)
    assert pipeline[3]['meta_keys'] == ('img_path', 'occlusion')
    assert cfg.test_dataloader.dataset.dataset.pipeline[1]['types'] == 'hand'  # a copy
    cfg.test_dataloader.dataset.dataset.pipeline.pop(0)
    with pytest.raises(ValueError, match='no LoadImageFromFile'):
        robustness.occluded_loader(cfg, 'mask', 0.3, 5)


def test_robustness_sweep_reproduces_the_synthetic_occluded_split(robustness, repo_root,
                                                                  tmp_path):
    """The synthetic occluded split states its severity (occluded/occlusion.json); the sweep's
    SyntheticOcclusion at that severity, on the clean test faces through the demo config's
    test pipeline, covers as much of each face (one definition: the share of the face box, the
    whole aligned crop): every face within 0.02 of the severity both ways, the means of each
    type within 0.01 of each other."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS

    from orsanet.datasets.synthetic.writer import write_synthetic_fer
    root = str(tmp_path / 'synthetic')
    write_synthetic_fer(root, num_train=7, num_test=24, seed=2, workers=1, log=lambda m: None,
                        severity=0.4)
    with open(osp.join(root, 'occluded', 'occlusion.json')) as f:
        summary = json.load(f)
    with open(osp.join(root, 'occluded', 'occluders.csv')) as f:
        split = {r['name']: (r['type'], float(r['coverage'])) for r in csv.DictReader(f)}
    assert summary['severity'] == 0.4 and len(split) == 24
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'demo', 'orsanet_small_synthetic.py'))
    cfg.test_dataloader.dataset.data_root = root
    init_default_scope('mmpretrain')
    types = summary['equivalent_transform']['types']
    assert set(types) == {kind for kind, _ in split.values()} and len(types) >= 4
    for kind in types:
        dataset = DATASETS.build(robustness.occluded_loader(cfg, kind, 0.4, seed=0)['dataset'])
        swept = {}
        for i in range(len(dataset)):
            sample = dataset[i]['data_samples']
            swept[osp.basename(sample.img_path)[:-len('_aligned.jpg')]] = sample.occlusion
        assert set(swept) == set(split)
        faces = [name for name, (k, _) in split.items() if k == kind]
        for name in faces:
            assert swept[name]['type'] == kind
            assert abs(swept[name]['coverage'] - 0.4) <= 0.02, (name, swept[name])
            assert abs(split[name][1] - 0.4) <= 0.02, (name, split[name])
        mean_split = np.mean([split[n][1] for n in faces])
        assert abs(np.mean([swept[n]['coverage'] for n in faces]) - mean_split) <= 0.01, kind
        assert summary['per_type'][kind]['mean_coverage'] == pytest.approx(mean_split, abs=1e-4)


@pytest.mark.slow
def test_out_dir_report_is_whole_with_a_non_utf8_file_name(repo_root, tmp_path, trained):
    data_root, checkpoint = trained
    copy = str(tmp_path / 'Occlu-FER')
    shutil.copytree(data_root, copy)
    source = osp.join(copy, 'valid', 'AN', 'AN_valid_0.png')
    latin1 = os.path.join(os.fsencode(copy), b'valid', b'AN', b'caf\xe9.png')
    shutil.copy(source, latin1)
    out_dir = str(tmp_path / 'report')
    log = run([sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir',
               str(tmp_path / 'test'), '--out-dir', out_dir, '--cfg-options',
               *data_options(copy)], cwd=repo_root)
    assert 'FER metrics (%)' in log and 'mean_class_acc' in log
    with open(osp.join(out_dir, 'predictions.csv'), encoding='utf-8') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 25  # every image, the Latin-1 one included
    names = [r['img_path'] for r in rows]
    assert osp.join(copy, 'valid', 'AN', 'caf\\xe9.png') in names
    with open(osp.join(out_dir, 'metrics.json')) as f:
        assert json.load(f)['metrics']['num_samples'] == 25
