"""Helpers shared by the converters in ``tools/model_converters/`` (official -> OpenMMLab keys).

A converter supplies a key-renaming function and the state dict of the target module (its shapes);
these helpers load the source, rename, check every shape, report ignored and missing keys, and save
an OpenMMLab checkpoint ``{'state_dict': ..., 'meta': ...}``.
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import torch

StateDict = Dict[str, torch.Tensor]
KeyMap = Callable[[str], Optional[str]]
KeyRules = List[Tuple[str, str]]


def map_key(key: str, rules: KeyRules) -> Optional[str]:
    """``re.sub`` of the first ``(pattern, replacement)`` rule whose pattern is found in ``key``;
    None when no rule applies."""
    for pattern, repl in rules:
        if re.search(pattern, key):
            return re.sub(pattern, repl, key)
    return None


def rename_keys(state_dict: Mapping[str, torch.Tensor],
                rules: KeyRules) -> Tuple[StateDict, List[str]]:
    """Rename every key by :func:`map_key`; returns ``(converted, ignored)`` (keys no rule
    applies to, in order)."""
    converted: StateDict = OrderedDict()
    ignored: List[str] = []
    for key, value in state_dict.items():
        new_key = map_key(key, rules)
        if new_key is None:
            ignored.append(key)
        else:
            converted[new_key] = value
    return converted, ignored


def converter_parser(description: str, source: str) -> argparse.ArgumentParser:
    """An argument parser with the converters' common arguments: src, dst and ``--trusted``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help=f'the official checkpoint ({source})')
    parser.add_argument('dst', help='the output checkpoint (.pth)')
    parser.add_argument('--trusted', action='store_true',
                        help='load the source with weights_only=False (trusted files only)')
    return parser


def load_source_state_dict(path: str,
                           state_key: Optional[str] = None,
                           trusted: bool = False) -> StateDict:
    """Read a checkpoint file and return its state dict (``module.`` prefixes removed).

    Args:
        path (str): Checkpoint file.
        state_key (str, optional): Key holding the state dict inside the file (e.g.
            ``'state_dict'``); used when present, else the file itself must be the state dict.
        trusted (bool): Load with ``weights_only=False`` (runs pickled code: trusted files only).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=not trusted)
    except Exception as err:  # torch raises UnpicklingError or RuntimeError for refused globals
        if trusted:
            raise
        raise RuntimeError(f'{path} holds objects that torch.load(weights_only=True) refuses '
                           f'({type(err).__name__}: {str(err)[:200]}). If you trust the file, '
                           'rerun with --trusted.') from err
    if state_key is not None and isinstance(checkpoint, Mapping) and state_key in checkpoint:
        checkpoint = checkpoint[state_key]
    if not isinstance(checkpoint, Mapping) or not all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ValueError(f'{path} is not a state dict of tensors'
                         + (f' (nor has one under {state_key!r})' if state_key else ''))
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in checkpoint.items())


def rename_and_check(state_dict: Mapping[str, torch.Tensor], key_map: KeyMap,
                     expected: Mapping[str, torch.Tensor],
                     source_name: str) -> Tuple[StateDict, List[str]]:
    """Rename ``state_dict`` with ``key_map`` and check each tensor against ``expected``.

    Args:
        state_dict: Source (official) state dict.
        key_map: Source key -> target key, or None for a key the target does not use.
        expected: State dict (or meta-device state dict) of the target module: the shapes.
        source_name (str): What the source is, for error messages (e.g. ``'IR-50 ir50.pth'``).

    Returns:
        tuple: The renamed state dict and the source keys ignored (unused or unknown), in order.

    Raises:
        ValueError: A tensor's shape differs from the target's (names both keys and shapes), or
            no key of the source belongs to the target at all.
    """
    converted: StateDict = OrderedDict()
    ignored: List[str] = []
    for key, value in state_dict.items():
        target = key_map(key)
        if target is None or target not in expected:
            ignored.append(key)
            continue
        want = tuple(expected[target].shape)
        if tuple(value.shape) != want:
            raise ValueError(f'{source_name}: {key!r} (-> {target!r}) has shape '
                             f'{tuple(value.shape)} but the model expects {want}; this is not '
                             'a checkpoint of that architecture (check the file and the arch).')
        converted[target] = value
    if not converted:
        raise ValueError(f'{source_name}: none of the {len(state_dict)} keys belongs to the '
                         f'model (first keys: {list(state_dict)[:3]}); wrong checkpoint?')
    return converted, ignored


def missing_keys(converted: Mapping[str, torch.Tensor],
                 expected: Mapping[str, torch.Tensor]) -> List[str]:
    """Target keys the converted state dict does not provide."""
    return [key for key in expected if key not in converted]


def summarise_keys(keys: Iterable[str], depth: int = 2) -> List[str]:
    """Group keys by their first ``depth`` dotted parts: ``['output_layer.3 (2 keys)', ...]``."""
    groups: Dict[str, int] = OrderedDict()
    for key in keys:
        group = '.'.join(key.split('.')[:depth])
        groups[group] = groups.get(group, 0) + 1
    return [f'{group} ({count} key{"s" if count > 1 else ""})' for group, count in groups.items()]


def save_checkpoint(state_dict: Mapping[str, torch.Tensor], path: str, prefix: str = '',
                    meta: Optional[dict] = None) -> None:
    """Save ``{'state_dict': {prefix + key: tensor}, 'meta': meta}`` (MMEngine layout)."""
    out_dir = osp.dirname(osp.abspath(path))
    if not osp.isdir(out_dir):
        raise FileNotFoundError(f'output folder {out_dir} does not exist')
    prefixed = OrderedDict((prefix + k, v.detach().clone()) for k, v in state_dict.items())
    torch.save({'state_dict': prefixed, 'meta': dict(meta or {})}, path)


def report(converted: Mapping[str, torch.Tensor], ignored: List[str], missing: List[str],
           target: str) -> str:
    """A three-line summary of a conversion: converted, ignored and missing keys (grouped)."""
    return '\n'.join([
        f'converted {len(converted)} tensors into {target}',
        f'ignored {len(ignored)} source keys: {summarise_keys(ignored)}',
        f'missing {len(missing)} {target} keys (left at their init): {summarise_keys(missing)}',
    ])
