"""Benchmark a classifier config: train-step throughput (plain and SAM), inference throughput and
latency, peak memory and the forward GFLOPs, on CPU or CUDA, in float32 or bf16 autocast.

    python tools/analysis_tools/benchmark.py CONFIG [--device cpu|cuda] [--batch-sizes 1 8 64]
        [--dtypes fp32 bf16] [--modes infer train sam] [--warmup 2] [--repeats 5] [--iters 1]
        [--random-priors] [--channels-last] [--compile] [--threads N] [--step-flops]
        [--toggle cache_priors] [--out bench.json]
        [--cfg-options model.cache_priors=False ...]

The model is built from the config with random weights (prior checkpoints are loaded when
they exist; ``--random-priors``, or a missing file, builds the priors with random weights:
speed does not depend on them). Every figure is the median over ``--repeats`` timed runs of
``--iters`` iterations after ``--warmup`` untimed ones (the fastest run is reported too: on a
shared machine it is the closest to the uncontended speed); on CUDA each timed run is bracketed by
``torch.cuda.synchronize()``. ``--toggle ATTR`` times a boolean model attribute True and False
in turns within one process (a fair A/B on a shared machine). Per mode:

- ``infer``: ``data_preprocessor`` + ``model(inputs, mode='tensor')`` in eval mode under
  ``torch.inference_mode()``; images/s and the latency of one batch (ms).
- ``train``: one plain step (preprocess, loss, backward, Adam step) in train mode.
- ``sam``: ``model.train_step`` with ``SAMOptimWrapper`` (rho 0.05 around Adam): two forward
  and two backward passes.

``bf16`` runs the forward passes under ``torch.autocast(dtype=torch.bfloat16)`` (the losses stay
float32); TF32 stays off, so float32 means float32. On CUDA, cuDNN autotuning follows the
config's ``env_cfg.cudnn_benchmark`` as in training. Peak memory: CUDA
``max_memory_allocated`` per measurement; CPU: the process's peak resident set so far
(``ru_maxrss``, it never goes down). ``--step-flops`` adds the GFLOPs of one iteration per
image. A table goes to stdout and everything (settings, machine, figures) to ``--out`` as JSON.
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import resource
import statistics
import sys
import time
from contextlib import nullcontext
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import orsanet  # noqa: F401  (compatibility patches and registries first)
from orsanet.apis import add_cfg_options_args, merge_cfg_options
from orsanet.apis.cli import cli_main
from orsanet.checkpoints import PRIOR_NAMES
from orsanet.engine.optim_wrappers import SAMOptimWrapper
from orsanet.fileio import atomic_write

MODES = ('infer', 'train', 'sam')
DTYPES = {'fp32': None, 'bf16': torch.bfloat16}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Benchmark training and inference speed')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu',
                        help='cpu, cuda or cuda:N (default: cuda when available)')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--dtypes', nargs='+', choices=list(DTYPES), default=['fp32'])
    parser.add_argument('--modes', nargs='+', choices=MODES, default=list(MODES))
    parser.add_argument('--warmup', type=int, default=2, help='untimed iterations first')
    parser.add_argument('--repeats', type=int, default=5, help='timed runs (median reported)')
    parser.add_argument('--iters', type=int, default=1, help='iterations per timed run')
    parser.add_argument('--input-size', type=int, help='image side (default: the model '
                        "config's input_size, else 224)")
    parser.add_argument('--random-priors', action='store_true',
                        help='build the priors with random weights (no checkpoint files)')
    parser.add_argument('--channels-last', action='store_true', help='model.channels_last=True')
    parser.add_argument('--compile', action='store_true', help='model.compile=True')
    parser.add_argument('--threads', type=int, help='torch.set_num_threads (CPU)')
    parser.add_argument('--no-flops', action='store_true', help='skip the GFLOP count')
    parser.add_argument('--step-flops', action='store_true',
                        help='also count the GFLOPs of one iteration of each measurement (one '
                        'more iteration; a load-independent measure of the work per image)')
    parser.add_argument('--toggle', metavar='ATTR',
                        help='a boolean model attribute read at call time (e.g. cache_priors): '
                        'time it True and False in turns, one row each')
    parser.add_argument('--out', help='write the results as JSON here')
    add_cfg_options_args(parser)
    return parser.parse_args(argv)


# ---- building ----------------------------------------------------------------------------
def model_config(cfg: Config, args: argparse.Namespace) -> dict:
    """The model config, with random priors where asked or where a checkpoint is missing."""
    model = copy.deepcopy(cfg.model.to_dict() if hasattr(cfg.model, 'to_dict') else cfg.model)
    for key in PRIOR_NAMES:
        prior = model.get(key)
        if not isinstance(prior, dict) or prior.get('checkpoint') is None:
            continue
        if args.random_priors:
            prior['checkpoint'] = None
        elif not osp.isfile(prior['checkpoint']):
            print(f'benchmark: {key} checkpoint {prior["checkpoint"]} does not exist: building '
                  'it with random weights (speed does not depend on them; pass --random-priors '
                  'to silence this)', file=sys.stderr)
            prior['checkpoint'] = None
    if args.channels_last:
        model['channels_last'] = True
    if args.compile:
        model['compile'] = True
    return model


def build_model(cfg: Config, args: argparse.Namespace, device: torch.device) -> torch.nn.Module:
    from mmpretrain.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(model_config(cfg, args)).to(device)
    head = getattr(model, 'head', None)
    if hasattr(head, 'set_epoch'):
        head.set_epoch(0)  # DAREHead: the warm-up losses, as DAREWarmupHook sets in epoch 0
    return model


def make_batch(model: torch.nn.Module, batch_size: int, size: int,
               device: torch.device) -> dict:
    """Random uint8 images (already on ``device``) and labels, as a data loader gives them."""
    from mmpretrain.structures import DataSample
    num_classes = getattr(getattr(model, 'head', None), 'num_classes', 2)
    generator = torch.Generator().manual_seed(batch_size)
    images = torch.randint(0, 256, (batch_size, 3, size, size), dtype=torch.uint8,
                           generator=generator).to(device)
    labels = torch.randint(0, num_classes, (batch_size, ), generator=generator)
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    return dict(inputs=images, data_samples=samples)


# ---- one iteration of each mode ------------------------------------------------------------
def autocast(device: torch.device, dtype: Optional[torch.dtype]):
    return nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


def trainable(model: torch.nn.Module) -> List[torch.nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def infer_step(model, data: dict, device, dtype) -> Callable[[], None]:
    model.eval()

    def step() -> None:
        with torch.inference_mode(), autocast(device, dtype):
            batch = model.data_preprocessor(data, False)
            model(batch['inputs'], mode='tensor')

    return step


def train_step(model, data: dict, device, dtype) -> Callable[[], None]:
    model.train()
    optimizer = torch.optim.Adam(trainable(model), lr=4e-5)

    def step() -> None:
        batch = model.data_preprocessor(data, True)
        with autocast(device, dtype):
            losses = model(**batch, mode='loss')
        loss = model.parse_losses(losses)[0]
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    return step


def sam_step(model, data: dict, device, dtype) -> Callable[[], None]:
    model.train()
    wrapper = SAMOptimWrapper(optimizer=torch.optim.Adam(trainable(model), lr=4e-5), rho=0.05,
                              dtype=None if dtype is None else 'bfloat16')

    def step() -> None:
        model.train_step(data, wrapper)

    return step


STEPS = dict(infer=infer_step, train=train_step, sam=sam_step)


# ---- timing --------------------------------------------------------------------------------
def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_step(step: Callable[[], None], device: torch.device, warmup: int, repeats: int,
              iters: int) -> List[float]:
    """Seconds per iteration of each timed run (synchronised on CUDA)."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        for _ in range(iters):
            step()
        synchronize(device)
        times.append((time.perf_counter() - start) / iters)
    return times


