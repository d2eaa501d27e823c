"""Speed and agreement of the whole model on each runtime backend and precision, side by side.

    python tools/analysis_tools/runtime_speed.py CONFIG [CHECKPOINT] [--random-priors]
        [--backends pytorch onnxruntime openvino] [--precisions fp32 bf16 int8]
        [--batch-sizes 1 4 16] [--warmup 1] [--repeats 5] [--threads N]
        [--eval-faces 64] [--calib-faces 64] [--calib-config CONFIG.py[:SPLIT]]
        [--eval-config CONFIG.py[:SPLIT]] [--no-optimize] [--cache-dir DIR] [--out run.json]
        [--photo IMG] [--video CLIP ...] [--detectors haar ...] [--classify-hz 0 5]
        [--detect-every 1 5] [--video-frames N]

Every (backend, precision) is loaded with :func:`orsanet.runtime.load_runtime` (built once from
the ONNX export into ``--cache-dir``, checked against PyTorch float32 at load), then timed in
ONE process, interleaved: each repeat runs every batch size on every runtime in turn, so all
see the same machine load. Per row: ms a face at each batch size (median over ``--repeats``,
and the spread min-max), top-1 agreement and the largest probability change against PyTorch
float32 on ``--eval-faces`` faces, the file size, the build time (export + compile; int8:
+ quantisation), the threads. The faces are scikit-image's LFW faces (grey, upscaled) and their
mirror images; int8 calibrates on ``--calib-faces`` others (distinct from the eval faces, which
also serve as its held-out set); ``--calib-config`` / ``--eval-config`` take them from a
dataset config's split instead (built by the project's dataset registry). The eager PyTorch
rows also give the priors' share (forward hooks on ``semantic_prior`` / ``landmark_prior``);
the compiled backends run one fused graph, not split. The CPU model, its flags, the load
average before and after, and the precisions skipped (and why) are printed with the table;
everything goes to ``--out``.
Without a checkpoint the weights are random (``--random-priors`` builds the priors without
their files): speed does not depend on them, agreement does (random logits are nearly flat).

With ``--photo`` and/or ``--video`` the whole face pipeline is timed too, for every loaded
(backend, precision) and every ``--detectors`` entry, side by side in this process: per stage
ms (decode, detect, align (+ track), model (priors and ORSANet core together: the compiled
backends run them as one graph), write (draw + encode)) and end-to-end frames/s; the photo's
figures are medians of ``--repeats`` runs after a warm-up, with ``pipeline_ms`` (end to end
without the model) and its spread. The video runs
through :class:`orsanet.apis.video.VideoFER` at each ``--classify-hz`` x ``--detect-every``
("after", decoding in a background thread; detection on every k-th frame, optical-flow
following between) and through ``FERInferencer.predict_video`` (the path before it, every face
detected and classified on every frame, decoding inline). Each "after" row counts the distinct
face ids and the faces of "before" it has no face for (``lost``; listed in ``--out``).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import time
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
from mmengine.config import Config

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import add_cfg_options_args, init_fer_model, merge_cfg_options
from orsanet.apis.cli import cli_main
from orsanet.apis.fer_inferencer import build_test_pipeline
from orsanet.checkpoints import without_prior_weights
from orsanet.faces.sample_photos import lfw_face
from orsanet.fileio import atomic_write
from orsanet.runtime import MissingBackendError, load_runtime, machine_summary
from orsanet.runtime.compiled import _reference
from orsanet.runtime.quantize import (
    agreement,
    load_dataset_faces,
    parse_dataset_source,
    quantization_scheme,
)

REDUCE_RANGE = dict(auto=None, on=True, off=False)  # --int8-reduce-range

LFW_FACES = 100


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Runtime backends x precisions: speed, agreement')
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (default: random weights)')
    parser.add_argument('--random-priors', action='store_true',
                        help='build the priors with random weights (no prior weight files)')
    parser.add_argument('--backends', nargs='+', default=['pytorch', 'onnxruntime', 'openvino'])
    parser.add_argument('--precisions', nargs='+', default=['fp32', 'bf16', 'int8'],
                        choices=['fp32', 'bf16', 'int8'])
    parser.add_argument('--batch-sizes', nargs='+', type=int, default=[1, 4, 16])
    parser.add_argument('--warmup', type=int, default=1, help='untimed runs per row and batch')
    parser.add_argument('--repeats', type=int, default=5, help='timed runs per row and batch')
    parser.add_argument('--pause', type=float, default=0.3,
                        help='seconds idle before each timed call, so that the previous '
                        "row's runtime threads (ONNX Runtime and OpenVINO spin after a run) "
                        'have stopped and do not slow the next row')
    parser.add_argument('--threads', type=int, help='intra-op threads (default: physical cores)')
    parser.add_argument('--eval-faces', type=int, default=64,
                        help='faces for the agreement with PyTorch float32 (int8 held-out set)')
    parser.add_argument('--calib-faces', type=int, default=64, help='int8 calibration faces')
    parser.add_argument('--calib-config', help='calibrate int8 on a dataset config\'s faces '
                        '(CONFIG.py[:SPLIT], default split train) instead of LFW')
    parser.add_argument('--eval-config', help='the eval (held-out) faces from a dataset config '
                        '(CONFIG.py[:SPLIT]) instead of LFW; give a split the calibration '
                        'does not use')
    parser.add_argument('--no-optimize', action='store_true',
                        help='skip the ONNX optimiser of the export (faster export)')
    parser.add_argument('--int8-reduce-range', choices=['auto', 'on', 'off'], default='auto',
                        help='int8 weights in 7 bits (on) or 8 (off); auto: 7 without VNNI')
    parser.add_argument('--min-agreement', type=float, default=0.0,
                        help='int8 refusal threshold (0 here: the table states the figure)')
    parser.add_argument('--cache-dir', help='runtime cache (default: work_dirs/runtime_speed/'
                        '<config name>)')
    parser.add_argument('--out', help='JSON with every setting and timed run')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--photo', help='time the face pipeline on this photo')
    parser.add_argument('--video', nargs='+', help='time the face pipeline on these videos')
    parser.add_argument('--detectors', nargs='+', default=['haar'])
    parser.add_argument('--classify-hz', nargs='+', type=float, default=[0.0, 5.0],
                        help='video: classify rates to time (0: every face every frame)')
    parser.add_argument('--detect-every', nargs='+', type=int, default=[1],
                        help='video: detector on every k-th frame, faces followed by optical '
                        'flow between (1: every frame); each k is timed at each --classify-hz')
    parser.add_argument('--video-frames', type=int, default=60, help='video: frames timed')
    add_cfg_options_args(parser)
    args = parser.parse_args(argv)
    if args.pause < 0:
        parser.error(f'--pause must be 0 or more seconds, got {args.pause:g}')
    return args


def lfw_faces(count: int, offset: int = 0) -> List[np.ndarray]:
    """``count`` BGR face crops: LFW faces 0-99, then their mirror images, from ``offset``."""
    faces = []
    for i in range(offset, offset + count):
        face = cv2.cvtColor(lfw_face(i % LFW_FACES, pad=0), cv2.COLOR_GRAY2BGR)
        faces.append(face if (i // LFW_FACES) % 2 == 0 else face[:, ::-1].copy())
    return faces


def config_faces(source: str, count: int) -> List[np.ndarray]:
    """The first ``count`` faces of a dataset config (``CONFIG.py[:SPLIT]``)."""
    config, split = parse_dataset_source(source) or (source, 'train')
    return load_dataset_faces(config, split, max_faces=count)


def pick_faces(args: argparse.Namespace) -> tuple:
    """``(eval faces, calibration faces, description)``: from the dataset configs given, else
    LFW (the eval faces first, the calibration faces after them: disjoint)."""
    count = max(args.eval_faces, max(args.batch_sizes))
    evals = config_faces(args.eval_config, count) if args.eval_config else lfw_faces(count)
    if len(evals) < max(args.batch_sizes):
        evals = (evals * (max(args.batch_sizes) // len(evals) + 1))[:count]
    calib = (config_faces(args.calib_config, args.calib_faces) if args.calib_config
             else lfw_faces(args.calib_faces, offset=0 if args.eval_config else len(evals)))
    describe = (f'{len(evals)} eval faces from {args.eval_config or "LFW"}, {len(calib)} int8 '
                f'calibration faces from {args.calib_config or "LFW (others)"}')
    if args.eval_config and args.eval_config == args.calib_config:
        describe += ' (THE SAME faces: the agreement is not held out)'
    return evals, calib, describe


def build_model(args: argparse.Namespace):
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options, args.cfg_new_keys)
    if args.random_priors:
        cfg.model = without_prior_weights(cfg.model)
    torch.manual_seed(args.seed)
    return init_fer_model(cfg, args.checkpoint, device='cpu',
                          random_weights=args.checkpoint is None), cfg


def load_rows(model, args, preprocess, calib, evals) -> tuple:
    """``(rows, skipped)``: each loaded (backend, precision) with its figures, and the reasons
    of those skipped."""
    rows, skipped = [], []
    for backend in args.backends:
        for precision in args.precisions:
            start = time.perf_counter()
            try:
                runtime = load_runtime(
                    model, backend, precision, checkpoint=args.checkpoint,
                    cache_dir=args.cache_dir, threads=args.threads, preprocess=preprocess,
                    calibration=calib if precision == 'int8' else None, holdout=evals,
                    min_agreement=args.min_agreement, optimize_export=not args.no_optimize,
                    int8_reduce_range=REDUCE_RANGE[args.int8_reduce_range])
            except (MissingBackendError, ValueError) as err:
                skipped.append(f'{backend} {precision}: {err}')
                continue
            if runtime.notes:  # bf16 fell back to fp32: the fp32 row times it
                skipped.append(f'{backend} {precision}: {"; ".join(runtime.notes)}')
                continue
            rows.append(dict(backend=backend, precision=precision, runtime=runtime,
                             load_s=time.perf_counter() - start))
    return rows, skipped


class PriorTimer:
    """Wall time spent inside the model's frozen priors (``semantic_prior``, ``landmark_prior``:
    forward pre-/post-hooks; they run one after the other, never nested) while ``active``.

    Only for the eager PyTorch rows: CPU kernels run synchronously, so the hooks bracket exactly
    the priors' work; the compiled backends run ONE graph (priors and core fused, node names
    without module scopes), which the tool does not split.
    """

    PARTS = ('semantic_prior', 'landmark_prior')

    def __init__(self, model: torch.nn.Module) -> None:
        self.active, self.seconds, self._start = False, 0.0, 0.0
        self.handles = []
        for name in self.PARTS:
            part = getattr(model, name, None)
            if part is not None:
                self.handles.append(part.register_forward_pre_hook(self._enter))
                self.handles.append(part.register_forward_hook(self._leave))

    def _enter(self, module, args) -> None:
        self._start = time.perf_counter()

    def _leave(self, module, args, output) -> None:
        if self.active:
            self.seconds += time.perf_counter() - self._start

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def time_rows(rows, inputs: np.ndarray, batch_sizes, warmup: int, repeats: int,
              priors: Optional[PriorTimer] = None, pause: float = 0.0) -> None:
    """Interleaved timing: per repeat, every batch size on every row in turn, ``pause`` seconds
    idle before each timed call (a runtime's threads keep spinning on the cores for a while
    after its run: without the pause they slow whichever row comes next). The PyTorch rows
    also record the priors' share (``prior_runs``, ms a face) when ``priors`` is given."""
    for row in rows:
        row['runs'] = {b: [] for b in batch_sizes}
        row['prior_runs'] = {b: [] for b in batch_sizes}
        for b in batch_sizes:
            for _ in range(warmup):
                row['runtime'](inputs[:b])
    for _ in range(repeats):
        for b in batch_sizes:
            for row in rows:
                split = priors is not None and row['backend'] == 'pytorch' and priors.handles
                time.sleep(pause)
                if split:
                    priors.active, priors.seconds = True, 0.0
                start = time.perf_counter()
                row['runtime'](inputs[:b])
                row['runs'][b].append((time.perf_counter() - start) * 1e3 / b)
                if split:
                    priors.active = False
                    row['prior_runs'][b].append(priors.seconds * 1e3 / b)


