"""int8: post-training static quantisation with onnxruntime's ``quantize_static``, calibrated
on aligned faces the user gives, and its check against float32 on held-out faces.

Faces come as a folder of aligned face crops, a dataset config (``CONFIG.py[:SPLIT]``, its
dataset built by MMEngine's registry) or a list of BGR uint8 arrays; they are made into
(3, H, W) 0-255 inputs by a ``preprocess`` callable (the inferencer's test pipeline; default: a
bilinear resize to the model's input, as ``Resize`` + ``PackInputs``). Every other face is held
out (unless a held-out set is given): the calibration sees the rest, and the quantised model's
top-1 agreement and largest probability change against PyTorch float32 are measured on the
held-out faces; below ``min_agreement`` the model is refused with the figures.
"""
import logging
import os
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
MIN_FACE_PX = 16
Faces = Union[str, Sequence[np.ndarray]]


class CalibrationError(ValueError):
    """Calibration faces that cannot be used (the message gives the counts)."""


class QuantizationRefused(RuntimeError):
    """An int8 model whose agreement with float32 is below the threshold (with the figures)."""


def _read_faces(paths: Iterable[str], max_faces: Optional[int] = None
                ) -> Tuple[List[np.ndarray], int, int]:
    """The BGR images of ``paths`` (up to ``max_faces``) of at least ``MIN_FACE_PX`` a side,
    and the counts of the unreadable and of the smaller ones."""
    faces, unreadable, small = [], 0, 0
    for path in paths:
        if max_faces is not None and len(faces) >= max_faces:
            break
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            unreadable += 1
        elif min(image.shape[:2]) < MIN_FACE_PX:
            small += 1
        else:
            faces.append(image)
    return faces, unreadable, small


def load_face_folder(folder: str) -> List[np.ndarray]:
    """The aligned face crops (BGR uint8) of the image files in ``folder`` (sorted by name).

    Raises:
        CalibrationError: No usable face: the message counts the files, the non-images, the
            unreadable ones and those smaller than 16 px.
    """
    if not osp.isdir(folder):
        raise CalibrationError(f'calibration folder {folder} does not exist')
    names = sorted(os.listdir(folder))
    images = [n for n in names if n.lower().endswith(IMAGE_EXTENSIONS)]
    faces, unreadable, small = _read_faces(osp.join(folder, name) for name in images)
    if not faces:
        raise CalibrationError(
            f'no usable face in calibration folder {folder}: {len(names)} files, '
            f'{len(names) - len(images)} not images ({"/".join(IMAGE_EXTENSIONS)}), '
            f'{unreadable} unreadable, {small} smaller than {MIN_FACE_PX} px; give a folder of '
            'aligned face crops')
    return faces


DATASET_SPLITS = ('train', 'val', 'test')


def parse_dataset_source(source: str) -> Optional[Tuple[str, str]]:
    """``(config, split)`` of ``'CONFIG.py'`` (split ``train``) or ``'CONFIG.py:SPLIT'``; None
    where ``source`` names no config file (a folder)."""
    path, _, split = str(source).rpartition(':') if ':' in str(source) else (source, '', '')
    if not str(path).endswith('.py'):
        return None
    return str(path), split or 'train'


