"""FERInferencer: facial expressions of every face in photos, arrays, folders and videos.

In the style of MMPretrain's ``ImageClassificationInferencer``: built from a config + checkpoint
(or a model-index name), called on inputs, returns plain results; ``show`` / ``out_dir`` draw them.
Per image (or video frame): detect faces -> align each one onto the training template (RAF-DB
5-point similarity by default) -> the config's test pipeline (``LoadImageFromFile`` removed) ->
the classifier -> per face: box, alignment points, class scores, label. In videos, faces are
followed across frames (:class:`FaceTracker`): stable ``face_id``, short detector misses held.
"""
import contextlib
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose, default_collate
from mmengine.utils import ProgressBar

from ..faces.alignment import FaceAligner
from ..faces.base import FaceDetection
from ..faces.detection import DetectorSpec, build_face_detector
from ..faces.tracking import DEFAULT_MAX_LOST, FaceTracker, TrackedFace
from .image_io import (
    DEFAULT_MAX_PIXELS,
    UnreadableInputError,
    array_to_bgr,
    expand_inputs,
    iter_video,
    load_image,
    open_video,
    video_props,
)
from .model_index import init_fer_model
from .output_files import drawn_file_names, open_results_csv
from .result_table import results_to_dataframe


def build_test_pipeline(cfg, input_size: int = 224) -> Compose:
    """The config's test pipeline without its loading step (the inferencer gives arrays)."""
    from mmpretrain.datasets import remove_transform
    from mmpretrain.registry import TRANSFORMS

    loader = cfg.get('test_dataloader') or {}
    steps = (loader.get('dataset') or {}).get('pipeline')
    if not steps:  # a bare model config: resize to the model's input and pack
        steps = [dict(type='Resize', scale=(input_size, input_size)), dict(type='PackInputs')]
    steps = remove_transform(steps, 'LoadImageFromFile')
    return Compose([TRANSFORMS.build(step) for step in steps])