def table(rows, batch_sizes, fp32_ref: Dict[int, float]) -> str:
    head = ['backend', 'precision'] + [f'ms/face @{b} median (min-max)' for b in batch_sizes]
    head += ['vs PyTorch fp32 @1', 'top-1 agree', 'max prob change', 'file MiB', 'build s',
             'threads']
    head.insert(2 + len(batch_sizes), 'priors + core ms/face @1 (median)')
    head.insert(3 + len(batch_sizes), 'faces/s @max batch')
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    first = batch_sizes[0]
    for row in rows:
        cells = [row['backend'], row['precision']]
        for b in batch_sizes:
            runs = row['runs'][b]
            cells.append(f'{statistics.median(runs):.1f} ({min(runs):.1f}-{max(runs):.1f})')
        prior = row.get('prior_runs', {}).get(first)
        if prior:
            core = [t - p for t, p in zip(row['runs'][first], prior)]
            cells.append(f'{statistics.median(prior):.1f} + {statistics.median(core):.1f}')
        else:
            cells.append('- (one graph)')
        cells.append(f'{1e3 / statistics.median(row["runs"][max(batch_sizes)]):.2f}')
        ratio = statistics.median(row['runs'][first]) / fp32_ref[first] if fp32_ref else None
        rt = row['runtime']
        cells += [f'{ratio:.2f}x' if ratio else '-', f'{row["agree"]["top1_agreement"]:.1%}',
                  f'{row["agree"]["max_prob_change"]:.2e}',
                  f'{rt.file_bytes / 2**20:.1f}' if rt.file_bytes else '-',
                  f'{rt.export_s:.1f} + {rt.build_s:.1f}' if rt.folder else '-', str(rt.threads)]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def _photo_once(inferencer, path: str) -> tuple:
    """Seconds per stage of one photo, end to end, and its face count."""
    import tempfile

    from orsanet.apis.image_io import load_image
    from orsanet.faces.tracking import TrackedFace
    ms, start = {}, time.perf_counter()
    tic = time.perf_counter()
    image, _ = load_image(path)
    ms['decode'] = time.perf_counter() - tic
    tic = time.perf_counter()
    faces, _ = inferencer._split_faces(list(inferencer.detector(image)))
    ms['detect'] = time.perf_counter() - tic
    tic = time.perf_counter()
    aligned = [inferencer.aligner(image, f.box, f.points) for f in faces]
    ms['align'] = time.perf_counter() - tic
    tic = time.perf_counter()
    scores = inferencer.classify_crops([a.crop for a in aligned])
    ms['model'] = time.perf_counter() - tic
    tic = time.perf_counter()
    result = dict(faces=[inferencer._face_entry(TrackedFace(i, f, a), s, None, False)
                         for i, (f, a, s) in enumerate(zip(faces, aligned, scores))],
                  warnings=[])
    drawn = inferencer.draw(image, result)
    with tempfile.TemporaryDirectory() as tmp:
        cv2.imwrite(osp.join(tmp, 'x.png'), drawn)
    ms['write'] = time.perf_counter() - tic
    return ms, time.perf_counter() - start, len(faces)


