"""The whole model (priors included) on a compiled CPU runtime: ONNX Runtime or OpenVINO (or
PyTorch), float32, bf16 (native-bf16 CPUs) or int8, built from the checked ONNX export, cached
beside the checkpoint and checked against PyTorch at load (:func:`load_runtime`)."""
from .auto import AUTO_RULES, choose_backend, cpu_kind
from .backends import (
    PRECISIONS,
    RUNTIME_BACKENDS,
    MissingBackendError,
    RuntimeBackend,
    get_backend,
    import_backend,
)
from .cache import CorruptCacheWarning
from .compiled import RuntimeMismatchError, RuntimeModel, load_runtime, resolve_precision
from .hardware import cpu_flags, cpu_model, machine_summary, native_bf16, physical_cores
from .quantize import (
    CalibrationError,
    QuantizationRefused,
    load_dataset_faces,
    load_face_folder,
)

__all__ = [
    'PRECISIONS', 'RUNTIME_BACKENDS', 'MissingBackendError', 'RuntimeBackend', 'get_backend',
    'import_backend', 'CorruptCacheWarning', 'RuntimeMismatchError', 'RuntimeModel',
    'load_runtime', 'resolve_precision', 'cpu_flags', 'cpu_model', 'machine_summary',
    'native_bf16', 'physical_cores', 'CalibrationError', 'QuantizationRefused',
    'load_face_folder', 'load_dataset_faces', 'AUTO_RULES', 'choose_backend', 'cpu_kind'
]
