"""Face detectors and aligners on real faces under synthetic occluders, measured.

    python tools/analysis_tools/face_pipeline_benchmark.py --out-dir work_dirs/face_bench \\
        [--detectors haar mtcnn dlib_hog dlib_cnn dlib_cnn+haar] \\
        [--aligners haar dlib5 dlib68 det5] [--types patch eye_bar mask hand scarf object] \\
        [--severities 0.1 0.2 0.3 0.4 0.5] [--lfw 100] [--video-frames 12] [--seed 0] \\
        [--compare dlib_cnn+haar mtcnn+haar]

Faces (all shipped inside scikit-image, nothing downloaded): the first ``--lfw`` LFW faces
(grey 25-px crops upscaled to 100 px and border-padded, ``sample_photos.lfw_face``), the
astronaut (512 px, a 95-px face) and the frames of a synthetic clip (``moving_face_frames``: the
astronaut's face at 60 px moving across a 400 x 320 frame, written as MPEG-4 and read back).

Reference: dlib's CNN detector (``min_face=30``) and 68-point model on the clean image give the
face box and the 68 points; images where it finds no face are left out (counted). Every
``SyntheticOcclusion`` type x severity is painted onto each image, placed by those 68 points,
severity = the covered fraction of the landmarks' bounding box, seeded per image. Per detector
x occluder x severity:

- detection rate: images with a detection whose box holds both reference eye centres and is 1.2
  to 6 reference inter-ocular distances (IOD) wide;
- eye error per aligner (``haar``: Haar eyes else box fractions; ``dlib5``; ``dlib68``; ``det5``:
  the detector's own 5 points, e.g. MTCNN's, what the inferencer warps from when a detector gives
  them), run on the occluded image in the detector's box: mean distance of the two eye centres
  the aligner warps from to the reference eye centres, in IOD (median over the detected faces,
  and the fraction above 0.2 IOD);
- time per image (detection; alignment per face);
- video frames only: the share of frames where the face is reported when a ``FaceTracker``
  (``max_lost`` 10) follows the detections over the clip (held faces count when their box is
  the face's);

and per detector the false positives on LFW's 100 non-face crops (prepared like the faces).
Detector specs take options: ``dlib_cnn:min_face=80``, ``haar:min_neighbors=3``. A fallback
``a+b`` whose parts are both in ``--detectors`` is composed from their (deterministic) outputs
on each image instead of running them again: the same faces, time = a's + b's where a found none.

Summary table: per detector, the detection rate over all images at 0 / 20 / 35 % cover (mean over
the occluder types), false faces, ms an image. "Nothing lost" (``--compare OLD NEW``): every image
x occluder x severity where OLD (default: today's path, ``dlib_cnn+haar``) found the face and NEW
did not is listed by name.

Writes ``face_benchmark.json`` (every row and the settings), ``face_benchmark.md`` (the tables)
and ``face_benchmark.png`` (detection rate and eye error against severity).
"""
import argparse
import ast
import json
import os
import os.path as osp
import platform
import tempfile
import time
from dataclasses import dataclass
from typing import Dict, List, Tuple

import cv2
import numpy as np

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis.cli import cli_main
from orsanet.datasets.occlusion import OCCLUDER_TYPES
from orsanet.datasets.transforms import SyntheticOcclusion
from orsanet.faces import FaceAligner, FaceTracker, build_face_detector
from orsanet.faces.dlib_backends import DlibFaceDetector, DlibLandmarker
from orsanet.faces.sample_photos import (
    astronaut,
    lfw_face,
    lfw_non_face,
    moving_face_frames,
    read_video,
    write_video,
)
from orsanet.fileio import atomic_write, save_figure

EYE_FAIL_IOD = 0.2
ALIGNERS = dict(haar=None, dlib5='dlib5', dlib68='dlib68', det5=None)
DETECTOR_POINTS = 'det5'  # the aligner that warps from the detection's own 5 points
SUMMARY_SEVERITIES = (0.0, 0.2, 0.35)
COMPARE = ('dlib_cnn+haar', 'mtcnn+haar')  # today's path before issue 24 and the new default


