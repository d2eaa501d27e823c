"""FERMetric against hand-computed confusion matrices, subset tags, cross-dataset class mapping and
a 2-process gloo run."""
import csv
import json
import os.path as osp

import cv2
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from orsanet.evaluation.fer_report import format_table
from orsanet.evaluation.metrics import FERMetric

ABC = ('A', 'B', 'C')
GT = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0]
PRED = [0, 1, 0, 1, 2, 2, 2, 1, 2, 0]
TAGS = [['occ', 'pose'], ['occ'], ['occ'], ['occ'], ['occ'], ['pose'], ['pose'], ['pose'],
        ['pose'], ['pose', 'occ']]
RAFDB = ('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger', 'Neutral')
OCCLU_FER = ('Anger', 'Contempt', 'Disgust', 'Fear', 'Happiness', 'Neutral', 'Sadness',
             'Surprise')


def samples(gt, pred, tags=None, num_classes=3, score=False):
    out = []
    for i, (g, p) in enumerate(zip(gt, pred)):
        sample = dict(gt_label=torch.tensor([g]), pred_label=torch.tensor([p]))
        if score:
            sample['pred_score'] = torch.nn.functional.one_hot(torch.tensor(p), num_classes) * .9
        if tags is not None:
            sample['subset_tags'] = tags[i]
        out.append(sample)
    return out


def evaluate(data, classes=ABC, size=None, **kwargs):
    metric = FERMetric(**kwargs)
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, data)
    return metric.evaluate(size or len(data))


def test_scores_against_hand_computed_confusion_matrix():
    result = evaluate(samples(GT, PRED))
    # rows: truth, columns: prediction
    assert result['fer/confusion_matrix'].tolist() == [[3, 1, 0], [0, 1, 1], [0, 1, 3]]
    assert result['fer/top1'] == pytest.approx(70.0)
    # precision = tp / column sum: 3/3, 1/3, 3/4; recall = tp / row sum: 3/4, 1/2, 3/4
    for name, p, r in zip(ABC, (1.0, 1 / 3, 0.75), (0.75, 0.5, 0.75)):
        assert result[f'fer/precision/{name}'] == pytest.approx(100 * p)
        assert result[f'fer/recall/{name}'] == pytest.approx(100 * r)
        assert result[f'fer/f1/{name}'] == pytest.approx(100 * 2 * p * r / (p + r))
    assert result['fer/mean_class_acc'] == pytest.approx(100 * (0.75 + 0.5 + 0.75) / 3)
    assert result['fer/macro_f1'] == pytest.approx(100 * (6 / 7 + 0.4 + 0.75) / 3)
    assert result['fer/num_samples'] == 10


def test_scores_per_subset_tag():
    result = evaluate(samples(GT, PRED, TAGS))
    # occ = samples 0-4 and 9: truth 0,0,0,1,1,0; prediction 0,1,0,1,2,0
    assert result['fer/occ/confusion_matrix'].tolist() == [[3, 1, 0], [0, 1, 1], [0, 0, 0]]
    assert result['fer/occ/top1'] == pytest.approx(100 * 4 / 6)
    assert result['fer/occ/mean_class_acc'] == pytest.approx(100 * (0.75 + 0.5) / 2)  # C absent
    assert result['fer/occ/precision/C'] == 0.0
    # pose = samples 0 and 5-9: truth 0,2,2,2,2,0; prediction 0,2,2,1,2,0
    assert result['fer/pose/confusion_matrix'].tolist() == [[2, 0, 0], [0, 0, 0], [0, 1, 3]]
    assert result['fer/pose/num_samples'] == 6
    assert result['fer/top1'] == pytest.approx(70.0)  # overall unchanged by tags


def test_cross_dataset_rafdb_model_on_occlu_fer():
    model = RAFDB  # predicts RAF-DB's 7 classes, the test set has Occlu-FER's 8
    gt_names = ['Anger', 'Contempt', 'Happiness', 'Surprise', 'Contempt', 'Neutral']
    pred_names = ['Anger', 'Happiness', 'Happiness', 'Fear', 'Neutral', 'Neutral']
    data = samples([OCCLU_FER.index(n) for n in gt_names], [model.index(n) for n in pred_names],
                   num_classes=7, score=True)
    result = evaluate(data, OCCLU_FER, model_classes=model)
    assert result['fer/skipped/Contempt'] == 2
    assert result['fer/num_samples'] == 4
    assert result['fer/top1'] == pytest.approx(75.0)
    shared = [c for c in OCCLU_FER if c != 'Contempt']
    cm = result['fer/confusion_matrix'].tolist()
    assert cm[shared.index('Surprise')][shared.index('Fear')] == 1
    assert 'fer/recall/Contempt' not in result and 'fer/recall/Anger' in result
    # name normalisation: Occlu-FER folder codes work as model class names too
    codes = ('SU', 'FE', 'DI', 'HA', 'SA', 'AN', 'NE')
    assert evaluate(data, OCCLU_FER, model_classes=codes)['fer/top1'] == pytest.approx(75.0)


