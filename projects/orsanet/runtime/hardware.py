"""What the CPU offers, read at run time: physical cores (threads), model name and the flags
that decide reduced precision (native bf16, VNNI)."""
import os
import re
from functools import lru_cache
from typing import Dict, FrozenSet, Optional, Tuple

CPUINFO = '/proc/cpuinfo'
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')
VNNI_FLAGS = ('avx512_vnni', 'avx_vnni', 'amx_int8')
# flags worth printing beside a speed table (the rest of /proc/cpuinfo's list is noise here)
SPEED_FLAGS = ('avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'avx512_bf16',
               'amx_bf16', 'amx_int8', 'amx_tile', 'f16c')


def _cpuinfo_blocks(path: str = CPUINFO) -> list:
    """One dict per logical CPU of /proc/cpuinfo (empty where the file is missing)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return []
    blocks = []
    for chunk in text.strip().split('\n\n'):
        entry = {}
        for line in chunk.splitlines():
            key, _, value = line.partition(':')
            entry[key.strip()] = value.strip()
        if entry:
            blocks.append(entry)
    return blocks


def usable_cpus() -> FrozenSet[int]:
    """The logical CPUs this process may run on (its affinity; all of them where unknown)."""
    if hasattr(os, 'sched_getaffinity'):
        return frozenset(os.sched_getaffinity(0))
    return frozenset(range(os.cpu_count() or 1))


def physical_cores(cpuinfo: str = CPUINFO) -> int:
    """Physical cores among the usable logical CPUs (hyper-threads counted once).

    From /proc/cpuinfo's (physical id, core id) pairs of the CPUs in the affinity mask, else
    ``psutil.cpu_count(logical=False)`` (capped by the affinity mask), else the logical count.
    """
    cpus = usable_cpus()
    cores = {(b.get('physical id', '0'), b['core id']) for b in _cpuinfo_blocks(cpuinfo)
             if 'core id' in b and int(b.get('processor', -1)) in cpus}
    if cores:
        return len(cores)
    try:
        import psutil
        count = psutil.cpu_count(logical=False)
        if count:
            return max(1, min(count, len(cpus)))
    except ImportError:
        pass
    return max(1, len(cpus))


def default_threads(threads: Optional[int] = None) -> int:
    """``threads`` if given (>= 1), else the physical cores."""
    if threads is None:
        return physical_cores()
    if int(threads) < 1:
        raise ValueError(f'threads must be a positive number of threads, got {threads}')
    return int(threads)


@lru_cache(maxsize=None)
def cpu_flags(cpuinfo: str = CPUINFO) -> FrozenSet[str]:
    """The first CPU's feature flags (/proc/cpuinfo ``flags``)."""
    blocks = _cpuinfo_blocks(cpuinfo)
    return frozenset(blocks[0].get('flags', '').split()) if blocks else frozenset()


def cpu_model(cpuinfo: str = CPUINFO) -> str:
    blocks = _cpuinfo_blocks(cpuinfo)
    name = blocks[0].get('model name', '') if blocks else ''
    return re.sub(r'\s+', ' ', name) or 'unknown CPU'


def torch_capability() -> str:
    """torch's CPU kernel level (``'AVX2'``, ``'AVX512'``, ``'AVX512_BF16'``, ...)."""
    import torch
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except AttributeError:  # very old torch
        return 'unknown'


def native_bf16(flags: Optional[FrozenSet[str]] = None) -> Tuple[bool, str]:
    """Whether the CPU computes bf16 natively (AVX512-BF16 or AMX-BF16), with the reason."""
    flags = cpu_flags() if flags is None else flags
    found = [f for f in BF16_FLAGS if f in flags]
    if found:
        return True, f'CPU flags {", ".join(found)}'
    return False, (f'the CPU has no native bf16 (none of {", ".join(BF16_FLAGS)} in its flags; '
                   f'torch CPU capability {torch_capability()})')


def has_vnni(flags: Optional[FrozenSet[str]] = None) -> bool:
    """Whether the CPU has int8 dot-product instructions (VNNI / AMX-INT8)."""
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in VNNI_FLAGS)


def machine_summary() -> Dict[str, object]:
    """CPU model, the speed-relevant flags, cores and load (printed with each speed table)."""
    flags = cpu_flags()
    load = os.getloadavg() if hasattr(os, 'getloadavg') else (float('nan'), ) * 3
    return dict(cpu=cpu_model(), flags=[f for f in SPEED_FLAGS if f in flags],
                torch_capability=torch_capability(), logical_cpus=len(usable_cpus()),
                physical_cores=physical_cores(), loadavg=[round(v, 2) for v in load])
