"""``backend='auto'``: the runtime backend picked from the CPU's features, by a rule written
from the speed tool's table (docs/speed.md, ``tools/analysis_tools/runtime_speed.py``).

The CPU kind comes from /proc/cpuinfo's flags (:mod:`orsanet.runtime.hardware`); each kind
has an order of backends, and the first one installed is used. The ``avx2`` rule was measured
on this project's AMD EPYC (AVX2 only), the ``bf16`` rule on its Intel Xeon (AVX-512, VNNI,
avx512_bf16, AMX) and its AMD EPYC Zen 4 (AVX-512, VNNI, avx512_bf16, no AMX), the ``vnni``
rule's fp32 and int8 orders on that Zen 4 (its fp32 and int8 rows use no bf16); ``other``
follows the runtimes' documented kernels and is marked ``measured=False``: rerun the speed tool
on such a machine and edit :data:`AUTO_RULES` from its table.
"""
from dataclasses import dataclass
from typing import Callable, FrozenSet, Optional, Tuple

from .backends import MissingBackendError, get_backend
from .hardware import BF16_FLAGS, VNNI_FLAGS, cpu_flags


@dataclass(frozen=True)
class AutoRule:
    """The backends to try in order on one CPU kind, and where the order comes from."""
    order: Tuple[str, ...]
    measured: bool
    source: str


AUTO_RULES = {
    'avx2': AutoRule(
        ('openvino', 'onnxruntime', 'pytorch'), True,
        'measured on an AMD EPYC (AVX2 only), official-size model, batch 1: OpenVINO fp32 '
        'fastest, then ONNX Runtime, both faster than PyTorch eager (docs/speed.md)'),
    'vnni': AutoRule(
        ('openvino', 'onnxruntime', 'pytorch'), True,
        'measured on an AMD EPYC with VNNI (Zen 4; fp32 and int8 rows, no bf16 in them), '
        'official-size model, batch 1: fp32 OpenVINO 0.61x, ONNX Runtime 0.66x of PyTorch eager; '
        'int8 ONNX Runtime 0.43x, OpenVINO 0.46x (within the spread; OpenVINO faster at batch '
        '16) (docs/speed.md)'),
    'bf16': AutoRule(
        ('openvino', 'onnxruntime', 'pytorch'), True,
        'measured on an Intel Xeon (avx512_bf16, AMX), official-size model, batch 1: fp32 '
        'OpenVINO 0.57x, ONNX Runtime 0.78x of PyTorch eager; bf16 OpenVINO 0.26x, PyTorch '
        'autocast 0.65x; on an AMD EPYC Zen 4 (avx512_bf16, no AMX): fp32 OpenVINO 0.61x, '
        "ONNX Runtime 0.66x; bf16 OpenVINO 0.39x, PyTorch 0.63x; ONNX Runtime's CPU provider "
        'has no bf16 (docs/speed.md)'),
    'other': AutoRule(
        ('onnxruntime', 'pytorch'), False,
        'NOT measured here: a CPU without AVX2; ONNX Runtime has kernels for any x86/ARM CPU'),
}


def cpu_kind(flags: Optional[FrozenSet[str]] = None) -> str:
    """``'bf16'`` (native bf16: avx512_bf16 / amx_bf16), ``'vnni'`` (int8 dot products),
    ``'avx2'`` or ``'other'``, from the CPU flags (default: this machine's)."""
    flags = cpu_flags() if flags is None else flags
    if any(f in flags for f in BF16_FLAGS):
        return 'bf16'
    if any(f in flags for f in VNNI_FLAGS):
        return 'vnni'
    return 'avx2' if 'avx2' in flags else 'other'


def _installed(name: str) -> bool:
    try:
        get_backend(name).module()
    except MissingBackendError:
        return False
    return True


def choose_backend(precision: str = 'fp32', flags: Optional[FrozenSet[str]] = None,
                   installed: Callable[[str], bool] = _installed) -> Tuple[str, str]:
    """``(backend, reason)``: the first installed backend of this CPU kind's rule that runs
    ``precision`` (a bf16 request counts as fp32 where the CPU lacks native bf16: it falls back
    there); the reason names the CPU kind, the rule's source and the backends skipped."""
    kind = cpu_kind(flags)
    rule = AUTO_RULES[kind]
    wanted = 'fp32' if precision == 'bf16' and kind != 'bf16' else precision
    missing = []
    for name in rule.order:
        if wanted not in get_backend(name).precisions:
            continue
        if installed(name):
            skipped = (f'; not installed: {", ".join(missing)} (pip install '
                       f"'.[{missing[0]}]')") if missing else ''
            return name, f'backend auto -> {name} ({kind} CPU; {rule.source}{skipped})'
        missing.append(name)
    raise MissingBackendError(f'backend auto: no installed backend runs {precision} on this '
                              f'{kind} CPU (tried {", ".join(rule.order)})')