@dataclass
class Sample:
    """One clean face image with its dlib 68-point reference."""
    group: str
    name: str
    image: np.ndarray
    landmarks: np.ndarray  # (68, 2) on the clean image

    @property
    def eyes(self) -> np.ndarray:
        return np.stack([self.landmarks[36:42].mean(0), self.landmarks[42:48].mean(0)])

    @property
    def iod(self) -> float:
        return float(np.linalg.norm(self.eyes[1] - self.eyes[0]))

    @property
    def face_box(self) -> Tuple[float, float, float, float]:
        (x1, y1), (x2, y2) = self.landmarks.min(0), self.landmarks.max(0)
        return x1, y1, x2 + 1, y2 + 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Face detectors and aligners under occlusion')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--detectors', nargs='+',
                        default=['haar', 'mtcnn', 'dlib_hog', 'dlib_cnn', 'dlib_cnn+haar'],
                        help='detector specs: NAME[:key=value,...]')
    parser.add_argument('--compare', nargs=2, metavar=('OLD', 'NEW'),
                        help='list the faces OLD found and NEW missed (when both were run; '
                        f'default: {" ".join(COMPARE)}, also with --from-json)')
    parser.add_argument('--aligners', nargs='+', default=list(ALIGNERS), choices=list(ALIGNERS))
    parser.add_argument('--types', nargs='+', default=list(OCCLUDER_TYPES), choices=OCCLUDER_TYPES)
    parser.add_argument('--severities', nargs='+', type=float,
                        default=[0.1, 0.2, 0.3, 0.4, 0.5])
    parser.add_argument('--lfw', type=int, default=100, help='LFW faces used (0-100)')
    parser.add_argument('--non-faces', type=int, default=100, help='LFW non-faces used')
    parser.add_argument('--video-frames', type=int, default=12)
    parser.add_argument('--seed', type=int, default=0, help='seed of the occluders')
    parser.add_argument('--reference-cache',
                        help='a .json file of the reference landmarks: read when it exists, '
                        'else written (runs of the same images split by --types)')
    parser.add_argument('--from-json', nargs='+',
                        help='only redraw the tables and the plot from the face_benchmark.json '
                        'of earlier runs (their rows together; the first one\'s settings)')
    return parser.parse_args()


def parse_spec(spec: str) -> Tuple[str, dict]:
    """``'dlib_cnn:min_face=80'`` -> ``('dlib_cnn:min_face=80', dict(type='dlib_cnn',
    min_face=80))``."""
    name, _, options = spec.partition(':')
    cfg = dict(type=name)
    for item in filter(None, options.split(',')):
        key, _, value = item.partition('=')
        cfg[key] = ast.literal_eval(value)
    return spec, cfg


def clean_images(args) -> List[Tuple[str, str, np.ndarray]]:
    """``(group, name, BGR image)`` of every face image before occlusion."""
    images = [('lfw', f'lfw_{i}', cv2.cvtColor(lfw_face(i), cv2.COLOR_GRAY2BGR))
              for i in range(args.lfw)]
    images.append(('astronaut', 'astronaut', astronaut()))
    if args.video_frames:
        with tempfile.TemporaryDirectory() as tmp:
            path = write_video(osp.join(tmp, 'clip.mp4'), moving_face_frames(args.video_frames))
            frames = read_video(path)
        images += [('video', f'video_{i}', f) for i, f in enumerate(frames)]
    return images


def references(images, report: dict, cache: str = None) -> List[Sample]:
    """The images where dlib's CNN (``min_face=30``) and 68-point model find the face; with
    ``cache`` (a .json file) read from it when present, else written to it (runs of the same
    images split by ``--types``)."""
    known = {}
    if cache and osp.isfile(cache):
        with open(cache, encoding='utf-8') as f:
            known = json.load(f)
    else:
        detector, landmarker = DlibFaceDetector('cnn', min_face=30), DlibLandmarker(68)
        for group, name, image in images:
            faces = detector(image)
            known[name] = landmarker(image, faces[0].box).tolist() if faces else None
        if cache:
            with atomic_write(cache) as f:
                json.dump(known, f)
    samples, missing = [], []
    for group, name, image in images:
        if known.get(name) is None:
            missing.append(name)
            continue
        samples.append(Sample(group, name, image, np.array(known[name], np.float64)))
    report['reference_missing'] = missing
    print(f'reference: {len(samples)} faces, none found in {missing}')
    return samples


def occlude(sample: Sample, kind: str, severity: float, seed: int) -> Tuple[np.ndarray, float]:
    """The sample's image with a ``kind`` occluder covering ``severity`` of its face box."""
    if severity <= 0:
        return sample.image, 0.0
    transform = SyntheticOcclusion(types=kind, severity=severity, seed=seed, tolerance=0.03)
    out = transform(dict(img=sample.image.copy(), gt_keypoints=sample.landmarks,
                         face_box=sample.face_box, img_path=f'{sample.group}/{sample.name}'))
    return out['img'], out['occlusion']['coverage']