def load_dataset_faces(config: str, split: str = 'train',
                       max_faces: Optional[int] = None) -> List[np.ndarray]:
    """The face images (BGR uint8) of a dataset config's ``<split>_dataloader`` dataset, built
    by the project's dataset builder (MMEngine's ``DATASETS`` registry: any FER dataset,
    wrappers included); read by their ``img_path``, in the dataset's order, the first
    ``max_faces`` usable ones.

    Raises:
        CalibrationError: No such config / split, or no usable face: the message counts the
            samples, the unreadable images and those smaller than 16 px.
    """
    import copy

    from mmengine.config import Config
    from mmengine.registry import DATASETS, init_default_scope

    if not osp.isfile(config):
        raise CalibrationError(f'calibration dataset config {config} does not exist')
    if split not in DATASET_SPLITS:
        raise CalibrationError(f'calibration split {split!r} of {config}: use one of '
                               f'{DATASET_SPLITS} (CONFIG.py:SPLIT)')
    cfg = Config.fromfile(config)
    loader = cfg.get(f'{split}_dataloader')
    if not isinstance(loader, dict) or loader.get('dataset') is None:
        raise CalibrationError(f'calibration dataset config {config} has no '
                               f'{split}_dataloader.dataset: name a split it has (CONFIG.py:SPLIT)')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    dataset_cfg = copy.deepcopy(loader['dataset'])
    dataset_cfg['pipeline'] = []  # the raw images: the runtime's preprocess resizes them
    try:
        dataset = DATASETS.build(dataset_cfg)
    except (ValueError, FileNotFoundError, OSError) as err:
        raise CalibrationError(f'calibration dataset {split} of {config} cannot be built: '
                               f'{err}') from err
    no_path = 0

    def paths() -> Iterable[str]:  # lazily: reading stops at max_faces, as the sample infos do
        nonlocal no_path
        for index in range(len(dataset)):
            path = dataset.get_data_info(index).get('img_path')
            if path:
                yield path
            else:
                no_path += 1

    faces, unreadable, small = _read_faces(paths(), max_faces)
    if not faces:
        raise CalibrationError(
            f'no usable face in the {split} split of {config}: {len(dataset)} samples, '
            f'{no_path} without img_path, {unreadable} unreadable, {small} smaller than '
            f'{MIN_FACE_PX} px; point the config at the aligned face images')
    return faces


def as_faces(faces: Faces, what: str = 'calibration') -> List[np.ndarray]:
    """A folder, a dataset config (``'CONFIG.py'`` or ``'CONFIG.py:SPLIT'``, see
    :func:`load_dataset_faces`) or a list of BGR uint8 crops as a list of crops (checked)."""
    if isinstance(faces, (str, os.PathLike)):
        source = parse_dataset_source(str(faces))
        if source is not None:
            return load_dataset_faces(*source)
        return load_face_folder(str(faces))
    faces = list(faces)
    bad = [i for i, f in enumerate(faces) if not isinstance(f, np.ndarray) or f.ndim != 3
           or f.shape[2] != 3 or min(f.shape[:2]) < MIN_FACE_PX]
    if bad or not faces:
        raise CalibrationError(
            f'{what} faces: {len(faces)} given, {len(bad)} not (H, W, 3) arrays of at least '
            f'{MIN_FACE_PX} px (first: {bad[:5]}); give aligned BGR face crops')
    return faces


