"""How ORSANet calls its neck and head, for its own parts and for stock (mmpretrain) ones.

ORSANet's own neck (``MCMNeck``) takes the fused image tokens and the landmark tokens and is sized
by ``embed_dims`` / ``num_img_tokens`` / ``num_lm_tokens``. A stock neck (``GlobalAveragePooling``,
...) takes a tuple of maps, as in ``ImageClassifier``: it gets ``(fused map (B, D, g, g), )`` and
none of the three sizes. Anything else is refused at build, naming the part and what it lacks.
"""
import inspect
from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

TOKEN_ARGS = ('embed_dims', 'num_img_tokens', 'num_lm_tokens')
HEAD_METHODS = ('loss', 'predict', 'pre_logits')


def _accepted(func, names) -> Tuple[str, ...]:
    """The ``names`` that ``func`` takes (all of them if it takes ``**kwargs``)."""
    params = inspect.signature(func).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return tuple(names)
    return tuple(name for name in names if name in {p.name for p in params})


def _positional_range(func) -> Tuple[int, float]:
    """(required, maximum) positional arguments of a bound-less ``forward`` (``self`` excluded)."""
    params = list(inspect.signature(func).parameters.values())[1:]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in positional)
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    return required, float('inf') if varargs else len(positional)


def neck_class(cfg: dict) -> type:
    """The class a neck config names (the registry's own KeyError if it names none)."""
    neck_type = cfg['type']
    if not isinstance(neck_type, str):
        return neck_type
    found = MODELS.get(neck_type)
    if found is None:
        MODELS.build(cfg)  # raises the registry's KeyError, with its scope and hints
    return found


def build_neck(cfg: dict, sizes: Dict[str, int]) -> Tuple[nn.Module, bool]:
    """Build the neck; returns (neck, takes_tokens).

    A neck whose ``__init__`` takes ``num_lm_tokens`` is called ``neck(image tokens (B, N, D),
    landmark tokens (B, N_l, D))`` and gets those of ``sizes`` it takes; any other neck is
    called the stock way, ``neck((fused map (B, D, g, g), ))``, and gets none of them.
    """
    cls = neck_class(cfg)
    name = getattr(cls, '__name__', str(cls))
    takes = _accepted(cls.__init__, TOKEN_ARGS)
    takes_tokens = 'num_lm_tokens' in takes
    required, maximum = _positional_range(cls.forward)
    if takes_tokens and maximum < 2:
        raise ValueError(f'ORSANet neck {name}: its __init__ takes num_lm_tokens, so ORSANet '
                         'calls it with (image tokens, landmark tokens), but its forward takes '
                         f'at most {maximum} input(s)')
    if not takes_tokens and not required <= 1 <= maximum:
        raise ValueError(
            f'ORSANet neck {name}: its forward needs {required} inputs, but a neck whose '
            '__init__ does not take num_lm_tokens (and embed_dims, num_img_tokens) is called the '
            'stock way, with one tuple of maps; give it those arguments or use a stock neck')
    extra = {key: sizes[key] for key in takes} if takes_tokens else {}
    return MODELS.build(dict(cfg, **extra)), takes_tokens


def check_head(head: nn.Module) -> None:
    """Refuse a head without mmpretrain's ClsHead interface (``loss``, ``predict``,
    ``pre_logits``), naming what it lacks."""
    missing = [name for name in HEAD_METHODS if not callable(getattr(head, name, None))]
    if missing:
        raise ValueError(f'ORSANet head {type(head).__name__} lacks {", ".join(missing)}: '
                         'ORSANet needs a ClsHead (DAREHead, LinearClsHead, ...)')


@torch.no_grad()
def probe(model: nn.Module, neck_inputs: tuple) -> None:
    """Run neck and head once on zeros (eval mode); a mismatch is refused naming both parts."""
    neck, head = model.neck, model.head
    was_training = model.training
    neck.eval(), head.eval()
    try:
        feats = neck(*neck_inputs)
        feats = feats if isinstance(feats, (tuple, list)) else (feats, )
        head(tuple(feats))
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        shapes = [tuple(x.shape) for x in neck_inputs if isinstance(x, torch.Tensor)] or [
            tuple(x.shape) for x in neck_inputs[0]]
        raise ValueError(f'ORSANet: neck {type(neck).__name__} and head {type(head).__name__} '
                         f'do not fit the fused features (neck inputs {shapes}): '
                         f'{type(err).__name__}: {err}') from err
    finally:
        neck.train(was_training), head.train(was_training)
