"""The whole model (priors included) on a compiled CPU runtime, cached beside the checkpoint and
checked against PyTorch at load: :func:`load_runtime` -> :class:`RuntimeModel`.

Two cached stages, each a folder with a manifest (:mod:`orsanet.runtime.cache`):
``export/`` (the project's ONNX export, keyed by the checkpoint's sha256 (or the weights' own
hash without a checkpoint), the model's structure and the torch / onnx / orsanet versions and
export options) and ``<backend>-<precision>/`` (keyed by the export's key, the backend's
version, its options, the CPU kind and, for int8, the calibration faces). The root is
``<checkpoint>.runtime/`` (see :func:`orsanet.runtime.cache.default_cache_root`).
"""
import hashlib
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import print_log

from .auto import choose_backend
from .backends import PRECISIONS, RuntimeBackend, get_backend
from .cache import (
    cached_folder,
    corrupt_rebuild,
    default_cache_root,
    file_sha256,
)
from .hardware import SPEED_FLAGS, cpu_flags, cpu_model, default_threads, native_bf16
from .quantize import (
    Faces,
    agreement,
    as_faces,
    check_agreement,
    quantization_scheme,
    quantize_int8,
    resize_preprocess,
    split_holdout,
)

DEFAULT_ATOL = dict(fp32=1e-3, bf16=1e-1)
CHECK_BATCHES = (1, 2)


class RuntimeMismatchError(RuntimeError):
    """A compiled model whose outputs differ from PyTorch's beyond the tolerance."""


def _log(message: str) -> None:
    print_log(message, logger='current')


