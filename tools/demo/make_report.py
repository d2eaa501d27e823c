"""Write the demo report: <work-dir>/report/REPORT.md and its pictures (see run_demo.py).

    python tools/demo/make_report.py WORK_DIR

Reads the metrics the demo's steps left in WORK_DIR/report, and draws ``predictions.png``: test
faces, clean and occluded, with ORSANet's prediction, the parsing map and the 68 landmarks that
the two trained priors give for them (the very modules ORSANet wraps).
"""
import argparse
import csv
import json
import os.path as osp
from typing import Dict, List, Optional

import cv2
import matplotlib
import numpy as np
import torch
from mmengine.config import Config

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis.cli import cli_main
from orsanet.models.priors import LandmarkPrior, SemanticPrior

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the demo classifier's normalisation (configs/_base_/normalization.py), given to the priors
NORM = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'normalization.py'))
MEAN, STD = NORM.imagenet_rgb_mean, NORM.imagenet_rgb_std
PALETTE = np.array([[0, 0, 0], [255, 204, 153], [0, 102, 0], [0, 204, 0], [0, 0, 153],
                    [0, 0, 255], [255, 153, 51], [204, 0, 0], [255, 255, 102], [153, 0, 76],
                    [102, 51, 0]], dtype=np.uint8)
FER_RUNS = dict(orsanet_small_synthetic='ORSANet (trained priors)',
                baseline_small_synthetic='no priors (ResNet + GAP + linear)')


def load_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def fmt(value: Optional[float], digits: int = 2) -> str:
    return 'missing' if value is None else f'{value:.{digits}f}'


def prior_rows(report: str) -> List[str]:
    rows = ['| prior | metric | trained | untrained |', '|---|---|---|---|']
    for name, key, label in (('parser_small', 'mIoU', 'parser mIoU (%), 11 classes'),
                             ('landmarks_mobilefacenet', 'NME', 'landmark NME (eye corners)')):
        values = [(load_json(osp.join(report, f'{name}_{tag}.json')) or {}).get(key)
                  for tag in ('trained', 'untrained')]
        rows.append(f'| {name} | {label} | ' + ' | '.join(fmt(v, 4 if key == 'NME' else 2)
                                                           for v in values) + ' |')
    return rows


def fer_rows(report: str) -> List[str]:
    rows = ['| model | split | top-1 (%) | mean class acc (%) | macro-F1 (%) |',
            '|---|---|---|---|---|']
    for name, label in FER_RUNS.items():
        for split in ('clean', 'occluded'):
            metrics = (load_json(osp.join(report, f'{name}_{split}', 'metrics.json'))
                       or {}).get('metrics')
            if metrics is None:
                rows.append(f'| {label} | {split} | not run | | |')
                continue
            rows.append(f'| {label} | {split} | ' + ' | '.join(
                fmt(metrics.get(k)) for k in ('top1', 'mean_class_acc', 'macro_f1')) + ' |')
    return rows


def occluded_split_lines(wd: str) -> List[str]:
    """What the occluded test split is: its types and severity (data/occluded/occlusion.json,
    written by the synthetic data writer), in the robustness sweep's terms."""
    summary = load_json(osp.join(wd, 'data', 'occluded', 'occlusion.json'))
    if summary is None:
        return ['The occluded split states no severity (data/occluded/occlusion.json is missing: '
                'data written by an older version).']
    severity = summary['severity']
    return [f"Occluded split: one occluder per test face ({', '.join(summary['per_type'])}), "
            f"each covering {100 * severity:.0f}% of the face box (the whole aligned crop; "
            f"achieved {100 * summary['mean_coverage']:.1f}% on average, "
            f"{100 * summary['min_coverage']:.1f}-{100 * summary['max_coverage']:.1f}%). "
            'Severity means the same in the robustness sweep (SyntheticOcclusion, one occluder '
            f'library): its rows at severity {severity:g} cover as much of each face.']


def build_priors(wd: str) -> Dict[str, torch.nn.Module]:
    preprocessor = dict(mean=MEAN, std=STD, to_rgb=True)
    configs = osp.join(ROOT, 'configs', 'demo')
    return dict(
        parsing=SemanticPrior(model=osp.join(configs, 'parser_small.py'), output='probs',
                              checkpoint=osp.join(wd, 'priors', 'parser_small.pth'),
                              input_size=112, data_preprocessor=preprocessor),
        landmarks=LandmarkPrior(model=osp.join(configs, 'landmarks_mobilefacenet.py'),
                                output='coords', input_size=112, data_preprocessor=preprocessor,
                                checkpoint=osp.join(wd, 'priors', 'landmarks_mobilefacenet.pth')))


def predictions(csv_path: str) -> Dict[str, dict]:
    if not osp.isfile(csv_path):
        return {}
    with open(csv_path, encoding='utf-8') as f:
        return {osp.basename(r['img_path']): r for r in csv.DictReader(f)}


