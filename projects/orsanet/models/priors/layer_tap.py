"""Tapping one layer of a model: its output, and the model stopped once the layer has run."""
from typing import Any, Callable

import torch
from torch import nn


class _LayerTapped(Exception):
    """Raised by the tap hook to stop the model once the tapped layer has run."""


def capturing_graph() -> bool:
    """True while torch.export / dynamo / TorchScript tracing captures a graph."""
    compiler = getattr(torch, 'compiler', None)
    exporting = getattr(compiler, 'is_exporting', None)
    return bool((exporting is not None and exporting())
                or (compiler is not None and compiler.is_compiling())
                or torch.jit.is_tracing())


def tap_layer(target: nn.Module, run: Callable[[], Any], early_stop: bool = True) -> Any:
    """The output of ``target`` while ``run()`` runs the model that contains it.

    A forward hook is registered for this call only (nothing is stored on the module, so calls
    are independent; under DDP each process has its own copy). With ``early_stop`` the model is
    stopped by an exception once ``target`` has run; graph capture (``torch.export``,
    ``torch.onnx.export``, ``torch.compile``) cannot follow that exception, so there the hook
    only records the output and ``run()`` goes to its end (the same numbers, more computation).

    Raises:
        RuntimeError: ``target`` was not called by ``run()``.
    """
    captured = []
    stop = early_stop and not capturing_graph()

    def hook(module: nn.Module, args: Any, output: Any) -> None:
        if module is target:
            captured.append(output)
            if stop:
                raise _LayerTapped

    handle = target.register_forward_hook(hook)
    try:
        run()
    except _LayerTapped:
        pass
    finally:
        handle.remove()
    if not captured:
        raise RuntimeError(f'the tapped {type(target).__name__} was not called in the model\'s '
                           'forward (a parent may call its .forward() directly, as mmseg does '
                           'for decode_head): tap a submodule')
    return captured[0]