def _photo_row(inferencer, path: str, repeats: int = 3) -> dict:
    """Median ms per stage of ``repeats`` runs of one photo (after one that warms up),
    end to end, and ``pipeline_ms``: end to end without the model (decode, detect, align,
    write), with its spread (min-max)."""
    _photo_once(inferencer, path)
    runs = [_photo_once(inferencer, path) for _ in range(max(repeats, 1))]
    row = {k: 1e3 * float(np.median([r[0][k] for r in runs])) for k in runs[0][0]}
    totals = [1e3 * r[1] for r in runs]
    around = [1e3 * (r[1] - r[0]['model']) for r in runs]
    row.update(faces=runs[-1][2], end_to_end_ms=float(np.median(totals)),
               fps=1e3 / float(np.median(totals)), pipeline_ms=float(np.median(around)),
               pipeline_spread=f'{min(around):.1f}-{max(around):.1f}')
    return row


def _faces_lost(before: List[dict], after: List[dict]) -> List[str]:
    """Faces of the "before" path (by frame) that the "after" path has no face for (box IoU
    >= 0.5): 'frame N: box' each."""
    from orsanet.faces.tracking import box_iou
    by_frame = {r['frame']: r['faces'] for r in after if r is not None}
    lost = []
    for result in before:
        for face in result['faces']:
            found = by_frame.get(result['frame'], [])
            if not any(box_iou(face['box'], f['box']) >= 0.5 for f in found):
                lost.append(f"frame {result['frame']}: {[round(v) for v in face['box']]}")
    return lost


