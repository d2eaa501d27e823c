"""Where ORSANet looks: MCM attention maps and Grad-CAM for every face in photos, as PNGs.

    python tools/analysis_tools/explain_faces.py MODEL IMAGE [IMAGE ...] --out-dir DIR \\
        [--checkpoint CKPT] [--block -1] [--scale large] [--detector ...] [--landmarker ...]

Faces are detected and aligned as FERInferencer does. Per image, DIR/<image>_explain.png has one
row per face: the aligned crop, the MCM attention map (landmark queries -> image tokens of MCM
``--block`` at ``--scale``, mean over heads and queries) and Grad-CAM on the backbone for the
predicted class, each over the crop, then the photo with both maps projected back onto the face
through the inverse alignment warp. DIR/explanations.json lists per face the label and where each
map peaks (in crop pixels).
"""
import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import FERInferencer, load_image
from orsanet.apis.cli import cli_main
from orsanet.apis.explain import explain_crops
from orsanet.faces.options import add_face_args, face_pipeline_from_args
from orsanet.fileio import atomic_write
from orsanet.visualization import map_to_image, normalise_map, overlay_heatmap

TILE = 200


def parse_args() -> tuple:
    parser = argparse.ArgumentParser(description='MCM attention and Grad-CAM on photos')
    parser.add_argument('model', help='model-index name or config')
    parser.add_argument('images', nargs='+', help='photos')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--checkpoint', help='loaded strictly; required unless --random-weights')
    parser.add_argument('--random-weights', action='store_true',
                        help='explain a model without a checkpoint (smoke test)')
    parser.add_argument('--block', type=int, default=-1, help='MCM block (default: the last)')
    parser.add_argument('--scale', default='large', choices=['large', 'mid', 'small'])
    add_face_args(parser)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(), parser


def labelled(tile: np.ndarray, text: str) -> np.ndarray:
    tile = cv2.resize(tile, (TILE, TILE), interpolation=cv2.INTER_CUBIC)
    cv2.rectangle(tile, (0, 0), (TILE, 18), (30, 30, 30), cv2.FILLED)
    cv2.putText(tile, text, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1,
                cv2.LINE_AA)
    return tile


def peak(values: np.ndarray, size: int) -> list:
    """(x, y) of a map's maximum in crop pixels of ``size``."""
    row, col = np.unravel_index(int(np.argmax(values)), values.shape)
    return [(col + 0.5) * size / values.shape[1], (row + 0.5) * size / values.shape[0]]


def explain_image(inferencer: FERInferencer, path: str, args) -> tuple:
    image, info = load_image(path)
    result = inferencer.predict_image(image, info, path, return_crops=True)
    crops = [face['crop'] for face in result['faces']]
    maps = explain_crops(inferencer.model, inferencer.pipeline, crops, args.block, args.scale)
    size = inferencer.aligner.size
    rows, summary = [], []
    attention_all = np.zeros(image.shape[:2], np.float32)
    cam_all = np.zeros(image.shape[:2], np.float32)
    face_mask = np.zeros(image.shape[:2], np.float32)
    for face, crop, expl in zip(result['faces'], crops, maps):
        att, cam = normalise_map(expl['attention']), expl['grad_cam']
        rows.append(np.concatenate([
            labelled(crop.copy(), f"{face['label']} {face['score']:.2f}"),
            labelled(overlay_heatmap(crop, att), 'MCM attention'),
            labelled(overlay_heatmap(crop, cam), 'Grad-CAM (backbone)')], axis=1))
        attention_all = np.maximum(attention_all, map_to_image(att, face['align_matrix'], size,
                                                               image.shape))
        cam_all = np.maximum(cam_all, map_to_image(cam, face['align_matrix'], size, image.shape))
        face_mask = np.maximum(face_mask, map_to_image(np.ones((size, size)),
                                                       face['align_matrix'], size, image.shape))
        summary.append(dict(face_id=face['face_id'], label=face['label'], box=face['box'],
                            attention_peak=peak(expl['attention'], size),
                            attention_range=[float(expl['attention'].min()),
                                             float(expl['attention'].max())],
                            grad_cam_peak=peak(cam, size)))
    scale = 3 * TILE / image.shape[1]
    photo = np.concatenate([overlay_heatmap(image, attention_all, 0.5, face_mask),
                            overlay_heatmap(image, cam_all, 0.5, face_mask)], axis=1)
    photo = cv2.resize(photo, (3 * TILE, int(image.shape[0] * scale / 2)))
    figure = np.concatenate(rows + [photo], axis=0) if rows else photo
    return figure, dict(source=path, warnings=result['warnings'], faces=summary)


def main() -> None:
    args, parser = parse_args()
    detector, aligner = face_pipeline_from_args(args, parser)
    inferencer = FERInferencer(args.model, checkpoint=args.checkpoint, device=args.device,
                               detector=detector, aligner=aligner,
                               random_weights=args.random_weights)
    os.makedirs(args.out_dir, exist_ok=True)
    report = []
    for path in args.images:
        figure, summary = explain_image(inferencer, path, args)
        out = osp.join(args.out_dir, f'{osp.splitext(osp.basename(path))[0]}_explain.png')
        cv2.imwrite(out, figure)
        report.append(dict(summary, figure=out))
        print(f"{path}: {len(summary['faces'])} face(s) -> {out}")
    with atomic_write(osp.join(args.out_dir, 'explanations.json')) as f:
        json.dump(report, f, indent=1)


if __name__ == '__main__':
    cli_main(main)