def peak_memory_mib(device: torch.device) -> float:
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def interleaved(step: Callable[[], None], model, device: torch.device,
                args: argparse.Namespace) -> Dict[bool, List[float]]:
    """Timed runs with ``model.<toggle>`` True and False taking turns, so both settings see the
    same machine load (a shared CPU's load changes by the minute)."""
    times: Dict[bool, List[float]] = {True: [], False: []}
    for value in (True, False):
        setattr(model, args.toggle, value)
        time_step(step, device, args.warmup, 0, args.iters)
    for _ in range(args.repeats):
        for value in (True, False):
            setattr(model, args.toggle, value)
            times[value] += time_step(step, device, 0, 1, args.iters)
    return times


def summarise(row: dict, times: List[float], device: torch.device) -> dict:
    median = statistics.median(times)
    return dict(row, images_per_s=row['batch_size'] / median, ms_per_iter=median * 1e3,
                best_ms_per_iter=min(times) * 1e3, times_s=times,
                peak_memory_mib=peak_memory_mib(device))


def count_step_flops(step: Callable[[], None], batch_size: int) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    return counter.get_total_flops() / batch_size / 1e9


def measure(model, mode: str, batch_size: int, dtype_name: str, size: int,
            device: torch.device, args: argparse.Namespace) -> List[dict]:
    """The row(s) of one mode x dtype x batch size: one, or one per ``--toggle`` value."""
    row = dict(mode=mode, dtype=dtype_name, batch_size=batch_size)
    data = make_batch(model, batch_size, size, device)
    if device.type == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    try:
        step = STEPS[mode](model, data, device, DTYPES[dtype_name])
        if args.toggle:
            runs = interleaved(step, model, device, args)
        else:
            runs = {None: time_step(step, device, args.warmup, args.repeats, args.iters)}
    except torch.cuda.OutOfMemoryError:
        return [dict(row, error='out of memory')]
    rows = []
    for value, times in runs.items():
        out = summarise(row if value is None else dict(row, toggle=f'{args.toggle}={value}'),
                        times, device)
        if args.step_flops:
            if value is not None:
                setattr(model, args.toggle, value)
            out['gflops_per_image'] = count_step_flops(step, batch_size)
        rows.append(out)
    return rows