def matches(box: np.ndarray, sample: Sample) -> bool:
    """Whether a detection box is the reference face (see the module docstring)."""
    x1, y1, x2, y2 = box
    inside = all(x1 <= x <= x2 and y1 <= y <= y2 for x, y in sample.eyes)
    return inside and 1.2 * sample.iod <= x2 - x1 <= 6 * sample.iod


def eye_error(aligner: FaceAligner, image: np.ndarray, box, sample: Sample,
              points=None) -> float:
    points, _, _ = aligner.find_points(image, box, points)
    return float(np.linalg.norm(points[:2] - sample.eyes, axis=1).mean() / sample.iod)


def fallback_parts(detectors: Dict[str, object]) -> Dict[str, List[str]]:
    """The ``a+b`` specs (no options) whose parts are all in ``detectors``: composed from them."""
    return {name: name.split('+') for name in detectors
            if '+' in name and ':' not in name and all(p in detectors for p in name.split('+'))}


def compose(parts: List[str], found: Dict[str, Tuple[list, float]]) -> Tuple[list, float]:
    """A fallback's faces and time from its parts' on the same image (see the docstring)."""
    seconds = 0.0
    for part in parts:
        faces, part_seconds = found[part]
        seconds += part_seconds
        if faces:
            return faces, seconds
    return [], seconds


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def track(tracker: FaceTracker, aligner: FaceAligner, image: np.ndarray, faces,
          sample: Sample) -> bool:
    """Whether the face is reported (detected or held) in this video frame."""
    aligned = [aligner(image, f.box) for f in faces]
    return any(matches(t.detection.box, sample)
               for t in tracker.update(image, faces, aligned, aligner.warp))


def evaluate(samples: List[Sample], detectors: Dict[str, object],
             aligners: Dict[str, FaceAligner], args) -> List[dict]:
    """One row per group x detector x occluder x severity."""
    conditions = [('none', 0.0)] + [(k, s) for k in args.types for s in args.severities]
    acc: Dict[tuple, dict] = {}
    box_aligner = FaceAligner(landmarker=None, use_eyes=False)
    composed = fallback_parts(detectors)
    for kind, severity in conditions:
        trackers = {name: FaceTracker() for name in detectors}
        for sample in samples:  # video frames in order
            image, coverage = occlude(sample, kind, severity, args.seed)
            found = {name: timed(det, image) for name, det in detectors.items()
                     if name not in composed}
            found.update({name: compose(parts, found) for name, parts in composed.items()})
            for det_name in detectors:
                faces, seconds = found[det_name]
                key = (sample.group, det_name, kind, severity)
                row = acc.setdefault(key, dict(images=0, detected=0, extra_boxes=0, det_s=0.0,
                                               coverage=0.0, errors={a: [] for a in aligners},
                                               align_s={a: 0.0 for a in aligners}, tracked=0,
                                               found=[], missed=[]))
                if sample.group == 'video':
                    row['tracked'] += track(trackers[det_name], box_aligner, image, faces, sample)
                row['images'] += 1
                row['det_s'] += seconds
                row['coverage'] += coverage
                hit = next((f for f in faces if matches(f.box, sample)), None)
                row['extra_boxes'] += len(faces) - (hit is not None)
                row['missed' if hit is None else 'found'].append(sample.name)
                if hit is None:
                    continue
                row['detected'] += 1
                for al_name, aligner in aligners.items():
                    if al_name == DETECTOR_POINTS and hit.points is None:
                        continue  # the detector gives no points
                    points = hit.points if al_name == DETECTOR_POINTS else None
                    err, seconds = timed(eye_error, aligner, image, hit.box, sample, points)
                    row['errors'][al_name].append(err)
                    row['align_s'][al_name] += seconds
        print(f'{kind} {severity}: done')
    return [summarise_row(key, row) for key, row in acc.items()]


def summarise_row(key: tuple, row: dict) -> dict:
    group, detector, kind, severity = key
    out = dict(group=group, detector=detector, occluder=kind, severity=severity,
               images=row['images'], detected=row['detected'],
               detection_rate=row['detected'] / row['images'],
               extra_boxes=row['extra_boxes'], coverage=row['coverage'] / row['images'],
               det_ms=1000 * row['det_s'] / row['images'],
               tracked_rate=row['tracked'] / row['images'] if group == 'video' else None,
               found=row['found'], missed=row['missed'])
    for name, errors in row['errors'].items():
        out[f'eye_err_{name}'] = float(np.median(errors)) if errors else None
        out[f'eye_fail_{name}'] = (float(np.mean(np.array(errors) > EYE_FAIL_IOD))
                                   if errors else None)
        out[f'align_ms_{name}'] = 1000 * row['align_s'][name] / max(len(errors), 1)
    return out


