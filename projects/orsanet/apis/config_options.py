"""``--cfg-options`` that only change what the config has: a misspelt or unknown key is refused,
naming the nearest key the config does have. MMEngine's own semantics (any key is added) stay
available behind an explicit switch (``--cfg-new-keys``)."""
import difflib
from typing import Any, Dict, List, Optional

from mmengine.config import Config


class UnknownConfigKeyError(KeyError):
    """``--cfg-options`` names keys the config does not have."""

    def __str__(self) -> str:  # KeyError would print the message quoted, newlines escaped
        return str(self.args[0])


def _child(node: Any, part: str) -> tuple:
    """``(found, value)`` of one dotted-key part under ``node`` (a dict key or a list index)."""
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
        return True, node[int(part)]
    return False, None


def first_missing(cfg: Config, key: str) -> Optional[str]:
    """The shortest prefix of the dotted ``key`` that ``cfg`` lacks, or None if it has it."""
    node, parts = cfg._cfg_dict, key.split('.')
    for depth, part in enumerate(parts, 1):
        found, node = _child(node, part)
        if not found:
            return '.'.join(parts[:depth])
    return None


def config_keys(node: Any, prefix: str = '') -> List[str]:
    """Every dotted key of a config tree (dict keys, list indices)."""
    if isinstance(node, dict):
        items = [(str(k), v) for k, v in node.items()]
    elif isinstance(node, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(node)]
    else:
        return []
    keys = []
    for name, value in items:
        keys.append(prefix + name)
        keys.extend(config_keys(value, prefix + name + '.'))
    return keys


def nearest_key(key: str, keys: List[str]) -> Optional[str]:
    """The existing key closest to ``key``: among keys with the same last part if there are
    any (``max_iters`` -> ``train_cfg.max_iters``), else by spelling."""
    last = key.split('.')[-1]
    same_leaf = [k for k in keys if k.split('.')[-1] == last]
    match = difflib.get_close_matches(key, same_leaf or keys, n=1,
                                      cutoff=0.0 if same_leaf else 0.6)
    return match[0] if match else None


def merge_cfg_options(cfg: Config, options: Optional[Dict[str, Any]],
                      allow_new_keys: bool = False) -> Config:
    """``cfg.merge_from_dict(options)`` after checking that ``cfg`` has every key.

    Args:
        cfg (Config): The config, changed in place.
        options (dict, optional): ``{dotted key: value}`` (what ``DictAction`` parses).
        allow_new_keys (bool): Add keys the config lacks (MMEngine's semantics) instead of
            refusing them. Defaults to False.

    Raises:
        UnknownConfigKeyError: Some key is not in ``cfg``; the message names each one, the part
            that is missing and the nearest existing key.
    """
    if not options:
        return cfg
    if not allow_new_keys:
        problems, keys = [], None
        for key in options:
            missing = first_missing(cfg, key)
            if missing is None:
                continue
            keys = keys if keys is not None else config_keys(cfg._cfg_dict)
            near = nearest_key(key, keys)
            hint = f'; nearest existing key: {near}' if near else ''
            problems.append(f'{key}: the config has no key {missing!r}{hint}')
        if problems:
            raise UnknownConfigKeyError(
                f'--cfg-options names keys that {cfg.filename or "the config"} does not have:\n  '
                + '\n  '.join(problems) + '\nFix the spelling, or pass --cfg-new-keys to add new '
                'keys on purpose (e.g. an argument the config leaves at its default).')
    cfg.merge_from_dict(options)
    return cfg