def resize_preprocess(size: Tuple[int, int]) -> Callable[[np.ndarray], np.ndarray]:
    """A crop (H, W, 3) BGR uint8 -> (3, h, w) float32 0-255, bilinear resize to ``size`` (h, w)."""
    def preprocess(crop: np.ndarray) -> np.ndarray:
        resized = cv2.resize(crop, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
        return resized.transpose(2, 0, 1).astype(np.float32)
    return preprocess


def split_holdout(faces: List[np.ndarray],
                  holdout: Optional[Faces]) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """``(calibration, held_out)``: every other face held out unless ``holdout`` is given."""
    if holdout is not None:
        return faces, as_faces(holdout, 'held-out')
    if len(faces) < 2:
        raise CalibrationError(f'{len(faces)} calibration face: give at least 2 (every other '
                               'one is held out to check the int8 model) or a held-out set')
    return faces[0::2], faces[1::2]


class _Reader:
    """onnxruntime's CalibrationDataReader over preprocessed faces, ``batch`` at a time."""

    def __init__(self, inputs: np.ndarray, batch: int = 8) -> None:
        self.batches = iter([inputs[i:i + batch] for i in range(0, len(inputs), batch)])

    def get_next(self):
        batch = next(self.batches, None)
        return None if batch is None else {'inputs': batch}


FLOAT_MODULES = ('model.backbone',)


def module_of(node) -> Optional[str]:
    """The top module (``'model.backbone'``, ``'model.semantic_prior'``, ...) an ONNX node of
    the project's export comes from: the ``pkg.torch.onnx.name_scopes`` metadata torch's
    exporter writes (None when absent)."""
    import ast

    for prop in node.metadata_props:
        if prop.key == 'pkg.torch.onnx.name_scopes':
            scopes = ast.literal_eval(prop.value)
            return scopes[1] if len(scopes) > 1 else None
    return None


def float_nodes(onnx_path: str, float_modules: Sequence[str] = FLOAT_MODULES) -> List[str]:
    """The nodes kept in float32: every Softmax (attention and the output scores, whose
    quantised values would not sum to 1), the nodes that write a graph output (logits) and the
    nodes of ``float_modules`` (default: the face backbone, the part whose int8 error moves
    the scores most: on the demo-trained small model, 500 held-out faces, an AVX2 CPU, keeping
    it float raised ONNX Runtime's top-1 agreement from 97.4 to 98.2 %, where keeping any other
    part float gave 96.4-97.2). Raises ValueError when a module of ``float_modules`` has no
    node (an export without name scopes, or a model without that part)."""
    import onnx

    graph = onnx.load(onnx_path, load_external_data=False).graph
    outputs = {o.name for o in graph.output}
    keep = [n.name for n in graph.node if n.op_type == 'Softmax' or set(n.output) & outputs]
    modules = {n.name: module_of(n) for n in graph.node}
    for module in float_modules:
        nodes = [name for name, m in modules.items() if m == module]
        if not nodes:
            raise ValueError(f'{onnx_path}: no node of {module!r} to keep in float (found: '
                             f'{sorted({m for m in modules.values() if m})}); re-export with '
                             'torch.onnx (name scopes) or pass float_modules=()')
        keep += nodes
    return list(dict.fromkeys(keep))


def quantization_scheme(reduce_range: Optional[bool] = None) -> Tuple[bool, str]:
    """(reduce_range, description) of the int8 scheme for this CPU. ``reduce_range`` None:
    True on a CPU without int8 dot-product instructions (VNNI / AMX-INT8, read at run time):
    there the u8 x s8 kernels add pairs of products in int16, which saturates with full-range
    weights, so weights keep 7 bits (onnxruntime's advice for AVX2 / AVX-512 without VNNI)."""
    from .hardware import has_vnni
    if reduce_range is None:
        reduce_range = not has_vnni()
    weights = '7-bit (reduce_range: no VNNI)' if reduce_range else '8-bit'
    return bool(reduce_range), (f'QDQ per-channel s8 weights {weights}, u8 activations, MinMax, '
                                f'softmax, outputs and {", ".join(FLOAT_MODULES)} float')


def quantize_int8(onnx_path: str, out_path: str, inputs: np.ndarray,
                  per_channel: bool = True, reduce_range: Optional[bool] = None,
                  float_modules: Sequence[str] = FLOAT_MODULES) -> None:
    """Static int8 quantisation (QDQ, int8 weights per channel, uint8 activations, MinMax
    calibration; :func:`float_nodes` (softmax, outputs, ``float_modules``) kept in float32;
    weights in 7 bits where :func:`quantization_scheme` says so) of ``onnx_path`` to
    ``out_path``, calibrated on ``inputs`` (N, 3, H, W)."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    reduce_range, _ = quantization_scheme(reduce_range)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its per-tensor notes (1-D weights kept per tensor, ...)
    try:
        quantize_static(onnx_path, out_path, _Reader(inputs), quant_format=QuantFormat.QDQ,
                        per_channel=per_channel, reduce_range=reduce_range,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax,
                        nodes_to_exclude=float_nodes(onnx_path, float_modules))
    finally:
        root.setLevel(level)


def agreement(reference: np.ndarray, scores: np.ndarray) -> Dict[str, float]:
    """Top-1 agreement and the largest probability change of ``scores`` (N, C) against
    ``reference`` (N, C)."""
    return dict(faces=int(len(reference)),
                top1_agreement=float((reference.argmax(1) == scores.argmax(1)).mean()),
                max_prob_change=float(np.abs(reference - scores).max()))


def check_agreement(report: Dict[str, float], min_agreement: float, what: str) -> None:
    """Refuse (:class:`QuantizationRefused`) a report below ``min_agreement``."""
    if report['top1_agreement'] < min_agreement:
        raise QuantizationRefused(
            f'{what}: top-1 agreement with float32 {report["top1_agreement"]:.2%} on '
            f'{report["faces"]} held-out faces is below min_agreement {min_agreement:.2%} '
            f'(largest probability change {report["max_prob_change"]:.3f}); calibrate on more '
            'faces like those it will see, lower min_agreement, or use fp32')