# ---- FLOPs ---------------------------------------------------------------------------------
def count_gflops(model, size: int, device: torch.device) -> Dict[str, float]:
    """Forward GFLOPs of one image (multiply-add = 2 FLOPs), total and per top-level part."""
    from torch.utils.flop_counter import FlopCounterMode
    model.eval()
    inputs = torch.zeros(1, 3, size, size, device=device)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(inputs, mode='tensor')
    parts, prefix = {}, type(model).__name__ + '.'
    for name, counts in counter.get_flop_counts().items():
        if name.startswith(prefix) and name.count('.') == 1:  # '<Model>.<part>'
            parts[name[len(prefix):]] = sum(counts.values()) / 1e9
    return dict(total=counter.get_total_flops() / 1e9, **parts)


# ---- output --------------------------------------------------------------------------------
def conditions(device: torch.device, args: argparse.Namespace) -> dict:
    info = dict(torch=torch.__version__, python=platform.python_version(),
                device=str(device), threads=torch.get_num_threads(), cpu_count=os.cpu_count(),
                processor=platform.processor() or platform.machine(),
                loadavg_1min=os.getloadavg()[0], warmup=args.warmup, repeats=args.repeats,
                iters=args.iters)
    if device.type == 'cuda':
        info.update(gpu=torch.cuda.get_device_name(device),
                    cudnn_benchmark=torch.backends.cudnn.benchmark)
    return info


def format_table(rows: List[dict]) -> str:
    lines = [f'{"mode":<6} {"dtype":<5} {"batch":>5} {"img/s":>10} {"ms/iter":>10} '
             f'{"best ms":>10} {"peak MiB":>9} {"GFLOP/img":>9}  setting']
    for row in rows:
        if 'error' in row:
            lines.append(f'{row["mode"]:<6} {row["dtype"]:<5} {row["batch_size"]:>5} '
                         f'{row["error"]}')
            continue
        flops = f'{row["gflops_per_image"]:.1f}' if 'gflops_per_image' in row else '-'
        lines.append(f'{row["mode"]:<6} {row["dtype"]:<5} {row["batch_size"]:>5} '
                     f'{row["images_per_s"]:>10.2f} {row["ms_per_iter"]:>10.1f} '
                     f'{row["best_ms_per_iter"]:>10.1f} {row["peak_memory_mib"]:>9.0f} '
                     f'{flops:>9}  {row.get("toggle", "")}')
    return '\n'.join(lines)


def run(args: argparse.Namespace) -> dict:
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cfg = Config.fromfile(args.config)
    merge_cfg_options(cfg, args.cfg_options, args.cfg_new_keys)
    if device.type == 'cuda':  # as the runner sets it from the config (TF32 stays off)
        torch.backends.cudnn.benchmark = bool(cfg.get('env_cfg', {}).get('cudnn_benchmark'))
    model = build_model(cfg, args, device)
    size = args.input_size or cfg.model.get('input_size', 224)
    size = size if isinstance(size, int) else size[0]
    result = dict(config=args.config, input_size=size, conditions=conditions(device, args),
                  model_options={k: cfg.model.get(k) for k in ('cache_priors', 'channels_last',
                                                              'compile')},
                  trainable_params=sum(p.numel() for p in trainable(model)))
    if not args.no_flops:
        result['gflops'] = count_gflops(model, size, device)
        print(f'forward GFLOPs per image: {result["gflops"]["total"]:.2f} ('
              + ', '.join(f'{k} {v:.2f}' for k, v in result['gflops'].items() if k != 'total')
              + ')')
    rows = []
    for mode in args.modes:
        for dtype_name in args.dtypes:
            for batch_size in args.batch_sizes:
                new = measure(model, mode, batch_size, dtype_name, size, device, args)
                rows += new
                print('\n'.join(format_table(new).split('\n')[1:]), flush=True)
    result['results'] = rows
    print(format_table(rows))
    if args.out:
        with atomic_write(args.out) as f:
            json.dump(result, f, indent=1)
    return result


def main(argv: Optional[List[str]] = None) -> dict:
    return run(parse_args(argv))


if __name__ == '__main__':
    cli_main(main)