def _video_rows(inferencer, path: str, args) -> List[dict]:
    """predict_video ("before": every face detected and classified on every frame) and
    VideoFER at each classify rate x detect_every ("after") on the clip; each "after" row
    counts the faces of "before" it has no face for (``lost``, listed in ``lost_faces``)."""
    from orsanet.apis.image_io import open_video
    from orsanet.apis.video import FrameReader, VideoFER
    start = time.perf_counter()
    before = inferencer.predict_video(path, out_dir=None, max_frames=args.video_frames,
                                      progress=False)
    out = [dict(path='before (predict_video)', fps=len(before) / (time.perf_counter() - start),
                faces=float(np.mean([len(r['faces']) for r in before])),
                ids=len({f['face_id'] for r in before for f in r['faces']}))]
    for hz in args.classify_hz:
        for every in args.detect_every:
            reader = FrameReader(open_video(path), max_frames=args.video_frames)
            video = VideoFER(inferencer, classify_hz=hz, detect_every=every)
            os.makedirs(args.cache_dir, exist_ok=True)
            writer, results = None, []

            def sink(frame, result, drawn_result):
                nonlocal writer
                if writer is None:
                    writer = cv2.VideoWriter(osp.join(args.cache_dir, 'speed_video.mp4'),
                                             cv2.VideoWriter_fourcc(*'mp4v'), reader.fps or 25,
                                             (frame.image.shape[1], frame.image.shape[0]))
                writer.write(inferencer.draw(frame.image, drawn_result))
                results.append(result)
                return True
            stats = video.run(reader, sink)
            reader.close()
            if writer is not None:
                writer.release()
            lost = _faces_lost(before, results)
            faces = float(np.mean([len(r['faces']) if r else 0 for r in results]))
            row = dict(path=f'after hz={hz:g} detect_every={every}', fps=stats.fps(),
                       faces=faces,
                       refresh_per_s=stats.computed_faces / max(faces, 1e-9) / stats.wall_s,
                       ids=len({f['face_id'] for r in results if r for f in r['faces']}),
                       computed=stats.computed_faces, carried=stats.carried_faces,
                       detections=stats.detections, lost=len(lost), lost_faces=lost,
                       decode=1e3 * reader.decode_s / max(reader.decoded, 1))
            row.update(stats.ms_per_frame())
            out.append(row)
    return out


