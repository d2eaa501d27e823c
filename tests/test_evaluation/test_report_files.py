"""Reports are written whole whatever the image names, and a failed write leaves the previous
file: FERMetric's report (tools/test.py --out-dir) and the --out dump."""
import csv
import json
import os
import os.path as osp

import pytest
import torch

from orsanet.evaluation.fer_report import write_report
from orsanet.evaluation.metrics import AtomicDumpResults, FERMetric
from orsanet.fileio import atomic_write, escape_path

CLASSES = ['Anger', 'Happiness']
NON_UTF8 = os.fsdecode(b'/data/AN/caf\xe9.png')  # how Python names a Latin-1 file on Linux


def results(paths):
    return [dict(img_path=p, gt=i % 2, pred=0, score=0.9, tags=[]) for i, p in enumerate(paths)]


def metrics_of(rows):
    metric = FERMetric(out_dir=None)
    metric.dataset_meta = dict(classes=CLASSES)
    return metric.compute_metrics(rows)


def test_escape_path_keeps_utf8_and_escapes_other_bytes():
    assert escape_path('/data/HA/smile_ü.png') == '/data/HA/smile_ü.png'
    assert escape_path(NON_UTF8) == '/data/AN/caf\\xe9.png'


def test_predictions_csv_is_whole_with_a_non_utf8_name(tmp_path):
    rows = results(['/data/AN/a.png', NON_UTF8, '/data/HA/ü.png'])
    write_report(str(tmp_path), metrics_of(rows), rows, CLASSES, [0, 1])
    with open(tmp_path / 'predictions.csv', encoding='utf-8') as f:
        table = list(csv.DictReader(f))
    assert [r['img_path'] for r in table] == ['/data/AN/a.png', '/data/AN/caf\\xe9.png',
                                              '/data/HA/ü.png']
    assert json.loads((tmp_path / 'metrics.json').read_text())['metrics']['num_samples'] == 3
    assert sorted(os.listdir(tmp_path)) == ['confusion_matrix.png', 'metrics.json',
                                            'predictions.csv']  # no temporary files left


def test_failed_report_write_leaves_the_previous_files(tmp_path):
    rows = results(['/data/AN/a.png', '/data/HA/b.png'])
    write_report(str(tmp_path), metrics_of(rows), rows, CLASSES, [0, 1])
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    broken = results(['/data/AN/c.png', '/data/HA/d.png']) + [
        dict(img_path='/data/x.png', gt=7, pred=0, score=0.5, tags=[])]
    with pytest.raises(IndexError):  # class 7 does not exist: fails after two new rows
        write_report(str(tmp_path), metrics_of(rows), broken, CLASSES, [0, 1])
    after = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    assert after == before


def test_metrics_are_logged_before_a_failing_report(tmp_path, mm_logs):
    blocker = tmp_path / 'report'
    blocker.write_text('a file where the report folder should be')
    metric = FERMetric(out_dir=str(blocker))
    metric.dataset_meta = dict(classes=CLASSES)
    with pytest.raises(RuntimeError, match=r'the metrics are in the log above, but the report '
                                           r'could not be written to .*report'):
        metric.compute_metrics(results(['/data/AN/a.png', '/data/HA/b.png']))
    assert any('FER metrics' in m and 'mean_class_acc' in m for m in mm_logs), mm_logs


def test_atomic_write_keeps_the_old_file_when_the_block_fails(tmp_path):
    path = str(tmp_path / 'table.csv')
    with atomic_write(path) as f:
        f.write('old\n')
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write('half of the new')
            raise RuntimeError('disk full')
    assert open(path).read() == 'old\n'
    assert os.listdir(tmp_path) == ['table.csv']


def test_dump_results_is_atomic(tmp_path):
    out = str(tmp_path / 'preds.pkl')
    dump = AtomicDumpResults(out_file_path=out)
    dump.compute_metrics([dict(pred=torch.zeros(2))])
    good = open(out, 'rb').read()
    with pytest.raises(Exception):
        dump.compute_metrics([dict(pred=torch.zeros(2)), dict(bad=lambda x: x)])  # unpicklable
    assert open(out, 'rb').read() == good
    assert os.listdir(tmp_path) == ['preds.pkl']
    assert osp.getsize(out) > 0