@dataclass
class RuntimeModel:
    """A loaded runtime: ``model(inputs)`` with (B, 3, H, W) float32 0-255 pixels (the graph's
    input, see ``orsanet.apis.deploy``) -> ``(scores, logits)``, each (B, C) float32.

    ``check`` holds the load-time comparison with PyTorch float32 (``logits`` / ``scores``: max
    abs differences, ``logit_scale``), ``report`` the int8 held-out figures, ``notes`` the
    precision fallbacks, ``build_s`` the build time of the backend's stage (the export's in
    ``export_s``), ``built`` whether this load (re)built it, ``chosen_by`` why
    ``backend='auto'`` picked it.
    """
    backend: str
    precision: str
    threads: int
    session: object = field(repr=False)
    runner: RuntimeBackend = field(repr=False)
    folder: Optional[str] = None
    file_bytes: int = 0
    build_s: float = 0.0
    export_s: float = 0.0
    built: bool = False
    check: Dict[str, float] = field(default_factory=dict)
    report: Dict[str, float] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    chosen_by: Optional[str] = None

    def __call__(self, inputs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        if isinstance(inputs, torch.Tensor):
            inputs = inputs.detach().cpu().numpy()
        return self.runner.run(self.session, inputs)


def resolve_precision(runner: RuntimeBackend, precision: str,
                      bf16_check: Callable = native_bf16) -> Tuple[str, Optional[str]]:
    """``(precision to run, message)``: bf16 falls back to fp32, with a one-line message, on a
    CPU without native bf16 or a backend without bf16 kernels; a precision the backend lacks
    otherwise is refused."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got {precision!r}')
    if precision == 'bf16':
        native, why = bf16_check()
        if not native:
            return 'fp32', f'bf16 skipped, running fp32: {why}'
        if 'bf16' not in runner.precisions:
            return 'fp32', f'bf16 skipped, running fp32: {runner.name} has no bf16 CPU kernels'
    if precision not in runner.precisions:
        raise ValueError(f'the {runner.name} backend has no {precision}: use one of '
                         f'{runner.precisions}, or another backend')
    return precision, None


def weights_fingerprint(model: torch.nn.Module, checkpoint: Optional[str]) -> str:
    """The checkpoint file's sha256, or without one the sha256 of the model's state dict."""
    if checkpoint:
        return file_sha256(checkpoint)
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
                      if tensor.numel() else b'')
    return digest.hexdigest()


def structure_fingerprint(model: torch.nn.Module) -> str:
    """A hash of the model's modules (their reprs) and, where it has one, its config."""
    cfg = getattr(model, '_config', None)
    text = repr(model) + (cfg.get('model').__repr__() if cfg is not None and cfg.get('model')
                          is not None else '')
    return hashlib.sha256(text.encode()).hexdigest()


def check_inputs(shape: Sequence[int], batches: Sequence[int] = CHECK_BATCHES,
                 seed: int = 0) -> List[np.ndarray]:
    """Seeded random 0-255 batches of (3, H, W) ``shape``, one per batch size."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0, 255, (b, *shape)).astype(np.float32) for b in batches]


def export_stage(model, root: str, fingerprint: str, shape: Sequence[int], opset: int = 18,
                 optimize: bool = True) -> Tuple[dict, bool, str]:
    """``(manifest, built, onnx_path)`` of the cached ONNX export."""
    import onnx

    from orsanet.apis.deploy import export_onnx
    from orsanet.version import __version__

    parts = dict(stage='export', weights=fingerprint, structure=structure_fingerprint(model),
                 orsanet=__version__, torch=torch.__version__, onnx=onnx.__version__,
                 opset=opset, optimize=optimize, input_shape=list(shape))

    def build(tmp: str) -> dict:
        example = torch.from_numpy(check_inputs(shape, (2, ))[0])
        _log(f'exporting the model to ONNX in {root} (once per checkpoint)')
        export_onnx(model, osp.join(tmp, 'model.onnx'), example, opset=opset, optimize=optimize)
        return {}

    folder = osp.join(root, 'export')
    manifest, built = cached_folder(folder, parts, build, _log)
    return manifest, built, osp.join(folder, 'model.onnx')


def _reference(model) -> Callable:
    return get_backend('pytorch').load_model(model, 'fp32', None)


def backend_parts(runner: RuntimeBackend, precision: str, export_key: str,
                  calib_digest: Optional[str], reduce_range: Optional[bool] = None) -> dict:
    """The cache key parts of a backend stage."""
    flags = cpu_flags()
    parts = dict(stage=runner.name, export=export_key, backend_version=runner.version(),
                 precision=precision, options=runner.options(precision), cpu=cpu_model(),
                 cpu_flags=[f for f in SPEED_FLAGS if f in flags])
    if precision == 'int8':
        parts.update(calibration=calib_digest,
                     quantization=quantization_scheme(reduce_range)[1])
    return parts


def _faces_inputs(faces: List[np.ndarray], preprocess: Callable) -> np.ndarray:
    return np.stack([preprocess(f) for f in faces]).astype(np.float32)


def quantize_stage(root: str, export_key: str, onnx_path: str, calib: np.ndarray,
                   calib_digest: str, reduce_range: Optional[bool] = None) -> str:
    """The cached int8 QDQ model (shared by the backends): its path."""
    parts = dict(stage='int8', export=export_key, calibration=calib_digest,
                 quantization=quantization_scheme(reduce_range)[1],
                 onnxruntime=get_backend('onnxruntime').version())

    def build(tmp: str) -> dict:
        _log(f'quantising to int8 on {len(calib)} calibration faces')
        quantize_int8(onnx_path, osp.join(tmp, 'model.int8.onnx'), calib,
                      reduce_range=reduce_range)
        return dict(calibration_faces=len(calib))

    folder = osp.join(root, 'int8')
    cached_folder(folder, parts, build, _log)
    return osp.join(folder, 'model.int8.onnx')


def _int8_build(runner: RuntimeBackend, qdq_path: str, reference: Callable,
                calib: np.ndarray, held_out: np.ndarray) -> Callable[[str], dict]:
    """The build of a backend's int8 stage: compile the QDQ model, measure it on the held-out
    faces."""
    def build(tmp: str) -> dict:
        runner.compile(qdq_path, tmp, 'int8')
        session = runner.load(tmp, 'int8', default_threads())
        scores = np.concatenate([runner.run(session, held_out[i:i + 16])[0]
                                 for i in range(0, len(held_out), 16)])
        ref = np.concatenate([reference(held_out[i:i + 16])[0]
                              for i in range(0, len(held_out), 16)])
        return dict(report=dict(agreement(ref, scores), calibration_faces=len(calib)))
    return build


def compare(runtime: Callable, reference: Callable,
            inputs: Sequence[np.ndarray]) -> Dict[str, float]:
    """Max abs differences of ``runtime``'s scores and logits from ``reference``'s."""
    diffs = dict(scores=0.0, logits=0.0, logit_scale=0.0, inputs=sum(len(x) for x in inputs))
    for x in inputs:
        (scores, logits), (ref_scores, ref_logits) = runtime(x), reference(x)
        diffs['scores'] = max(diffs['scores'], float(np.abs(scores - ref_scores).max()))
        diffs['logits'] = max(diffs['logits'], float(np.abs(logits - ref_logits).max()))
        diffs['logit_scale'] = max(diffs['logit_scale'], float(np.abs(ref_logits).max()))
    return diffs


def verify(model: RuntimeModel, reference: Callable, shape: Sequence[int],
           atol: Optional[float], min_agreement: float) -> None:
    """Check ``model`` against PyTorch float32 on seeded random inputs (batch 1 and 2):
    refuse (:class:`RuntimeMismatchError`) fp32/bf16 logits beyond ``atol`` (default 1e-3 for
    fp32, 0.1 for bf16); int8 is judged by its held-out agreement (``min_agreement``)."""
    model.check = compare(model, reference, check_inputs(shape))
    where = f'{model.backend} {model.precision} model in {model.folder}'
    if model.precision == 'int8':
        check_agreement(model.report, min_agreement, where)
        return
    atol = DEFAULT_ATOL[model.precision] if atol is None else atol
    if not model.check['logits'] <= atol:
        raise RuntimeMismatchError(
            f'{where} differs from PyTorch float32: max abs logit difference '
            f'{model.check["logits"]:.3e} > atol {atol:g} (scores {model.check["scores"]:.3e}, '
            f'logit scale {model.check["logit_scale"]:.3g}, {model.check["inputs"]} seeded '
            'random inputs at batch 1 and 2); it was not used. Raise atol if that is expected, '
            'or use the pytorch backend')


def load_runtime(model: torch.nn.Module, backend: str = 'onnxruntime', precision: str = 'fp32',
                 checkpoint: Optional[str] = None, cache_dir: Optional[str] = None,
                 threads: Optional[int] = None, atol: Optional[float] = None,
                 calibration: Optional[Faces] = None, holdout: Optional[Faces] = None,
                 min_agreement: float = 0.98, preprocess: Optional[Callable] = None,
                 input_size: int = 224, opset: int = 18, optimize_export: bool = True,
                 int8_reduce_range: Optional[bool] = None) -> RuntimeModel:
    """The whole ``model`` on ``backend``, built (or taken from the cache) and checked.

    Args:
        model: The MMPretrain classifier (eval mode, CPU); the reference of the check.
        backend: ``'pytorch'``, ``'onnxruntime'``, ``'openvino'`` or ``'auto'`` (picked from
            the CPU's features: :func:`orsanet.runtime.auto.choose_backend`).
        precision: ``'fp32'``, ``'bf16'`` (native-bf16 CPUs only; else fp32 with a message) or
            ``'int8'`` (needs ``calibration``).
        checkpoint: The checkpoint the weights came from: the cache key hashes it and the
            cache goes beside it (``<checkpoint>.runtime/``); without it the weights are hashed.
        cache_dir: The cache root instead.
        threads: Intra-op threads; default: the physical cores.
        atol: Refuse fp32/bf16 logits further than this from PyTorch's.
        calibration: int8: a folder of aligned face crops, a dataset config
            (``'CONFIG.py'`` = its train split, or ``'CONFIG.py:val'``) or a list of BGR uint8
            crops.
        holdout: int8: held-out faces for the agreement; default: every other calibration face.
        min_agreement: int8: refuse below this top-1 agreement with float32 (0.98).
        preprocess: crop (H, W, 3) BGR uint8 -> (3, h, w) float32 0-255; default: resize to
            ``input_size``.
        int8_reduce_range: int8: 7-bit weights (True) or 8-bit (False); None: 7-bit on CPUs
            without VNNI, where 8-bit weights saturate the u8 x s8 kernels
            (:func:`orsanet.runtime.quantize.quantization_scheme`).

    Raises:
        MissingBackendError: The backend's package is not installed (names the extra).
        RuntimeMismatchError: The compiled model is off (names the difference).
        QuantizationRefused: The int8 model is below ``min_agreement`` (with the figures).
        CalibrationError: int8 without usable calibration faces (with the count).
    """
    chosen_by = None
    if backend == 'auto':
        backend, chosen_by = choose_backend(precision)
        _log(chosen_by)
    runner = get_backend(backend)
    runner.module()  # a missing package is named first
    model = model.eval()
    precision, note = resolve_precision(runner, precision)
    notes = [note] if note else []
    if note:
        _log(note)
    threads = default_threads(threads)
    preprocess = preprocess or resize_preprocess((input_size, input_size))
    shape = tuple(preprocess(np.zeros((100, 100, 3), np.uint8)).shape)
    reference = _reference(model)
    if runner.name == 'pytorch':
        start = time.perf_counter()
        runtime = RuntimeModel(backend, precision, threads if threads else torch.get_num_threads(),
                               runner.load_model(model, precision, threads), runner,
                               notes=notes, chosen_by=chosen_by)
        runtime.build_s = time.perf_counter() - start
        verify(runtime, reference, shape, atol, min_agreement)
        return runtime

    fingerprint = weights_fingerprint(model, checkpoint)
    root = cache_dir or default_cache_root(checkpoint, fingerprint)
    export, _, onnx_path = export_stage(model, root, fingerprint, shape, opset, optimize_export)
    calib = held_out = calib_digest = None
    if precision == 'int8':
        if calibration is None:
            raise ValueError('int8 needs calibration faces: calibration=<folder of aligned face '
                             'crops>, <dataset config.py[:split]> or a list of BGR uint8 crops')
        faces, held = split_holdout(as_faces(calibration), holdout)
        calib, held_out = _faces_inputs(faces, preprocess), _faces_inputs(held, preprocess)
        calib_digest = hashlib.sha256(calib.tobytes() + held_out.tobytes()).hexdigest()
    parts = backend_parts(runner, precision, export['key'], calib_digest, int8_reduce_range)

    def build(tmp: str) -> dict:
        if precision == 'int8':
            qdq = quantize_stage(root, export['key'], onnx_path, calib, calib_digest,
                                 int8_reduce_range)
            return _int8_build(runner, qdq, reference, calib, held_out)(tmp)
        _log(f'compiling the ONNX export for {backend} ({precision})')
        runner.compile(onnx_path, tmp, precision)
        return {}

    folder = osp.join(root, f'{backend}-{precision}')
    manifest, built = cached_folder(folder, parts, build, _log)
    try:
        session = runner.load(folder, precision, threads)
    except Exception as err:  # noqa: BLE001  (any load failure of a hashed file: rebuild)
        manifest, built = corrupt_rebuild(folder, parts, build, err), True
        session = runner.load(folder, precision, threads)
    runtime = RuntimeModel(backend, precision, threads, session, runner, folder,
                           sum(osp.getsize(osp.join(folder, f)) for f in manifest['files']),
                           manifest['build_s'], export['build_s'], built,
                           report=manifest.get('report', {}), notes=notes,
                           chosen_by=chosen_by)
    verify(runtime, reference, shape, atol, min_agreement)
    return runtime
