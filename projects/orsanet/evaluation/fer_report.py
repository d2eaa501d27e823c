"""Human-readable outputs of :class:`FERMetric`: a text table, metrics JSON, a normalised
confusion-matrix PNG and a per-image predictions CSV.

Every file is written whole or not at all (a temporary file renamed into place): a failed write
leaves the previous report file. Image paths that are not valid UTF-8 are written escaped
(``caf\\xe9.png``, see :func:`orsanet.fileio.escape_path`).
"""
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
import torch

from orsanet.fileio import atomic_write, escape_path, save_figure

SUMMARY_KEYS = ('top1', 'mean_class_acc', 'macro_f1')


def _groups(metrics: Dict[str, object]) -> List[str]:
    """'' (all samples) and every subset tag, from keys ``[<tag>/]num_samples``."""
    return [k[:-len('num_samples')] for k in metrics if k.endswith('num_samples')]


def format_table(metrics: Dict[str, object]) -> str:
    """A fixed-width table: one row for all samples and one per subset tag (un-prefixed keys)."""
    header = f'{"subset":<24}{"samples":>9}' + ''.join(f'{k:>16}' for k in SUMMARY_KEYS)
    lines = [header, '-' * len(header)]
    for group in _groups(metrics):
        name = group.rstrip('/') or 'all'
        lines.append(f'{name:<24}{metrics[group + "num_samples"]:>9}' + ''.join(
            f'{metrics[group + k]:>16.2f}' for k in SUMMARY_KEYS))
    return '\n'.join(lines)


def _jsonable(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    return value


def write_confusion_png(cm: np.ndarray, names: Sequence[str], path: str, title: str) -> None:
    """Row-normalised confusion matrix (rows: truth, columns: prediction), counts annotated."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = cm.sum(1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=np.float64), where=rows > 0)
    size = 1.0 + 0.7 * len(names)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(norm, cmap='Blues', vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label='fraction of the true class')
    ax.set_xticks(range(len(names)), names, rotation=45, ha='right')
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel('predicted class')
    ax.set_ylabel('true class')
    ax.set_title(title)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f'{norm[i, j]:.2f}\n({cm[i, j]})', ha='center', va='center',
                    fontsize=7, color='white' if norm[i, j] > 0.5 else 'black')
    fig.tight_layout()
    try:
        save_figure(fig, path, dpi=120)
    finally:
        plt.close(fig)


def write_report(out_dir: str, metrics: Dict[str, object], results: List[dict],
                 classes: Sequence[str], scored: Sequence[int]) -> None:
    """Write ``metrics.json``, ``confusion_matrix.png`` (+ one per tag) and ``predictions.csv``.

    Args:
        out_dir (str): Output folder (created).
        metrics (dict): Un-prefixed metrics of :class:`FERMetric`.
        results (list[dict]): Per-image results (``img_path``, ``gt``, ``pred``, ``score``,
            ``tags``), labels in dataset order, ``pred`` -1 for a class outside the dataset.
        classes (Sequence[str]): Dataset class names.
        scored (Sequence[int]): Dataset indices of the scored classes (confusion-matrix order).
    """
    os.makedirs(out_dir, exist_ok=True)
    with atomic_write(osp.join(out_dir, 'metrics.json')) as f:
        json.dump(dict(classes=[classes[c] for c in scored],
                       metrics={k: _jsonable(v) for k, v in metrics.items()}), f, indent=2)
    names = [classes[c] for c in scored]
    for group in _groups(metrics):
        tag = group.rstrip('/')
        cm = np.asarray(_jsonable(metrics[group + 'confusion_matrix']))
        file = f'confusion_matrix_{tag}.png' if tag else 'confusion_matrix.png'
        write_confusion_png(cm, names, osp.join(out_dir, file),
                            f'{tag or "all"}: top-1 {metrics[group + "top1"]:.2f}%')
    with atomic_write(osp.join(out_dir, 'predictions.csv'), newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['img_path', 'gt_label', 'gt_class', 'pred_label', 'pred_class',
                         'pred_score', 'correct', 'subset_tags'])
        for r in results:
            pred_name = classes[r['pred']] if r['pred'] >= 0 else 'outside'
            # 'correct' is empty for images of classes the model lacks (skipped by the metric)
            correct = int(r['gt'] == r['pred']) if r['gt'] in scored else ''
            writer.writerow([escape_path(r.get('img_path', '')), r['gt'], classes[r['gt']],
                             r['pred'], pred_name,
                             '' if r.get('score') is None else f'{r["score"]:.6f}', correct,
                             ';'.join(r['tags'])])