class FERInferencer:
    """Facial expression recognition on real photos and videos.

    Args:
        model (str | Config | nn.Module): A model-index name (``configs/model_index.yml``), a
            config file, a Config, or a built MMPretrain classifier (its ``_config`` gives the
            test pipeline; without one, faces are resized to 224).
        checkpoint (str, optional): Weights (MMEngine checkpoint), loaded strictly; required
            unless ``random_weights``.
        device (str, optional): Defaults to CUDA when available, else CPU.
        detector: ``'auto'`` (default: with the MTCNN extra installed, MTCNN and Haar where
            it finds nothing, faces aligned from MTCNN's 5 points; else with the dlib extra
            dlib's CNN detector and Haar; else OpenCV's Haar cascade), ``'haar'``, ``'mtcnn'``,
            ``'dlib_cnn'``, ``'dlib_hog'``, ``'dlib_cnn+haar'``, ``dict(type='mmdet',
            config=..., checkpoint=...)`` or a callable ``image -> [FaceDetection]`` (see
            :func:`build_face_detector`).
        aligner (FaceAligner | dict, optional): How faces are aligned; a dict is passed to
            :class:`FaceAligner` (``size``, ``template``, ``landmarker``, ``use_eyes``, ...).
            Defaults to the RAF-DB template at 100 px with ``landmarker='auto'``: dlib's
            5-point model with the dlib extra, else Haar eyes or the box.
        min_face_size (int): Faces whose box is smaller (shorter side, px) are not classified
            but reported in ``skipped``. Defaults to 32.
        max_faces (int, optional): Classify at most this many faces per image (largest first;
            the rest are reported in ``skipped``). Defaults to None (all).
        classes (sequence, optional): Class names; default: the checkpoint's, else RAF-DB's.
        cfg_options (dict, optional): Config overrides (keys the config lacks are refused
            unless ``cfg_new_keys``).
        random_weights (bool): Run without a checkpoint on purpose (smoke tests): every result
            then carries a warning. Defaults to False.
        backend (str): What runs the classifier: ``'pytorch'`` (default: the model itself),
            ``'onnxruntime'`` or ``'openvino'`` (the whole model compiled from its ONNX export,
            cached beside the checkpoint and checked against PyTorch at load; CPU only; see
            :func:`orsanet.runtime.load_runtime`), or ``'auto'``: the fastest installed one
            for this CPU's kind by the measured rule of :data:`orsanet.runtime.AUTO_RULES`
            (PyTorch on a GPU). Not the default: the first load of a checkpoint exports and
            compiles it (about a minute for the official size) and writes a cache beside it.
        runtime_options (dict, optional): Arguments of :func:`orsanet.runtime.load_runtime`:
            ``precision`` (``'fp32'``, ``'bf16'``, ``'int8'``), ``threads``, ``cache_dir``,
            ``atol``, ``calibration`` (int8: a folder of aligned face crops or a dataset config
            ``CONFIG.py[:SPLIT]``), ``holdout``,
            ``min_agreement``. With the pytorch backend only ``precision='bf16'`` (autocast,
            native-bf16 CPUs) and ``threads`` apply.
    """

    def __init__(self, model, checkpoint: Optional[str] = None, device: Optional[str] = None,
                 detector: DetectorSpec = 'auto', aligner: Union[FaceAligner, dict, None] = None,
                 min_face_size: int = 32, max_faces: Optional[int] = None,
                 classes: Optional[Sequence[str]] = None,
                 cfg_options: Optional[dict] = None, random_weights: bool = False,
                 cfg_new_keys: bool = False, backend: str = 'pytorch',
                 runtime_options: Optional[dict] = None) -> None:
        if isinstance(model, torch.nn.Module):
            self.model = model.eval()
            if checkpoint is not None:
                from orsanet.checkpoints import load_model_checkpoint
                load_model_checkpoint(self.model, checkpoint, type(model).__name__,
                                      random_weights_ok=random_weights)
        else:
            self.model = init_fer_model(model, checkpoint, device, cfg_options, random_weights,
                                        cfg_new_keys)
        cfg = getattr(self.model, '_config', None)
        self.pipeline = build_test_pipeline(cfg if cfg is not None else {})
        meta = getattr(self.model, 'dataset_meta', None) or {}
        self.model_warnings = [meta['warning']] if meta.get('warning') else []
        self.classes = tuple(classes or meta.get('classes') or
                             [f'class_{i}' for i in range(self.model.head.num_classes)])
        self.detector = build_face_detector(detector)
        self.aligner = aligner if isinstance(aligner, FaceAligner) else FaceAligner(
            **dict(dict(landmarker='auto'), **(aligner or {})))
        self.min_face_size = int(min_face_size)
        self.max_faces = max_faces
        self.runtime = None
        if backend != 'pytorch' or runtime_options:
            self.runtime = self._load_runtime(model, checkpoint, backend, runtime_options or {})

    def _load_runtime(self, model, checkpoint: Optional[str], backend: str, options: dict):
        """The compiled runtime of ``self.model`` (None for plain float32 PyTorch)."""
        from orsanet.runtime import load_runtime

        from .model_index import resolve_model
        if backend == 'pytorch' and options.get('precision', 'fp32') == 'fp32':
            if options.get('threads'):
                torch.set_num_threads(int(options['threads']))
            return None
        on_cpu = next(self.model.parameters()).device.type == 'cpu'
        if backend == 'auto' and not on_cpu:
            return None  # the compiled runtimes are CPU ones: the model itself on the GPU
        if not on_cpu:
            raise ValueError(f"backend={backend!r} runs on the CPU: pass device='cpu'")
        if checkpoint is None and isinstance(model, str) and not model.endswith('.py'):
            checkpoint = resolve_model(model, None)[1]  # the model index's checkpoint

        def preprocess(crop: np.ndarray) -> np.ndarray:
            data = self.pipeline(dict(img=crop, img_shape=crop.shape[:2],
                                      ori_shape=crop.shape[:2]))
            return data['inputs'].numpy().astype(np.float32)

        return load_runtime(self.model, backend, checkpoint=checkpoint, preprocess=preprocess,
                            **options)

    # --- one image -------------------------------------------------------------------------
    def _split_faces(self, faces: List[FaceDetection]):
        keep, skipped = [], []
        for face in faces:
            if face.size < self.min_face_size:
                skipped.append((face, f'too small: {face.size:.0f} px < min_face_size '
                                f'{self.min_face_size}'))
            elif self.max_faces is not None and len(keep) >= self.max_faces:
                skipped.append((face, f'over max_faces={self.max_faces}'))
            else:
                keep.append(face)
        return keep, skipped

    @torch.no_grad()
    def classify_crops(self, crops: Sequence[np.ndarray], batch_size: int = 16) -> np.ndarray:
        """(N, num_classes) scores of aligned BGR crops through the test pipeline and model."""
        scores = []
        for start in range(0, len(crops), batch_size):
            data = [self.pipeline(dict(img=c, img_shape=c.shape[:2], ori_shape=c.shape[:2]))
                    for c in crops[start:start + batch_size]]
            if self.runtime is not None:  # the compiled model: (B, 3, H, W) 0-255 -> scores
                batch = np.stack([d['inputs'].numpy() for d in data]).astype(np.float32)
                scores.extend(self.runtime(batch)[0])
                continue
            samples = self.model.test_step(default_collate(data))
            scores.extend(s.pred_score.float().cpu().numpy() for s in samples)
        return np.stack(scores) if scores else np.zeros((0, len(self.classes)), np.float32)

    def predict_image(self, image: np.ndarray, info: Optional[dict] = None, source: str = '',
                      frame: Optional[int] = None, time: Optional[float] = None,
                      batch_size: int = 16, return_crops: bool = False,
                      tracker: Optional[FaceTracker] = None) -> dict:
        """The result of one BGR uint8 image (see :meth:`__call__`); with a ``tracker`` (video
        frames), ``face_id`` is the face's id in the video and held faces are added."""
        info = info or dict(source=source, notes=[])
        keep, skipped = self._split_faces(list(self.detector(image)))
        aligned = [self.aligner(image, f.box, f.points) for f in keep]
        if tracker is None:
            tracked = [TrackedFace(i, f, a) for i, (f, a) in enumerate(zip(keep, aligned))]
        else:
            tracked = tracker.update(image, keep, aligned, self.aligner.warp)
        scores = self.classify_crops([t.alignment.crop for t in tracked], batch_size)
        faces = [self._face_entry(t, score, tracker, return_crops)
                 for t, score in zip(tracked, scores)]
        notes = list(info.get('notes', [])) + self.model_warnings
        if getattr(self.detector, 'random_weights', False):
            notes.append('the face detector has RANDOM weights')
        if not faces:
            notes.append('no face found' if not skipped else
                         f'no face classified ({len(skipped)} skipped)')
        elif len(faces) > 1:
            notes.append(f'{len(faces)} faces found')
        held = sum(t.lost > 0 for t in tracked)
        if held:
            notes.append(f'{held} face(s) held from earlier frames (not detected here)')
        return dict(source=source or info.get('source', ''), frame=frame, time=time,
                    image_size=(int(image.shape[1]), int(image.shape[0])), faces=faces,
                    skipped=[dict(box=f.box.tolist(), det_score=float(f.score), reason=r)
                             for f, r in skipped],
                    warnings=notes, image_info=info)

    def _face_entry(self, tracked: TrackedFace, score: np.ndarray,
                    tracker: Optional[FaceTracker], return_crops: bool) -> dict:
        det, al = tracked.detection, tracked.alignment
        entry = dict(face_id=tracked.track_id, box=det.box.tolist(), det_score=float(det.score),
                     lost_frames=tracked.lost, located=tracked.located,
                     points=al.points.tolist(), alignment=al.method,
                     align_matrix=al.matrix.tolist())
        if tracker is not None and tracker.smooth > 0:
            entry['raw_scores'] = score
            score = tracker.smooth_scores(tracked.track_id, score)
        label = int(score.argmax())
        entry.update(scores=score, class_scores={c: float(s) for c, s in zip(self.classes, score)},
                     label=self.classes[label], label_index=label, score=float(score[label]))
        if al.landmarks is not None:
            entry['landmarks'] = al.landmarks.tolist()
        if return_crops:
            entry['crop'] = al.crop
        return entry

    @staticmethod
    def unreadable_result(name: str, error: Exception) -> dict:
        """The result of an input that cannot be read: no face, the reason in ``skipped``."""
        reason = f'unreadable input: {error}'
        return dict(source=name, frame=None, time=None, image_size=None, faces=[],
                    skipped=[dict(box=None, det_score=None, reason=reason)],
                    warnings=[reason], image_info=dict(source=name, notes=[]))

    # --- many inputs -----------------------------------------------------------------------
    def __call__(self, inputs, batch_size: int = 16, show: bool = False,
                 out_dir: Optional[str] = None, every: int = 1,
                 max_frames: Optional[int] = None, return_crops: bool = False,
                 progress: bool = False, fail_on_unreadable: bool = False,
                 max_lost: int = DEFAULT_MAX_LOST, smooth: float = 0.0,
                 max_pixels: Optional[int] = DEFAULT_MAX_PIXELS) -> List[dict]:
        """Run on image paths, arrays (BGR uint8, grey, BGRA or float [0, 1]), folders or videos.

        Returns one dict per image and per processed video frame: ``source``, ``frame``/``time``
        (videos; None for images), ``image_size`` (W, H), ``faces`` (largest first; each with
        ``face_id`` (in videos the face's id across frames), ``box`` (x1, y1, x2, y2),
        ``det_score``, ``lost_frames`` (videos: 0 when detected in this frame, else how many
        processed frames ago it was last detected; its box and alignment are from then),
        ``points`` (the alignment points in image pixels: 5, or 2 eyes), ``alignment``
        (``'landmarks'``, ``'eyes'``, ``'box'``, ``'detector'``), ``scores`` (num_classes,),
        ``class_scores``, ``label``, ``label_index``, ``score``), ``skipped`` (faces not
        classified, and unreadable inputs, with the ``reason``), ``warnings`` (no face, several
        faces, held faces, conversions such as EXIF rotation or alpha), ``image_info`` and, with
        ``out_dir``, ``vis_file`` (the drawn image, relative to ``out_dir``).
        :meth:`to_dataframe` makes the table.

        Args:
            out_dir (str, optional): Write drawn images (``vis/``: the inputs' paths relative
                to the folder holding them all, one file each, see
                :func:`~orsanet.apis.output_files.drawn_file_names`), annotated videos
                (``<name>_fer.mp4``) and ``results.csv`` (rows written as each input is done).
            every (int): Process every ``every``-th video frame. Defaults to 1.
            max_frames (int, optional): Stop each video after this many processed frames.
            show (bool): Show the drawn results in an OpenCV window.
            fail_on_unreadable (bool): Stop at the first corrupt or unsupported image or video
                file. Default: skip it with a warning and a result whose ``skipped`` says why.
            max_pixels (int, optional): Image files of more pixels (width x height, from the
                header, before decoding) are unreadable inputs. Defaults to
                :data:`~orsanet.apis.image_io.DEFAULT_MAX_PIXELS` (100 million); None: PIL's
                own limit.
            max_lost, smooth: Video face tracking (:class:`FaceTracker`): a missed face is held
                for up to ``max_lost`` processed frames; ``smooth`` > 0 averages each face's
                scores over time (``raw_scores`` keeps the frame's own).
        """
        items = expand_inputs(inputs)
        drawn = drawn_file_names(items) if out_dir is not None else {}
        results: List[dict] = []
        with contextlib.ExitStack() as stack:
            table = open_results_csv(out_dir, self.to_dataframe)
            if table is not None:
                stack.enter_context(table)
            for index, (kind, value, name) in enumerate(items):
                done = self._run_one(kind, value, name, drawn.get(index), batch_size, show,
                                     out_dir, every, max_frames, return_crops, progress,
                                     fail_on_unreadable, max_lost, smooth, max_pixels)
                results.extend(done)
                if table is not None:
                    table.write(done)  # rows as they are made: a run that stops keeps them
        return results

    def _run_one(self, kind: str, value, name: str, vis_file: Optional[str], batch_size: int,
                 show: bool, out_dir: Optional[str], every: int, max_frames: Optional[int],
                 return_crops: bool, progress: bool, fail_on_unreadable: bool, max_lost: int,
                 smooth: float, max_pixels: Optional[int]) -> List[dict]:
        """The results of one input of :meth:`__call__` (one, or a video's frames)."""
        try:
            if kind == 'video':
                return self.predict_video(value, out_dir, every, max_frames, batch_size,
                                          progress=progress, show=show, max_lost=max_lost,
                                          smooth=smooth)
            image, info = (load_image(value, max_pixels) if kind == 'image'
                           else array_to_bgr(value, name))
        except UnreadableInputError as err:
            if fail_on_unreadable:
                raise
            warnings.warn(f'skipped {name}: {err} (fail_on_unreadable=True stops instead)',
                          UserWarning, stacklevel=3)
            return [self.unreadable_result(name, err)]
        result = self.predict_image(image, info, name, batch_size=batch_size,
                                    return_crops=return_crops)
        self._visualize(image, result, show, out_dir, name, vis_file)
        return [result]

    def predict_video(self, source: Union[str, int], out_dir: Optional[str] = None,
                      every: int = 1, max_frames: Optional[int] = None, batch_size: int = 16,
                      progress: bool = True, show: bool = False, max_lost: int = DEFAULT_MAX_LOST,
                      smooth: float = 0.0) -> List[dict]:
        """Results of every ``every``-th frame of a video file or camera, faces followed across
        frames (``max_lost``, ``smooth``: see :meth:`__call__` and :class:`FaceTracker`); with
        ``out_dir``, the annotated video ``<out_dir>/<name>_fer.mp4`` (all frames, the last
        result drawn)."""
        capture = open_video(source)
        tracker = FaceTracker(max_lost=max_lost, smooth=smooth)
        props = video_props(capture)
        name = osp.splitext(osp.basename(str(source)))[0]
        writer, results, last = None, [], None
        total = props['frames'] // every if props['frames'] > 0 else 0
        if max_frames:
            total = min(total, max_frames) if total else max_frames
        bar = ProgressBar(total) if progress and total else None
        try:
            for index, time, frame in iter_video(capture, 1, None):
                if index % every == 0:
                    if max_frames is not None and len(results) >= max_frames:
                        break
                    last = self.predict_image(frame, dict(source=str(source), notes=[]),
                                              str(source), index, time, batch_size,
                                              tracker=tracker)
                    results.append(last)
                    if bar is not None:
                        bar.update()
                drawn = None
                if out_dir is not None or show:
                    drawn = self.draw(frame, last)
                if out_dir is not None:
                    if writer is None:
                        os.makedirs(out_dir, exist_ok=True)
                        writer = cv2.VideoWriter(osp.join(out_dir, f'{name}_fer.mp4'),
                                                 cv2.VideoWriter_fourcc(*'mp4v'),
                                                 props['fps'] or 25.0,
                                                 (frame.shape[1], frame.shape[0]))
                    writer.write(drawn)
                if show:
                    cv2.imshow(name, drawn)
                    if cv2.waitKey(1) & 0xFF == 27:  # Esc stops
                        break
        finally:
            capture.release()
            if writer is not None:
                writer.release()
        if bar is not None:
            print()
        return results

    # --- drawing and tables ----------------------------------------------------------------
    def draw(self, image: np.ndarray, result: Optional[dict]) -> np.ndarray:
        """``image`` with ``result`` drawn (a copy; the image itself when result is None)."""
        from orsanet.visualization import draw_fer_result
        return image.copy() if result is None else draw_fer_result(image, result,
                                                                   classes=self.classes)

    def _visualize(self, image, result, show: bool, out_dir: Optional[str], name: str,
                   vis_file: Optional[str] = None) -> None:
        """Draw ``result``; write it to ``out_dir/vis_file`` (default ``vis/<stem>.png``) and
        name the file in ``result['vis_file']``; show it."""
        if not show and out_dir is None:
            return
        drawn = self.draw(image, result)
        if out_dir is not None:
            vis_file = vis_file or osp.join('vis', osp.splitext(osp.basename(name))[0] + '.png')
            path = osp.join(out_dir, vis_file)
            os.makedirs(osp.dirname(path), exist_ok=True)
            if not cv2.imwrite(path, drawn):
                raise OSError(f'cannot write the drawn image {path}')
            result['vis_file'] = vis_file
        if show:
            cv2.imshow(name, drawn)
            cv2.waitKey(0)

    def to_dataframe(self, results: Sequence[dict]):
        """One row per face per image/frame (see :func:`results_to_dataframe`)."""
        return results_to_dataframe(results, self.classes)

    @staticmethod
    def list_models() -> List[str]:
        from .model_index import list_fer_models
        return list_fer_models()


def summarise(results: Sequence[dict]) -> Dict[str, int]:
    """Counts over results, each image / frame counted once: ``images`` (all of them) =
    ``with_face`` (a face classified) + ``no_face`` (read, no face classified) + ``unreadable``;
    ``faces`` classified and ``skipped`` faces (too small, over ``max_faces``)."""
    unreadable = sum(r['image_size'] is None for r in results)
    with_face = sum(bool(r['faces']) for r in results)
    return dict(images=len(results), faces=sum(len(r['faces']) for r in results),
                skipped=sum(s.get('box') is not None for r in results for s in r['skipped']),
                with_face=with_face, no_face=len(results) - with_face - unreadable,
                unreadable=unreadable)
