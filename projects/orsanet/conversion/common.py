"""What every converter shares: load the source, rename its keys, check them, report, save.

A converter module supplies a key-renaming function and the state dict of the target module (its
shapes); these helpers rename, check every shape, refuse a source that does not fill every key
the target needs, and save an OpenMMLab checkpoint ``{'state_dict': ..., 'meta': ...}``.
"""
import argparse
import re
from collections import OrderedDict
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

import torch

from ..checkpoints import (
    CheckpointError,
    StateDict,
    is_optional_key,
    read_checkpoint,
    state_dict_of,
    summarise_keys,
)
from ..fileio import atomic_path

KeyMap = Callable[[str], Optional[str]]
KeyRules = List[Tuple[str, str]]


class ConversionError(CheckpointError):
    """A source checkpoint cannot fill the target model (missing, unknown or mis-shaped keys)."""


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


def sub_dict(state_dict: Mapping[str, torch.Tensor], prefix: str) -> StateDict:
    """The entries under ``prefix``, with the prefix removed."""
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def converter_parser(description: str, source: str) -> argparse.ArgumentParser:
    """An argument parser with the converters' common arguments: src, dst and ``--trusted``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help=f'the official checkpoint ({source})')
    parser.add_argument('dst', help='the output checkpoint (.pth)')
    parser.add_argument('--trusted', action='store_true',
                        help='load the source with weights_only=False (only for files you made '
                        'or trust: unpickling runs code)')
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

    Raises:
        FileNotFoundError, CheckpointError: see :func:`orsanet.checkpoints.read_checkpoint`.
    """
    return state_dict_of(read_checkpoint(path, trusted=trusted), path, state_key)


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
        ConversionError: A tensor's shape differs from the target's (names both keys and
            shapes), or no key of the source belongs to the target at all.
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
            raise ConversionError(f'{source_name}: {key!r} (-> {target!r}) has shape '
                                  f'{tuple(value.shape)} but the model expects {want}; this is '
                                  'not a checkpoint of that architecture (check the file and the '
                                  'arch).')
        converted[target] = value
    if not converted:
        raise ConversionError(f'{source_name}: none of the {len(state_dict)} keys belongs to the '
                              f'model (first keys: {list(state_dict)[:3]}); wrong checkpoint?')
    return converted, ignored


def missing_keys(converted: Mapping[str, torch.Tensor],
                 expected: Mapping[str, torch.Tensor],
                 optional: Sequence[str] = ()) -> List[str]:
    """Target keys the converted state dict does not provide (``num_batches_tracked`` and keys
    under the ``optional`` prefixes excepted)."""
    return [key for key in expected if key not in converted
            and not is_optional_key(key, optional)]


def require_complete(converted: Mapping[str, torch.Tensor], expected: Mapping[str, torch.Tensor],
                     source_name: str, optional: Sequence[str] = ()) -> None:
    """Raise :class:`ConversionError` naming the target keys the source could not fill."""
    missing = missing_keys(converted, expected, optional)
    if missing:
        groups = summarise_keys(missing, depth=3)
        raise ConversionError(
            f'{source_name}: the source fills {len(expected) - len(missing)} of the '
            f'{len(expected)} keys the model needs; {len(missing)} are missing: '
            f'{groups[:8]}{" ..." if len(groups) > 8 else ""}. The file is not a whole '
            'checkpoint of that model; nothing saved.')


def save_checkpoint(state_dict: Mapping[str, torch.Tensor], path: str, prefix: str = '',
                    meta: Optional[dict] = None) -> None:
    """Save ``{'state_dict': {prefix + key: tensor}, 'meta': meta}`` (MMEngine layout), through a
    temporary file (a failed write leaves no half file)."""
    prefixed = OrderedDict((prefix + k, v.detach().clone()) for k, v in state_dict.items())
    with atomic_path(path) as tmp:
        torch.save({'state_dict': prefixed, 'meta': dict(meta or {})}, tmp)


def report(converted: Mapping[str, torch.Tensor], ignored: List[str], target: str,
           optional: Sequence[str] = ()) -> str:
    """A summary of a conversion: tensors converted, source keys ignored (grouped) and the
    target's optional parts left out."""
    lines = [f'converted {len(converted)} tensors into {target}',
             f'ignored {len(ignored)} source keys (the target has no such part): '
             f'{summarise_keys(ignored)}']
    if optional:
        lines.append(f'left out (missing from the source; not needed): {list(optional)}')
    return '\n'.join(lines)


def run_converter(convert: Callable[[], Tuple[StateDict, List[str]]], dst: str, prefix: str,
                  meta: dict, target: str, optional: Sequence[str] = ()) -> None:
    """The body of a converter script: convert, save, print the report; a
    :class:`CheckpointError` (or a missing file) exits with status 1 and its message."""
    try:
        converted, ignored = convert()
        save_checkpoint(converted, dst, prefix, meta)
    except (CheckpointError, FileNotFoundError) as err:
        raise SystemExit(f'error: {err}') from None
    print(report(converted, ignored, target, optional))
    print(f'saved {dst} (key prefix {prefix!r})' if prefix else f'saved {dst}')