@torch.no_grad()
def draw_grid(wd: str, out: str, count: int = 6) -> None:
    """Rows: clean face (gt / ORSANet prediction), its parsing map, its landmarks; the same
    three for the occluded version of the face."""
    priors = build_priors(wd)
    report = osp.join(wd, 'report')
    fig, axes = plt.subplots(6, count, figsize=(2 * count, 12.5))
    for split, first in (('clean', 0), ('occluded', 3)):
        base = osp.join(wd, 'data', *(['occluded'] if split == 'occluded' else []))
        preds = predictions(osp.join(report, f'orsanet_small_synthetic_{split}',
                                     'predictions.csv'))
        names = sorted(preds)[:count] or [f'test_{i + 1:04d}_aligned.jpg' for i in range(count)]
        for col, name in enumerate(names):
            bgr = cv2.imread(osp.join(base, 'Image', 'aligned', name))
            rgb = cv2.resize(bgr, (112, 112))[:, :, ::-1].copy()
            x = (torch.from_numpy(rgb).float() - torch.tensor(MEAN)) / torch.tensor(STD)
            x = x.permute(2, 0, 1)[None]
            parsing = priors['parsing'](x)[0].argmax(0).numpy()
            points = priors['landmarks'](x)[0].numpy() * 112
            row = preds.get(name, {})
            axes[first, col].imshow(rgb)
            axes[first, col].set_title(f"{split}: gt {row.get('gt_class', '?')}\n"
                                       f"pred {row.get('pred_class', '?')}", fontsize=8,
                                       color='green' if row.get('correct') == '1' else 'red')
            axes[first + 1, col].imshow(PALETTE[parsing])
            axes[first + 2, col].imshow(rgb)
            axes[first + 2, col].scatter(points[:, 0], points[:, 1], s=4, c='cyan')
    for ax in axes.ravel():
        ax.axis('off')
    for row, label in enumerate(['face', 'parsing', 'landmarks'] * 2):
        axes[row, 0].text(-8, 56, label, rotation=90, va='center', ha='right', fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def robustness_section(report: str) -> List[str]:
    lines = []
    for name, label in FER_RUNS.items():
        folder = osp.join(report, f'{name}_robustness')
        if osp.isfile(osp.join(folder, 'robustness.png')):
            lines += [f'**{label}**', '', f'![robustness]({name}_robustness/robustness.png)', '']
            table = osp.join(folder, 'robustness.csv')
            if osp.isfile(table):
                with open(table, encoding='utf-8') as f:
                    rows = list(csv.DictReader(f))
                lines += ['| type | severity | top-1 (%) |', '|---|---|---|']
                lines += [f"| {r['type']} | {r['severity']} | {float(r['top1']):.2f} |"
                          for r in rows]
                lines.append('')
    return lines or ['Not run (quick mode, or tools/analysis_tools/occlusion_robustness.py '
                     'is missing).', '']


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description='Write the demo report')
    parser.add_argument('work_dir', help='the demo work dir (run_demo.py --work-dir)')
    wd = osp.abspath(parser.parse_args(argv).work_dir)
    report = osp.join(wd, 'report')
    draw_grid(wd, osp.join(report, 'predictions.png'))
    timings = load_json(osp.join(report, 'timings.json')) or dict(steps={}, wall=0.0)
    lines = ['# ORSANet-MM demo on synthetic faces', '',
             'Everything below was trained and measured by `make demo` (tools/demo/run_demo.py) '
             'on this machine, from synthetic data only (chance = 14.3% for 7 classes).', '',
             '## Priors (each evaluated by its own toolbox\'s evaluator on the test faces)', '',
             *prior_rows(report), '',
             '## Expression recognition (tools/test.py, FERMetric)', '', *fer_rows(report), '',
             *occluded_split_lines(wd), '',
             'Confusion matrices (row-normalised):', '']
    for name, label in FER_RUNS.items():
        for split in ('clean', 'occluded'):
            path = f'{name}_{split}/confusion_matrix.png'
            if osp.isfile(osp.join(report, path)):
                lines.append(f'- {label}, {split}: ![{name} {split}]({path})')
    lines += ['', '## Test faces, ORSANet predictions and what the priors see', '',
              '![predictions](predictions.png)', '',
              '## Occlusion robustness (tools/analysis_tools/occlusion_robustness.py)', '',
              *robustness_section(report), '## Time per step (s)', '',
              '| step | seconds |', '|---|---|',
              *[f'| {k} | {v:.0f} |' for k, v in timings['steps'].items()],
              f"| wall clock until the report (steps side by side overlap) | "
              f"{timings['wall']:.0f} |", '']
    with open(osp.join(report, 'REPORT.md'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
    print('\n'.join(lines[:20]))


if __name__ == '__main__':
    cli_main(main)