def time_pipeline(model, rows, args) -> List[dict]:
    """Photo and video figures for every (backend, precision) x detector."""
    from orsanet.apis import FERInferencer
    out = []
    for row in rows:
        for detector in args.detectors:
            inferencer = FERInferencer(model, detector=detector, aligner=dict(landmarker=None),
                                       random_weights=True)
            if (row['backend'], row['precision']) != ('pytorch', 'fp32'):
                inferencer.runtime = row['runtime']
            head = dict(backend=row['backend'], precision=row['precision'], detector=detector)
            if args.photo:
                out.append(dict(head, input='photo', **_photo_row(inferencer, args.photo,
                                                                  args.repeats)))
            for video in args.video or []:
                out.extend(dict(head, input=osp.basename(video), **r)
                           for r in _video_rows(inferencer, video, args))
    return out


def pipeline_table(rows: List[dict]) -> str:
    cols = ['backend', 'precision', 'detector', 'input', 'path', 'faces', 'ids', 'lost',
            'decode', 'detections', 'detect', 'align', 'align+track', 'follow', 'model',
            'classify', 'write', 'computed', 'carried', 'refresh_per_s', 'pipeline_ms',
            'pipeline_spread', 'end_to_end_ms', 'fps']
    lines = ['ms per image/frame by stage (photo: medians of --repeats runs); fps = frames (or '
             'photos) a second end to end; refresh_per_s = computed expressions per face per '
             'second of wall time; pipeline_ms = a photo end to end without the model',
             '| ' + ' | '.join(cols) + ' |', '|' + '---|' * len(cols)]
    for r in rows:
        cells = [f'{r[c]:.1f}' if isinstance(r.get(c), float) else str(r.get(c, '-'))
                 for c in cols]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    args.cache_dir = args.cache_dir or osp.join(
        'work_dirs', 'runtime_speed', osp.splitext(osp.basename(args.config))[0])
    before = machine_summary()
    print(f'CPU: {before["cpu"]}; flags: {" ".join(before["flags"]) or "-"}; torch capability '
          f'{before["torch_capability"]}; {before["physical_cores"]} physical cores / '
          f'{before["logical_cpus"]} logical; load average {before["loadavg"]}')
    model, cfg = build_model(args)
    pipeline = build_test_pipeline(cfg)

    def preprocess(crop: np.ndarray) -> np.ndarray:
        data = pipeline(dict(img=crop, img_shape=crop.shape[:2], ori_shape=crop.shape[:2]))
        return data['inputs'].numpy().astype(np.float32)

    evals, calib, sources = pick_faces(args)
    print(f'faces: {sources}')
    inputs = np.stack([preprocess(f) for f in evals])
    rows, skipped = load_rows(model, args, preprocess, calib, evals)
    reference = _reference(model)
    ref_scores = np.concatenate([reference(inputs[i:i + 16])[0]
                                 for i in range(0, len(inputs), 16)])
    for row in rows:
        scores = np.concatenate([row['runtime'](inputs[i:i + 16])[0]
                                 for i in range(0, len(inputs), 16)])
        row['agree'] = agreement(ref_scores, scores)
    priors = PriorTimer(model)
    time_rows(rows, inputs, args.batch_sizes, args.warmup, args.repeats, priors, args.pause)
    priors.remove()
    fp32 = [r for r in rows if (r['backend'], r['precision']) == ('pytorch', 'fp32')]
    fp32_ref = {b: statistics.median(fp32[0]['runs'][b]) for b in args.batch_sizes} if fp32 else {}
    after = machine_summary()
    print(table(rows, args.batch_sizes, fp32_ref))
    print(f'{len(inputs)} eval faces (agreement vs PyTorch fp32); {args.repeats} timed runs '
          f'after {args.warmup} warm-up per cell, interleaved, {args.pause:g} s idle before '
          f'each; load average before '
          f'{before["loadavg"]}, after {after["loadavg"]}')
    for line in skipped:
        print(f'skipped {line}')
    for row in rows:
        rt = row['runtime']
        if rt.report:
            print(f'{row["backend"]} int8 held-out report: {rt.report}')
    if 'int8' in args.precisions:
        print('int8 scheme: ' + quantization_scheme(REDUCE_RANGE[args.int8_reduce_range])[1])
    pipeline_rows = []
    if args.photo or args.video:
        pipeline_rows = time_pipeline(model, rows, args)
        print(pipeline_table(pipeline_rows))
        for r in pipeline_rows:
            if r.get('lost_faces'):
                print(f"{r['backend']} {r['precision']} {r['detector']} {r['input']} "
                      f"{r['path']}: {r['lost']} face(s) of 'before' missing, first: "
                      f"{'; '.join(r['lost_faces'][:5])}")
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with atomic_write(args.out) as f:
            json.dump(dict(args=vars(args), machine_before=before, machine_after=after,
                           skipped=skipped,
                           rows=[dict(backend=r['backend'], precision=r['precision'],
                                      runs_ms_per_face=r['runs'],
                                      prior_runs_ms_per_face=r['prior_runs'], agreement=r['agree'],
                                      check=r['runtime'].check, report=r['runtime'].report,
                                      file_bytes=r['runtime'].file_bytes,
                                      export_s=r['runtime'].export_s,
                                      build_s=r['runtime'].build_s, load_s=r['load_s'],
                                      threads=r['runtime'].threads) for r in rows],
                           pipeline=pipeline_rows),
                      f, indent=1, default=str)
    return 0


if __name__ == '__main__':
    cli_main(main)