def false_positives(detectors: Dict[str, object], count: int) -> Dict[str, dict]:
    """Per detector: LFW non-faces with at least one detection, and all boxes found."""
    patches = [cv2.cvtColor(lfw_non_face(i), cv2.COLOR_GRAY2BGR) for i in range(count)]
    composed = fallback_parts(detectors)
    found = {name: [timed(det, p) for p in patches] for name, det in detectors.items()
             if name not in composed}
    found.update({name: [compose(parts, {part: found[part][i] for part in parts})
                         for i in range(count)] for name, parts in composed.items()})
    return {name: dict(images=count, with_detection=int(sum(len(f) > 0 for f, _ in results)),
                       boxes=int(sum(len(f) for f, _ in results)))
            for name, results in found.items()}


def fmt(value, pattern: str = '{:.0f}') -> str:
    return '-' if value is None else pattern.format(value)


def pooled_rate(rows: List[dict], detector: str, severity: float, types) -> float:
    """Faces found / images over every group (and occluder type when ``severity`` > 0)."""
    picked = [r for r in rows if r['detector'] == detector and r['severity'] == severity
              and (r['occluder'] in types if severity else r['occluder'] == 'none')]
    return sum(r['detected'] for r in picked) / max(sum(r['images'] for r in picked), 1)


def summary(rows: List[dict], fps: Dict[str, dict], args) -> List[str]:
    """Per detector: detection rate at 0 / 20 / 35 % cover, false faces, ms an image."""
    detectors = list(dict.fromkeys(r['detector'] for r in rows))
    groups = list(dict.fromkeys(r['group'] for r in rows))
    sev = [s for s in SUMMARY_SEVERITIES if s == 0 or s in args.severities]
    images = sum(r['images'] for r in rows if r['detector'] == detectors[0]
                 and r['occluder'] == 'none')
    lines = [f'## Summary ({images} images: ' + ', '.join(groups) + '; covered: mean over '
             + ', '.join(args.types) + ')', '',
             '| detector | ' + ' | '.join(f'found, {100 * s:.0f} % covered (%)' for s in sev)
             + ' | non-faces with a box | ms / image: ' + ' / '.join(groups) + ' |',
             '|---|' + '---|' * (len(sev) + 2)]
    for det in detectors:
        ms = [np.mean([r['det_ms'] for r in rows if r['detector'] == det and r['group'] == g])
              for g in groups]
        lines.append(f'| {det} | ' + ' | '.join(
            f'{100 * pooled_rate(rows, det, s, args.types):.1f}' for s in sev)
            + f" | {fps[det]['with_detection']} / {fps[det]['images']} | "
            + ' / '.join(f'{m:.1f}' for m in ms) + ' |')
    return lines + ['']


def lost_faces(rows: List[dict], old: str, new: str) -> List[str]:
    """The images x conditions where ``old`` found the face and ``new`` did not."""
    index = {(r['group'], r['detector'], r['occluder'], r['severity']): r for r in rows}
    lines = [f'## Nothing lost? Faces {old} found and {new} missed', '']
    lost, count, gained, checked = [], 0, 0, 0
    for (group, det, kind, sev), row in index.items():
        other = index.get((group, new, kind, sev))
        if det != old or other is None or 'found' not in row or 'found' not in other:
            continue
        checked += row['images']
        missed = sorted(set(row['found']) & set(other['missed']))
        gained += len(set(other['found']) & set(row['missed']))
        count += len(missed)
        if missed:
            lost.append(f'- {kind} {sev:g}: ' + ', '.join(missed))
    if not checked:
        return lines + [f'(not both of {old} and {new} in this run)', '']
    return lines + [f'{count} lost, {gained} found by '
                    f'{new} only, of {checked} image x condition pairs', ''] + lost + ['']


