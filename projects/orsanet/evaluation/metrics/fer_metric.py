"""Facial-expression metrics: accuracy, class-balanced scores, confusion matrix, per subset tag."""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS

from orsanet.datasets.class_names import match_classes

from ..fer_report import format_table, write_report

OUTSIDE = -1  # a prediction of a model class the dataset does not have


def scores_from_confusion(cm: np.ndarray, outside: np.ndarray) -> Dict[str, np.ndarray]:
    """Scores from a confusion matrix (rows: ground truth, columns: prediction).

    Args:
        cm (np.ndarray): K x K counts.
        outside (np.ndarray): K counts of samples of each true class predicted as a model class
            outside the K classes (always wrong; cross-dataset evaluation without restriction).

    Returns:
        dict: ``top1``, ``mean_class_acc``, ``macro_f1`` (percent, floats) and per-class
        ``precision``, ``recall``, ``f1`` (percent, K arrays). Precision of a never-predicted
        class and recall of an absent class are 0; ``mean_class_acc`` averages the classes that
        occur, ``macro_f1`` the classes that occur or are predicted.
    """
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(1) + outside
    predicted = cm.sum(0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    present = support > 0
    scored = present | (predicted > 0)
    total = support.sum()
    return dict(
        top1=100.0 * tp.sum() / total if total else 0.0,
        mean_class_acc=100.0 * recall[present].mean() if present.any() else 0.0,
        macro_f1=100.0 * f1[scored].mean() if scored.any() else 0.0,
        precision=100.0 * precision, recall=100.0 * recall, f1=100.0 * f1)


@METRICS.register_module()
class FERMetric(BaseMetric):
    """Top-1 accuracy, mean class accuracy, macro-F1, per-class precision / recall / F1 and the
    confusion matrix, overall and for each subset tag.

    Samples carry their tags in ``subset_tags`` (a list; set by the FER datasets' ``subset_file``
    / ``tag_files`` and packed with ``PackInputs(meta_keys=(..., 'subset_tags'))``) or
    ``subset_tag``; every tag gets its own ``<tag>/...`` scores. Results are gathered across
    ranks by :class:`mmengine.evaluator.BaseMetric`.

    Cross-dataset evaluation: with ``model_classes`` (the class names of the model's outputs, in
    its order), classes are matched to the dataset's ``classes`` by normalised name (``HA`` =
    ``Happy`` = ``Happiness``, see :mod:`orsanet.datasets.class_names`). Only dataset classes the
    model has are scored; samples of the others are skipped and counted (``skipped/<class>``).

    Args:
        model_classes (Sequence[str], optional): Class names of the model outputs. None: the
            model predicts the dataset's classes. Defaults to None.
        restrict_to_shared (bool): With ``model_classes`` and ``pred_score``, predict the
            highest-scoring SHARED class; otherwise a prediction of a class the dataset lacks
            counts as wrong. Defaults to True.
        out_dir (str, optional): If set, also write ``metrics.json``, ``confusion_matrix.png``
            (row-normalised; one more per tag) and ``predictions.csv`` (one row per image) there
            (rank 0, after collecting all ranks). Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'fer'.

    Returned keys (percentages unless counts): ``top1``, ``mean_class_acc``, ``macro_f1``,
    ``precision/<class>``, ``recall/<class>``, ``f1/<class>``, ``num_samples``,
    ``confusion_matrix`` (K x K tensor of counts, rows ground truth, scored classes in dataset
    order), ``skipped/<class>``, and each of these as ``<tag>/<key>``.
    """
    default_prefix = 'fer'

    def __init__(self,
                 model_classes: Optional[Sequence[str]] = None,
                 restrict_to_shared: bool = True,
                 out_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.model_classes = None if model_classes is None else list(model_classes)
        self.restrict_to_shared = restrict_to_shared
        self.out_dir = out_dir

    # ----------------------------------------------------------------- class mapping
    @property
    def classes(self) -> List[str]:
        if not self.dataset_meta or 'classes' not in self.dataset_meta:
            raise ValueError('FERMetric needs dataset_meta["classes"] (set by the evaluator from '
                             'the dataset, or assign metric.dataset_meta)')
        return list(self.dataset_meta['classes'])

    def _model_to_dataset(self) -> List[int]:
        """Dataset index of each model class (OUTSIDE if the dataset lacks it)."""
        if self.model_classes is None:
            return list(range(len(self.classes)))
        mapped = match_classes(self.model_classes, self.classes)
        if all(m is None for m in mapped):
            raise ValueError(f'FERMetric: no class of model_classes {self.model_classes} is in '
                             f'the dataset classes {self.classes}')
        return [OUTSIDE if m is None else m for m in mapped]

    def _predict(self, sample: dict, to_dataset: List[int]) -> Tuple[int, Optional[float]]:
        """Dataset index of the prediction (OUTSIDE if the dataset lacks it) and its score."""
        if 'pred_score' in sample:
            score = torch.as_tensor(sample['pred_score']).flatten().float().clone()
            if len(score) != len(to_dataset):
                raise ValueError(f'FERMetric: pred_score has {len(score)} classes, expected '
                                 f'{len(to_dataset)} (model_classes / dataset classes)')
            if self.model_classes is not None and self.restrict_to_shared:
                score[torch.tensor(to_dataset) == OUTSIDE] = -float('inf')
            label = int(score.argmax())
            return to_dataset[label], float(score[label])
        label = int(torch.as_tensor(sample['pred_label']).flatten()[0])
        if not 0 <= label < len(to_dataset):
            raise ValueError(f'FERMetric: predicted label {label} is outside 0..'
                             f'{len(to_dataset) - 1}')
        return to_dataset[label], None

    # ----------------------------------------------------------------- metric API
    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        to_dataset = self._model_to_dataset()
        for sample in data_samples:
            tags = sample.get('subset_tags')
            if tags is None:
                tags = [sample['subset_tag']] if sample.get('subset_tag') else []
            gt = int(torch.as_tensor(sample['gt_label']).flatten()[0])
            pred, score = self._predict(sample, to_dataset)
            result = dict(gt=gt, pred=pred, score=score, tags=[str(t) for t in tags])
            if self.out_dir is not None:
                result['img_path'] = sample.get('img_path', '')
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, object]:
        groups = defaultdict(list)
        for result in results:
            for tag in result['tags']:
                groups[tag].append(result)
        metrics = self._scores(results)
        for tag in sorted(groups):
            metrics.update({f'{tag}/{k}': v for k, v in self._scores(groups[tag]).items()})
        logger = MMLogger.get_current_instance()
        logger.info('FER metrics (%):\n' + format_table(metrics))  # before any file is written
        if self.out_dir is not None:
            if osp.isfile(osp.join(self.out_dir, 'metrics.json')):
                logger.warning(f'FERMetric: replacing the report in {self.out_dir}')
            try:
                write_report(self.out_dir, metrics, results, self.classes, self._scored())
            except Exception as err:
                raise RuntimeError(f'FERMetric: the metrics are in the log above, but the report '
                                   f'could not be written to {self.out_dir} ({type(err).__name__}'
                                   f': {err}); earlier report files there are unchanged') from err
        return metrics

    def _scored(self) -> List[int]:
        """Dataset indices of the scored classes (the model has them), in dataset order."""
        return sorted(set(self._model_to_dataset()) - {OUTSIDE})

    def _scores(self, results: List[dict]) -> Dict[str, object]:
        classes = self.classes
        shared = self._scored()
        position = {c: i for i, c in enumerate(shared)}
        cm = np.zeros((len(shared), len(shared)), dtype=np.int64)
        outside = np.zeros(len(shared), dtype=np.int64)
        skipped = np.zeros(len(classes), dtype=np.int64)
        for result in results:
            gt, pred = result['gt'], result['pred']
            if not 0 <= gt < len(classes):
                raise ValueError(f'FERMetric: ground-truth label {gt} is outside 0..'
                                 f'{len(classes) - 1} ({classes})')
            if gt not in position:
                skipped[gt] += 1
            elif pred in position:
                cm[position[gt], position[pred]] += 1
            else:
                outside[position[gt]] += 1
        scores = scores_from_confusion(cm, outside)
        out: Dict[str, object] = {k: float(scores[k]) for k in ('top1', 'mean_class_acc',
                                                                 'macro_f1')}
        for kind in ('precision', 'recall', 'f1'):
            out.update({f'{kind}/{classes[c]}': float(scores[kind][i])
                        for i, c in enumerate(shared)})
        out['num_samples'] = int(cm.sum() + outside.sum())
        out['confusion_matrix'] = torch.from_numpy(cm)
        for c in sorted(set(range(len(classes))) - set(shared)):
            out[f'skipped/{classes[c]}'] = int(skipped[c])
        if skipped.sum():
            MMLogger.get_current_instance().info(
                f'FERMetric: skipped {int(skipped.sum())} samples of classes the model lacks')
        return out
