"""Adapters from what a tapped layer returns to one NCHW feature map.

A prior taps a named layer of the model it wraps; layers return different things: a tensor, a
tuple of feature maps (a backbone), or a Swin stage's ``(x, hw_shape, out, out_hw_shape)``.
``FrozenPrior(layer_adapter=NAME)`` picks one of the adapters below; add your own with
:func:`register_layer_adapter`.
"""
from typing import Any, Callable, Dict

from torch import Tensor

LayerAdapter = Callable[[Any], Tensor]
LAYER_ADAPTERS: Dict[str, LayerAdapter] = {}


def register_layer_adapter(name: str) -> Callable[[LayerAdapter], LayerAdapter]:
    """Register ``fn(layer_output) -> Tensor (B, C, H, W)`` under ``name``."""

    def register(fn: LayerAdapter) -> LayerAdapter:
        if name in LAYER_ADAPTERS:
            raise KeyError(f'layer adapter {name!r} is already registered')
        LAYER_ADAPTERS[name] = fn
        return fn

    return register


def get_layer_adapter(name: str) -> LayerAdapter:
    if name not in LAYER_ADAPTERS:
        raise KeyError(f'unknown layer_adapter {name!r}; registered: {sorted(LAYER_ADAPTERS)}')
    return LAYER_ADAPTERS[name]


def _is_hw(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, int) for v in value)


def is_token_stage(output: Any) -> bool:
    """An mmseg/mmcv transformer stage output ``(x, hw_shape, out, out_hw_shape)``."""
    return (isinstance(output, (tuple, list)) and len(output) == 4
            and isinstance(output[2], Tensor) and _is_hw(output[3]))


@register_layer_adapter('tensor')
def nchw_tensor(output: Any) -> Tensor:
    """A (B, C, H, W) tensor, passed through."""
    if not isinstance(output, Tensor) or output.dim() != 4:
        raise TypeError(f'expected a (B, C, H, W) tensor, got {_describe(output)}')
    return output


@register_layer_adapter('token_stage')
def token_stage(output: Any) -> Tensor:
    """mmseg Swin stage ``(x, hw_shape, out, out_hw_shape)`` -> ``out`` as (B, C, H, W).

    ``out`` is the stage's blocks' output (B, H * W, C), row-major over ``out_hw_shape``, before
    any downsampling and before the backbone's per-output norm.
    """
    if not is_token_stage(output):
        raise TypeError('expected an mmseg stage output (x, hw_shape, out, out_hw_shape), '
                        f'got {_describe(output)}')
    tokens, (height, width) = output[2], output[3]
    batch, length, channels = tokens.shape
    if length != height * width:
        raise ValueError(f'stage output has {length} tokens, not {height} x {width}')
    return tokens.transpose(1, 2).reshape(batch, channels, height, width)


@register_layer_adapter('last')
def last_map(output: Any) -> Tensor:
    """The last (deepest) (B, C, H, W) map of a tuple/list of maps, or a single map."""
    if isinstance(output, (tuple, list)):
        maps = [o for o in output if isinstance(o, Tensor) and o.dim() == 4]
        if not maps:
            raise TypeError(f'no (B, C, H, W) tensor in {_describe(output)}')
        return maps[-1]
    return nchw_tensor(output)


@register_layer_adapter('auto')
def auto(output: Any) -> Tensor:
    """A tensor as it is; an mmseg stage tuple via ``token_stage``; else ``last``."""
    if isinstance(output, Tensor):
        return nchw_tensor(output)
    if is_token_stage(output):
        return token_stage(output)
    return last_map(output)


def _describe(output: Any) -> str:
    if isinstance(output, Tensor):
        return f'a tensor of shape {tuple(output.shape)}'
    if isinstance(output, (tuple, list)):
        return f'a {type(output).__name__} of [{", ".join(_describe(o) for o in output)}]'
    return type(output).__name__
