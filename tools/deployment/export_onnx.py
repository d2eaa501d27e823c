"""Export an ORSANet checkpoint (frozen priors included) to ONNX and check it with onnxruntime.

    python tools/deployment/export_onnx.py CONFIG [CHECKPOINT] --out model.onnx \\
        [--random-priors] [--images IMG ...] [--batch 2] [--opset 18] [--no-optimize] [--atol 1e-4]

The graph takes what the data preprocessor receives, a float (B, 3, H, W) batch of 0-255 pixels
in the pipeline's channel order (BGR here), with a dynamic batch axis; it contains the
normalisation, the network and the softmax, and outputs ``scores`` and ``logits``.
The check runs faces detected (Haar) and aligned (RAF-DB template) in real photos (``--images``;
default: scikit-image's astronaut and LFW faces) through the config's test pipeline, at batch
sizes 1, B and B + 1, through onnxruntime and PyTorch, prints the max abs differences and exits
with status 1 above ``--atol``. ``--random-priors`` builds the priors without their checkpoints
(random weights) for a check where the prior weights are not at hand.
"""
import argparse
import os
import os.path as osp
import time

import torch
from mmengine.config import Config

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import init_fer_model, load_image
from orsanet.apis.cli import add_cfg_options_args, cli_main
from orsanet.apis.config_options import merge_cfg_options
from orsanet.apis.deploy import check_model_predict, compare_onnx, export_onnx, onnx_input_batch
from orsanet.apis.fer_inferencer import build_test_pipeline
from orsanet.checkpoints import without_prior_weights
from orsanet.faces import FaceAligner, HaarFaceDetector
from orsanet.faces.sample_photos import astronaut, lfw_face


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export ORSANet to ONNX and check it')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', nargs='?',
                        help='checkpoint, loaded strictly (required unless --random-weights)')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    parser.add_argument('--random-weights', action='store_true',
                        help='export without a checkpoint (random weights, for a smoke test)')
    parser.add_argument('--random-priors', action='store_true',
                        help="build the priors with checkpoint=None (random weights); implies "
                        '--random-weights')
    parser.add_argument('--images', nargs='+', help='photos with faces for the check')
    parser.add_argument('--batch', type=int, default=2, help='batch of the traced example')
    parser.add_argument('--opset', type=int, default=18)
    parser.add_argument('--no-optimize', action='store_true',
                        help="skip the ONNX graph optimiser (faster export, larger graph)")
    parser.add_argument('--atol', type=float, default=1e-4, help='fail above this max abs diff')
    parser.add_argument('--seed', type=int, default=0, help='seed of random weights')
    add_cfg_options_args(parser)
    return parser.parse_args()


def real_faces(paths, count: int):
    """``count`` aligned BGR face crops from photos (repeating if there are fewer faces)."""
    detector, aligner = HaarFaceDetector(), FaceAligner()
    images = [load_image(p)[0] for p in paths] if paths else [astronaut()] + [
        lfw_face(i) for i in range(count)]
    crops = []
    for image in images:
        if image.ndim == 2:
            image = image[..., None].repeat(3, axis=2)
        crops.extend(aligner(image, face.box).crop for face in detector(image))
    if not crops:
        raise ValueError(f'no face found in {paths}: give photos with frontal faces')
    return [crops[i % len(crops)] for i in range(count)]


def main() -> int:
    args = parse_args()
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options, args.cfg_new_keys)
    if args.random_priors:
        cfg.model = without_prior_weights(cfg.model)
    model = init_fer_model(cfg, args.checkpoint, device='cpu',
                           random_weights=args.random_weights or args.random_priors)
    params = sum(p.numel() for p in model.parameters())
    pipeline = build_test_pipeline(cfg)
    crops = real_faces(args.images, 2 * args.batch + 2)
    batches = [onnx_input_batch(crops[:1], pipeline),
               onnx_input_batch(crops[1:1 + args.batch], pipeline),
               onnx_input_batch(crops[1 + args.batch:2 + 2 * args.batch], pipeline)]
    check_model_predict(model, batches[1])
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    start = time.time()
    export_onnx(model, args.out, batches[1], opset=args.opset, optimize=not args.no_optimize)
    print(f'exported {params / 1e6:.2f} M parameters to {args.out} '
          f'({osp.getsize(args.out) / 2**20:.1f} MiB) in {time.time() - start:.1f} s '
          f"(dynamo exporter, opset {args.opset}, optimised: {not args.no_optimize})")
    start = time.time()
    diffs = compare_onnx(model, args.out, batches)
    print(f'onnxruntime vs PyTorch on {sum(len(b) for b in batches)} real faces in batches of '
          f'{[len(b) for b in batches]}: max abs diff scores {diffs["scores"]:.3e}, logits '
          f'{diffs["logits"]:.3e} (logit scale {diffs["logit_scale"]:.3g}); '
          f'{time.time() - start:.1f} s')
    worst = max(diffs['scores'], diffs['logits'])
    if worst > args.atol:
        print(f'FAILED: max abs diff {worst:.3e} > atol {args.atol:g}')
        return 1
    print(f'OK: max abs diff {worst:.3e} <= atol {args.atol:g}')
    return 0


if __name__ == '__main__':
    cli_main(main)
