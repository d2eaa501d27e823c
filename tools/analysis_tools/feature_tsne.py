"""t-SNE of ORSANet's features on a test set, coloured by true class, as a PNG.

    python tools/analysis_tools/feature_tsne.py CONFIG CHECKPOINT --out-dir DIR \\
        [--stage pre_logits] [--max-samples 1000] [--perplexity 30] [--cfg-options k=v ...]

Runs the config's test dataloader through ``extract_feat(stage=...)`` (``'neck'``: MCM output,
``'pre_logits'``: after the head's SE block; both (B, D)), embeds the features in 2-D with
scikit-learn's t-SNE (``orsanet.apis.explain.tsne``) and writes DIR/tsne.png (one colour per true
class, crosses for misclassified samples) and DIR/tsne.csv (x, y, label, prediction per sample).
"""
import argparse
import csv
import os
import os.path as osp

import matplotlib
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import add_cfg_options_args, init_fer_model, merge_cfg_options
from orsanet.apis.cli import cli_main
from orsanet.apis.explain import tsne
from orsanet.fileio import atomic_write, save_figure

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='t-SNE of ORSANet features on a test set')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--stage', default='pre_logits', choices=['neck', 'pre_logits'])
    parser.add_argument('--max-samples', type=int, default=1000)
    parser.add_argument('--perplexity', type=float, default=30.0)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cpu')
    add_cfg_options_args(parser)
    return parser.parse_args()


@torch.no_grad()
def collect(model, loader, stage: str, limit: int):
    feats, labels, preds = [], [], []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        out = model.extract_feat(data['inputs'], stage=stage)
        out = out[-1] if isinstance(out, tuple) else out
        logits = model.head(model.extract_feat(data['inputs']))
        feats.append(out.cpu().numpy())
        preds.extend(logits.argmax(dim=1).tolist())
        labels.extend(int(s.gt_label) for s in data['data_samples'])
        if len(labels) >= limit:
            break
    return np.concatenate(feats)[:limit], np.array(labels[:limit]), np.array(preds[:limit])


def plot(points, labels, preds, classes, path: str, title: str) -> None:
    fig, ax = plt.subplots(figsize=(7, 6))
    colours = plt.get_cmap('tab10')
    for idx, name in enumerate(classes):
        label = name  # in the legend once, whichever marker comes first
        for correct, marker in ((True, 'o'), (False, 'x')):
            sel = (labels == idx) & ((preds == labels) == correct)
            if sel.any():
                ax.scatter(points[sel, 0], points[sel, 1], s=14, marker=marker,
                           color=colours(idx % 10), label=label)
                label = None
    ax.legend(fontsize=8, markerscale=1.5, loc='best')
    ax.set_title(title + '\n(o: correct, x: misclassified)', fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    plt.close(fig)


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options, args.cfg_new_keys)
    model = init_fer_model(cfg, args.checkpoint, args.device)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader = Runner.build_dataloader(cfg.test_dataloader)
    feats, labels, preds = collect(model, loader, args.stage, args.max_samples)
    points = tsne(feats, perplexity=args.perplexity, seed=args.seed)
    classes = model.dataset_meta['classes']
    os.makedirs(args.out_dir, exist_ok=True)
    acc = float((labels == preds).mean() * 100)
    plot(points, labels, preds, classes, osp.join(args.out_dir, 'tsne.png'),
         f't-SNE of {args.stage} features, {len(labels)} test samples (top-1 {acc:.1f} %)')
    with atomic_write(osp.join(args.out_dir, 'tsne.csv'), newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['x', 'y', 'label', 'prediction'])
        for (x, y), label, pred in zip(points, labels, preds):
            writer.writerow([f'{x:.4f}', f'{y:.4f}', classes[label], classes[pred]])
    print(f'{len(labels)} samples, top-1 {acc:.1f} %: {args.out_dir}/tsne.png')


if __name__ == '__main__':
    cli_main(main)