def markdown(rows: List[dict], fps: Dict[str, dict], args) -> str:
    """The report's tables: summary, faces lost against the old path, detection rate, eye
    error, speed and false positives."""
    sev = [0.0] + list(args.severities)
    index = {(r['group'], r['detector'], r['occluder'], r['severity']): r for r in rows}
    detectors = list(dict.fromkeys(r['detector'] for r in rows))
    groups = list(dict.fromkeys(r['group'] for r in rows))
    head = ' | '.join(f'{s:g}' for s in sev)
    lines = summary(rows, fps, args)
    lines += lost_faces(rows, *getattr(args, 'compare', None) or COMPARE)
    lines += ['## Detection rate (%) by occluder and severity (fraction of the face covered)', '']
    for group in groups:
        n = index[(group, detectors[0], 'none', 0.0)]['images']
        lines += [f'{group} ({n} images)', '', f'| detector | occluder | {head} |',
                  '|---|---|' + '---|' * len(sev)]
        for det in detectors:
            for kind in args.types:
                cells = [index.get((group, det, kind if s else 'none', s)) for s in sev]
                lines.append(f'| {det} | {kind} | ' + ' | '.join(
                    fmt(c and 100 * c['detection_rate']) for c in cells) + ' |')
        lines.append('')
    if 'video' in groups:
        lines += ['Video frames reported with the tracker (detected or held, %)', '',
                  f'| detector | occluder | {head} |', '|---|---|' + '---|' * len(sev)]
        for det in detectors:
            for kind in args.types:
                cells = [index.get(('video', det, kind if s else 'none', s)) for s in sev]
                lines.append(f'| {det} | {kind} | ' + ' | '.join(
                    fmt(c and 100 * c['tracked_rate']) for c in cells) + ' |')
        lines.append('')
    lines += ['## Eye error (median, IOD) / share above 0.2 IOD (%), all groups, faces found', '',
              f'| detector | aligner | occluder | {head} |', '|---|---|---|' + '---|' * len(sev)]
    for det in detectors:
        for al in args.aligners:
            for kind in args.types:
                cells = []
                for s in sev:
                    errs, fails, weights = [], [], []
                    for group in groups:
                        r = index.get((group, det, kind if s else 'none', s))
                        if r and r.get(f'eye_err_{al}') is not None:
                            errs.append(r[f'eye_err_{al}'])
                            fails.append(r[f'eye_fail_{al}'])
                            weights.append(r['detected'])
                    cells.append('-' if not weights else
                                 f'{np.average(errs, weights=weights):.2f} / '
                                 f'{100 * np.average(fails, weights=weights):.0f}')
                lines.append(f'| {det} | {al} | {kind} | ' + ' | '.join(cells) + ' |')
    lines += ['', '(eye error: mean over groups weighted by faces found)', '',
              '## Coverage achieved (mean fraction of the face box, all groups)', '',
              f'| occluder | {head} |', '|---|' + '---|' * len(sev)]
    for kind in args.types:
        cells = []
        for s in sev:
            covs = [r['coverage'] * r['images'] for r in rows
                    if r['detector'] == detectors[0] and r['occluder'] == (kind if s else 'none')
                    and r['severity'] == s]
            count = sum(r['images'] for r in rows if r['detector'] == detectors[0]
                        and r['occluder'] == (kind if s else 'none') and r['severity'] == s)
            cells.append(f'{sum(covs) / max(count, 1):.2f}')
        lines.append(f'| {kind} | ' + ' | '.join(cells) + ' |')
    lines += ['',
              '## Speed and false positives', '',
              '| detector | ms / image: ' + ' / '.join(groups) + ' | LFW non-faces with a '
              'detection | boxes on them |', '|---|---|---|---|']
    for det in detectors:
        ms = [np.mean([r['det_ms'] for r in rows if r['detector'] == det and r['group'] == g])
              for g in groups]
        lines.append(f'| {det} | ' + ' / '.join(f'{m:.1f}' for m in ms) +
                     f" | {fps[det]['with_detection']} / {fps[det]['images']} | "
                     f"{fps[det]['boxes']} |")
    al_ms = {al: np.mean([r[f'align_ms_{al}'] for r in rows if r.get(f'eye_err_{al}') is not None]
                         or [np.nan]) for al in args.aligners}
    lines += ['', 'Alignment, ms per face: ' + ', '.join(f'{a} {m:.1f}' for a, m in al_ms.items())]
    return '\n'.join(lines) + '\n'