def test_cross_dataset_eight_class_model_on_rafdb():
    model = OCCLU_FER
    scores = torch.zeros(2, 8)
    scores[0, model.index('Contempt')], scores[0, model.index('Sadness')] = 0.6, 0.3
    scores[1, model.index('Fear')] = 0.9
    data = [dict(gt_label=torch.tensor([RAFDB.index('Sadness')]), pred_score=scores[0],
                 pred_label=torch.tensor([1])),
            dict(gt_label=torch.tensor([RAFDB.index('Fear')]), pred_score=scores[1],
                 pred_label=torch.tensor([3]))]
    # restricted to the shared classes, Contempt cannot win: the next best class, Sadness, does
    assert evaluate(data, RAFDB, model_classes=model)['fer/top1'] == pytest.approx(100.0)
    free = evaluate(data, RAFDB, model_classes=model, restrict_to_shared=False)
    assert free['fer/top1'] == pytest.approx(50.0)  # Contempt counts as wrong
    assert free['fer/recall/Sadness'] == 0.0 and free['fer/confusion_matrix'].sum() == 1


def test_bad_input():
    with pytest.raises(ValueError, match='predicted label 5 is outside 0..2'):
        evaluate(samples([0], [5]))
    with pytest.raises(ValueError, match='no class of model_classes'):
        evaluate(samples([0], [0]), model_classes=('X', 'Y'))
    with pytest.raises(ValueError, match=r'pred_score has 3 classes, expected 7'):
        evaluate(samples([0], [0], score=True), RAFDB)
    metric = FERMetric()
    with pytest.raises(ValueError, match='dataset_meta'):
        metric.process({}, samples([0], [0]))


def _worker(rank: int, world_size: int, tmp: str) -> None:
    dist.init_process_group('gloo', init_method=f'file://{osp.join(tmp, "rendezvous")}',
                            rank=rank, world_size=world_size)
    try:
        data = samples(GT, PRED, TAGS)
        result = evaluate(data[rank::world_size], size=len(data))  # DistributedSampler split
        torch.save(result, osp.join(tmp, f'rank{rank}.pt'))
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # two fresh interpreters import torch + OpenMMLab (~25 s on 2 CPU cores)
def test_two_process_gloo_equals_single_process(tmp_path):
    single = evaluate(samples(GT, PRED, TAGS))
    mp.spawn(_worker, args=(2, str(tmp_path)), nprocs=2, join=True)
    for rank in range(2):
        result = torch.load(tmp_path / f'rank{rank}.pt', weights_only=True)
        assert result.keys() == single.keys()
        for key, value in single.items():
            if isinstance(value, torch.Tensor):
                assert torch.equal(result[key], value), key
            else:
                assert result[key] == pytest.approx(value), key


def test_report_files(tmp_path):
    data = samples(GT, PRED, TAGS, score=True)
    for i, sample in enumerate(data):
        sample['img_path'] = f'img{i}.jpg'
    metrics = evaluate(data, out_dir=str(tmp_path))
    with open(tmp_path / 'metrics.json') as f:
        report = json.load(f)
    assert report['classes'] == list(ABC)
    assert report['metrics']['confusion_matrix'] == [[3, 1, 0], [0, 1, 1], [0, 1, 3]]
    assert report['metrics']['occ/top1'] == pytest.approx(metrics['fer/occ/top1'])
    with open(tmp_path / 'predictions.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10
    assert rows[1] == dict(img_path='img1.jpg', gt_label='0', gt_class='A', pred_label='1',
                           pred_class='B', pred_score='0.900000', correct='0', subset_tags='occ')
    assert rows[0]['subset_tags'] == 'occ;pose'
    for name in ('confusion_matrix', 'confusion_matrix_occ', 'confusion_matrix_pose'):
        image = cv2.imread(str(tmp_path / f'{name}.png'))
        assert image is not None and image.shape[0] > 100 and image.shape[1] > 100


def test_format_table():
    table = format_table(dict(num_samples=10, top1=70.0, mean_class_acc=66.6667, macro_f1=66.9,
                              **{'occ/num_samples': 6, 'occ/top1': 66.666, 'occ/mean_class_acc':
                                 62.5, 'occ/macro_f1': 50.0}))
    lines = table.splitlines()
    assert lines[0].split() == ['subset', 'samples', 'top1', 'mean_class_acc', 'macro_f1']
    assert lines[2].split() == ['all', '10', '70.00', '66.67', '66.90']
    assert lines[3].split() == ['occ', '6', '66.67', '62.50', '50.00']
