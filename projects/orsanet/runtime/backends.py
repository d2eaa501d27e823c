"""The backends of :mod:`orsanet.runtime`: PyTorch (the reference), ONNX Runtime and OpenVINO.

Each backend turns the project's checked ONNX export (``orsanet.apis.deploy.export_onnx``:
input ``inputs`` (B, 3, H, W) 0-255 pixels, outputs ``scores`` and ``logits`` (B, C)) into
its own file (``compile``), loads that file with a thread count and a precision (``load``)
and runs it (``run``: (B, 3, H, W) float32 -> (scores, logits) (B, C) float32). A backend
whose package is not installed raises :class:`MissingBackendError` naming the extra.
"""
import os.path as osp
from typing import Callable, Dict, Optional, Tuple

import numpy as np
from mmengine.registry import Registry

RUNTIME_BACKENDS = Registry('runtime backend')
PRECISIONS = ('fp32', 'bf16', 'int8')


class MissingBackendError(ImportError):
    """A runtime backend whose package is not installed (the message names the extra)."""


def import_backend(module: str, extra: str):
    """``import module``, or a :class:`MissingBackendError` naming the extra that brings it."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingBackendError(
            f"the {extra} backend needs the '{module}' package, which is not installed: "
            f"pip install '.[{extra}]' (in this checkout: make env-{extra})") from err


class RuntimeBackend:
    """A backend: ``compile`` the exported ONNX into a folder, ``load`` it, ``run`` batches.

    Attributes:
        name: The ``backend=`` value.
        extra: The setup.py extra that installs it.
        precisions: The precisions it can run.
        file_name: Its file in the cache folder.
    """
    name = ''
    extra = ''
    precisions: Tuple[str, ...] = ('fp32', )
    file_name = ''

    def module(self):
        """The backend's package (imported; :class:`MissingBackendError` when missing)."""
        raise NotImplementedError

    def version(self) -> str:
        return str(self.module().__version__)

    def options(self, precision: str) -> Dict[str, object]:
        """The compile options that go into the cache key."""
        return {}

    def compile(self, onnx_path: str, folder: str, precision: str) -> None:
        """Write ``folder/<file_name>`` (and any side files) from the ONNX file."""
        raise NotImplementedError

    def load(self, folder: str, precision: str, threads: int):
        raise NotImplementedError

    def run(self, session, inputs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


@RUNTIME_BACKENDS.register_module(name='onnxruntime')
class OnnxRuntimeBackend(RuntimeBackend):
    """ONNX Runtime's CPU execution provider. The compiled file is the graph after ORT's full
    optimisation (fusions and the CPU's blocked layouts, specific to this CPU kind: the cache
    key holds the CPU flags), so a cached load skips the optimiser. int8: the QDQ model of
    :func:`orsanet.runtime.quantize.quantize_int8`, optimised the same way."""
    name = 'onnxruntime'
    extra = 'onnxruntime'
    precisions = ('fp32', 'int8')
    file_name = 'model.ort.onnx'

    def module(self):
        return import_backend('onnxruntime', self.extra)

    def options(self, precision: str) -> Dict[str, object]:
        return dict(graph_optimization='ORT_ENABLE_ALL')

    def _session_options(self, threads: int, optimise: bool):
        ort = self.module()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimise
                                         else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
        opts.log_severity_level = 3  # the 'hardware specific' note of a saved ENABLE_ALL graph
        return opts

    def compile(self, onnx_path: str, folder: str, precision: str) -> None:
        ort = self.module()
        opts = self._session_options(1, optimise=True)
        opts.optimized_model_filepath = osp.join(folder, self.file_name)
        ort.InferenceSession(onnx_path, opts, providers=['CPUExecutionProvider'])

    def load(self, folder: str, precision: str, threads: int):
        ort = self.module()
        return ort.InferenceSession(osp.join(folder, self.file_name),
                                    self._session_options(threads, optimise=False),
                                    providers=['CPUExecutionProvider'])

    def run(self, session, inputs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        scores, logits = session.run(['scores', 'logits'],
                                     {'inputs': np.ascontiguousarray(inputs, np.float32)})
        return scores, logits


@RUNTIME_BACKENDS.register_module(name='openvino')
class OpenVINOBackend(RuntimeBackend):
    """OpenVINO's CPU plugin. The compiled file is the OpenVINO IR (``model.xml`` + ``.bin``,
    float32 weights); bf16 is the CPU plugin's inference precision hint (only where the CPU has
    native bf16); int8 is the QDQ model of :func:`orsanet.runtime.quantize.quantize_int8`, which
    the plugin runs with int8 kernels. Latency hint, one stream."""
    name = 'openvino'
    extra = 'openvino'
    precisions = ('fp32', 'bf16', 'int8')
    file_name = 'model.xml'

    def module(self):
        return import_backend('openvino', self.extra)

    def version(self) -> str:
        return str(self.module().get_version())

    def options(self, precision: str) -> Dict[str, object]:
        return dict(compress_to_fp16=False, performance_hint='LATENCY', num_streams=1)

    def compile(self, onnx_path: str, folder: str, precision: str) -> None:
        ov = self.module()
        ov.save_model(ov.convert_model(onnx_path), osp.join(folder, self.file_name),
                      compress_to_fp16=False)

    def load(self, folder: str, precision: str, threads: int):
        ov = self.module()
        config = {'INFERENCE_NUM_THREADS': threads, 'PERFORMANCE_HINT': 'LATENCY',
                  'NUM_STREAMS': 1,
                  'INFERENCE_PRECISION_HINT': 'bf16' if precision == 'bf16' else 'f32'}
        compiled = ov.Core().compile_model(osp.join(folder, self.file_name), 'CPU', config)
        return compiled.create_infer_request()

    def run(self, session, inputs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        out = session.infer({'inputs': np.ascontiguousarray(inputs, np.float32)})
        by_name = {next(iter(k.get_names())): v for k, v in out.items()}
        return np.array(by_name['scores']), np.array(by_name['logits'])


@RUNTIME_BACKENDS.register_module(name='pytorch')
class PyTorchBackend(RuntimeBackend):
    """Eager PyTorch through ``ExportableClassifier`` (the reference the others are checked
    against); bf16 is ``torch.autocast``. Nothing is compiled: ``load`` takes the model."""
    name = 'pytorch'
    extra = 'pytorch'
    precisions = ('fp32', 'bf16')

    def module(self):
        import torch
        return torch

    def compile(self, onnx_path: str, folder: str, precision: str) -> None:
        raise TypeError('the pytorch backend compiles nothing')

    def load_model(self, model, precision: str, threads: Optional[int]) -> Callable:
        import torch

        from orsanet.apis.deploy import ExportableClassifier
        if threads is not None:
            torch.set_num_threads(threads)
        wrapper = ExportableClassifier(model).eval()
        param = next(model.parameters())
        device = param.device

        def forward(inputs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
            x = torch.from_numpy(np.ascontiguousarray(inputs, np.float32)).to(device)
            with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16,
                                                        enabled=precision == 'bf16'):
                scores, logits = wrapper(x)
            return scores.float().cpu().numpy(), logits.float().cpu().numpy()

        return forward

    def run(self, session, inputs: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        return session(inputs)


def get_backend(name: str) -> RuntimeBackend:
    """The backend called ``name`` (a ``ValueError`` listing the known ones otherwise)."""
    if name not in RUNTIME_BACKENDS.module_dict:
        raise ValueError(f'unknown runtime backend {name!r}: choose one of '
                         f'{sorted(RUNTIME_BACKENDS.module_dict)}')
    return RUNTIME_BACKENDS.get(name)()