def plot(rows: List[dict], args, path: str) -> None:
    """Detection rate per detector (top rows: one per group) and eye error per aligner (bottom
    row, boxes of the last detector) against severity, one line per occluder."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    detectors = list(dict.fromkeys(r['detector'] for r in rows))
    groups = list(dict.fromkeys(r['group'] for r in rows))
    cols = max(len(detectors), len(args.aligners))
    fig, axes = plt.subplots(len(groups) + 1, cols, figsize=(4 * cols, 3.2 * (len(groups) + 1)),
                             squeeze=False)
    sev = [0.0] + list(args.severities)

    def series(group, det, kind, key):
        vals = []
        for s in sev:
            r = next((r for r in rows if r['group'] == group and r['detector'] == det
                      and r['occluder'] == (kind if s else 'none') and r['severity'] == s), None)
            vals.append(np.nan if r is None or r.get(key) is None else r[key])
        return vals

    for g, group in enumerate(groups):
        for d, det in enumerate(detectors):
            ax = axes[g][d]
            for kind in args.types:
                ax.plot(sev, [100 * v for v in series(group, det, kind, 'detection_rate')],
                        marker='o', label=kind)
            ax.set(title=f'{det}: {group}', xlabel='severity', ylabel='detected (%)',
                   ylim=(-5, 105))
    last = detectors[-1]
    for a, al in enumerate(args.aligners):
        ax = axes[-1][a]
        for kind in args.types:
            ax.plot(sev, series('lfw', last, kind, f'eye_err_{al}'), marker='o', label=kind)
        ax.set(title=f'{al} eyes, {last} boxes, lfw', xlabel='severity',
               ylabel='median eye error (IOD)', ylim=(0, 0.4))
    for row in axes:
        for ax in row:
            if not ax.has_data():
                ax.axis('off')
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path, dpi=90)
    plt.close(fig)


def merge_reports(paths: List[str]) -> dict:
    """The reports of several runs as one: their rows and false positives together (e.g. a run
    of one more detector); settings and machine of the first, the others under ``merged``."""
    reports = []
    for path in paths:
        with open(path, encoding='utf-8') as f:
            reports.append(json.load(f))
    rows = {}  # the first run's row of a key (runs split by --types repeat the clean images)
    for rep in reports:
        for r in rep['rows']:
            rows.setdefault((r['group'], r['detector'], r['occluder'], r['severity']), r)
    merged = dict(reports[0], rows=list(rows.values()),
                  false_positives={})
    fps = merged['false_positives']
    for rep in reports:  # the first run that counted non-faces (--non-faces 0 counts none)
        for k, v in rep['false_positives'].items():
            if k not in fps or (v['images'] and not fps[k]['images']):
                fps[k] = v
    merged['settings']['detectors'] = list(merged['false_positives'])
    merged['settings']['types'] = list(dict.fromkeys(
        t for rep in reports for t in rep['settings']['types']))
    merged['merged'] = [dict(path=p, settings=r['settings'], machine=r['machine'],
                             load_after=r.get('load_after')) for p, r in zip(paths, reports)]
    return merged


def write_outputs(report: dict, args) -> str:
    """face_benchmark.json, .md and .png in ``args.out_dir``; returns the tables."""
    with atomic_write(osp.join(args.out_dir, 'face_benchmark.json')) as f:
        json.dump(report, f, indent=1)
    table = markdown(report['rows'], report['false_positives'], args)
    with atomic_write(osp.join(args.out_dir, 'face_benchmark.md')) as f:
        f.write(table)
    plot(report['rows'], args, osp.join(args.out_dir, 'face_benchmark.png'))
    return table


def main() -> None:
    args = parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    if args.from_json:
        report = merge_reports(args.from_json)
        settings = dict(report['settings'], out_dir=args.out_dir, from_json=args.from_json,
                        compare=args.compare or report['settings'].get('compare'))
        print(write_outputs(report, argparse.Namespace(**settings)))
        return
    report = dict(settings=vars(args), machine=dict(python=platform.python_version(),
                                                    cpus=os.cpu_count(),
                                                    load=os.getloadavg()))
    samples = references(clean_images(args), report, args.reference_cache)
    detectors = {name: build_face_detector(cfg) for name, cfg in map(parse_spec, args.detectors)}
    aligners = {name: FaceAligner(landmarker=ALIGNERS[name]) for name in args.aligners}
    rows = evaluate(samples, detectors, aligners, args)
    fps = false_positives(detectors, args.non_faces)
    report.update(rows=rows, false_positives=fps, load_after=os.getloadavg())
    print(write_outputs(report, args))
    print(f'load average before / after: {report["machine"]["load"]} / {report["load_after"]}')
    print(f'wrote face_benchmark.json, .md and .png to {args.out_dir}')


if __name__ == '__main__':
    cli_main(main)
