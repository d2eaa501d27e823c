"""Reading checkpoints and loading them strictly, with errors that name the file and the keys.

Every place that takes a checkpoint from the user goes through here: ``tools/test.py``, the
inferencer and model index, the explanation and export tools, the frozen priors and the
converters. A checkpoint loads only if it fills every key the model needs; the error lists the
missing and unexpected keys (grouped by module) and says what to do.
"""
import os
import os.path as osp
import pickle
import re
import zipfile
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

StateDict = Dict[str, Tensor]
# Checkpoint addresses that would need a download (nothing is downloaded at run time).
REMOTE_PREFIXES = ('http://', 'https://', 's3://', 'open-mmlab://', 'torchvision://',
                   'modelzoo://', 'mmcls://', 'pavi://')
# Globals whose presence in a pickle means "this file runs code when loaded".
_CODE_RUNNING_GLOBALS = re.compile(
    r'^(posix|nt|os|subprocess|builtins\.(eval|exec|compile|open|__import__)|'
    r'runpy|importlib|sys|shutil|socket|pty|webbrowser)\b')
_REFUSED_GLOBAL = re.compile(r'GLOBAL ([\w.]+)')


class CheckpointError(ValueError):
    """A checkpoint file cannot be read, or does not fit the model it is loaded into."""


def summarise_keys(keys: Iterable[str], depth: int = 2) -> List[str]:
    """Group keys by their first ``depth`` dotted parts: ``['output_layer.3 (2 keys)', ...]``."""
    groups: Dict[str, int] = OrderedDict()
    for key in keys:
        group = '.'.join(key.split('.')[:depth])
        groups[group] = groups.get(group, 0) + 1
    return [f'{group} ({count} key{"s" if count > 1 else ""})' for group, count in groups.items()]


def _key_list(keys: Sequence[str], depth: int = 3, limit: int = 8) -> str:
    groups = summarise_keys(keys, depth)
    more = f', ... {len(groups) - limit} more groups' if len(groups) > limit else ''
    return '[' + ', '.join(groups[:limit]) + more + ']'


def _refused_global(error: Exception) -> Optional[str]:
    match = _REFUSED_GLOBAL.search(str(error))
    return match.group(1) if match else None


def read_checkpoint(path: str, trusted: bool = False, mmap: bool = False) -> Any:
    """``torch.load`` a checkpoint on CPU, with an error that says what is wrong with the file.

    Args:
        path (str): The file.
        trusted (bool): Load with ``weights_only=False`` (runs pickled code: only for files you
            made or trust). Defaults to False: only tensors, containers and the globals
            :mod:`orsanet.compat` allows (MMEngine's message hub, numpy arrays).
        mmap (bool): Map the file instead of reading it (cheap look at its keys and meta).

    Raises:
        FileNotFoundError: No such file.
        CheckpointError: The file is empty, truncated or not a torch checkpoint; or it holds
            objects that ``weights_only`` loading refuses (the message names them, and says when
            they would run code).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    size = os.path.getsize(path)
    if size == 0:
        raise CheckpointError(f'checkpoint {path} is empty (0 bytes): an interrupted download or '
                              'copy? Fetch or write it again.')
    try:
        return torch.load(path, map_location='cpu', weights_only=not trusted,
                          mmap=mmap and zipfile.is_zipfile(path))
    except pickle.UnpicklingError as err:
        name = _refused_global(err)
        if trusted or name is None:
            raise CheckpointError(f'checkpoint {path} cannot be unpickled ({err}): not a torch '
                                  'checkpoint, or a damaged one') from err
        if _CODE_RUNNING_GLOBALS.match(name):
            raise CheckpointError(
                f'checkpoint {path} refers to {name}, which runs code when the file is loaded: '
                'this is not a plain checkpoint and may be malicious. It was not loaded. Only if '
                'you made this file yourself, rerun with --trusted.') from err
        raise CheckpointError(
            f'checkpoint {path} holds objects that are not tensors ({name}); weights-only '
            'loading refuses them. If you trust the file, rerun with --trusted.') from err
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise CheckpointError(
            f'checkpoint {path} ({size} bytes) cannot be read: {type(err).__name__}: '
            f'{str(err).splitlines()[0][:200]}. The file is truncated or not a torch checkpoint; '
            'copy or download it again.') from err


def state_dict_of(checkpoint: Any, path: str, key: Optional[str] = 'state_dict') -> StateDict:
    """The state dict inside a loaded checkpoint (``checkpoint[key]`` when present, else the
    checkpoint itself), with ``module.`` prefixes (DataParallel / DDP) removed."""
    if isinstance(checkpoint, Mapping) and key is not None and key in checkpoint:
        checkpoint = checkpoint[key]
    if not isinstance(checkpoint, Mapping) or not checkpoint:
        raise CheckpointError(f'checkpoint {path} holds no state dict'
                              + (f' (no {key!r} entry)' if key else ''))
    not_tensors = [k for k, v in checkpoint.items() if not isinstance(v, Tensor)]
    if not_tensors:
        raise CheckpointError(f'checkpoint {path}: the state dict has entries that are not '
                              f'tensors: {not_tensors[:5]}')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in checkpoint.items())


def is_optional_key(key: str, optional: Sequence[str]) -> bool:
    """``num_batches_tracked`` (BatchNorm fills it) and keys under the ``optional`` prefixes."""
    return key.endswith('num_batches_tracked') or key.startswith(tuple(optional))


def check_state_dict(state: Mapping[str, Tensor], expected: Mapping[str, Tensor], path: str,
                     what: str, hint: str, optional: Sequence[str] = ()) -> None:
    """Refuse ``state`` unless it fills every key of ``expected`` with the right shape.

    Args:
        state: The checkpoint's state dict.
        expected: The model's state dict (shapes).
        path (str): The checkpoint file, for the message.
        what (str): What the model is, for the message (e.g. ``'ORSANet (configs/x.py)'``).
        hint (str): What to do, appended to the message.
        optional (sequence of str): Key prefixes that may be absent (e.g. a decode head the
            model never runs); keys under them are still refused when of the wrong shape.

    Raises:
        CheckpointError: Missing, unexpected or mis-shaped keys, each group listed.
    """
    missing = [k for k in expected if k not in state and not is_optional_key(k, optional)]
    unexpected = [k for k in state if k not in expected]
    shapes = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
              for k, v in expected.items() if k in state and state[k].shape != v.shape]
    if not (missing or unexpected or shapes):
        return
    if state and expected and not set(state) & set(expected):
        raise CheckpointError(f'no key of checkpoint {path} belongs to {what} (checkpoint keys '
                              f'start {list(state)[:3]}, model keys {list(expected)[:3]}): a '
                              f'checkpoint of another model? {hint}')
    problems = []
    if missing:
        problems.append(f'{len(missing)} missing keys (the model needs them) '
                        f'{_key_list(missing)}')
    if unexpected:
        problems.append(f'{len(unexpected)} unexpected keys (no part of the model has them) '
                        f'{_key_list(unexpected)}')
    if shapes:
        problems.append(f'{len(shapes)} keys have the wrong shape '
                        f'[{"; ".join(shapes[:4])}{"; ..." if len(shapes) > 4 else ""}]')
    raise CheckpointError(f'checkpoint {path} does not fit {what}: ' + '; '.join(problems)
                          + f'. {hint}')


def load_state_dict_strict(model: nn.Module, state: Mapping[str, Tensor], path: str, what: str,
                           hint: str, optional: Sequence[str] = (),
                           expected: Optional[Mapping[str, Tensor]] = None) -> None:
    """:func:`check_state_dict`, then ``model.load_state_dict`` (``expected`` defaults to the
    model's own state dict; keys under ``optional`` that are absent keep their values)."""
    expected = model.state_dict() if expected is None else expected
    check_state_dict(state, expected, path, what, hint, optional)
    model.load_state_dict(dict(state), strict=not optional)


PRIOR_NAMES = ('semantic_prior', 'landmark_prior')


def carried_priors(keys: Iterable[str]) -> List[str]:
    """The priors whose wrapped model a checkpoint carries (keys ``<prior>.model.*``), as in
    a converted official checkpoint."""
    keys = list(keys)
    return [name for name in PRIOR_NAMES if any(k.startswith(f'{name}.model.') for k in keys)]


def frozen_priors(model: nn.Module) -> Dict[str, nn.Module]:
    """The model's frozen priors by attribute name (``{}`` for a model without)."""
    return {name: getattr(model, name) for name in PRIOR_NAMES
            if hasattr(getattr(model, name, None), 'allow_missing')}


def state_dict_with_priors(model: nn.Module,
                           priors: Iterable[str] = PRIOR_NAMES) -> Tuple[StateDict, List[str]]:
    """``(state dict, optional prefixes)``: the model's state dict plus the wrapped models of the
    named priors (which ``state_dict()`` leaves out unless ``save_weights=True``), and the
    prefixes of their ``allow_missing`` parts."""
    expected: StateDict = OrderedDict(model.state_dict())
    optional: List[str] = []
    for name, prior in frozen_priors(model).items():
        if name in priors:
            expected.update((f'{name}.model.{k}', v) for k, v in prior.model.state_dict().items())
            optional += [f'{name}.model.{p}' for p in prior.allow_missing]
    return expected, optional


def without_prior_weights(model_cfg: Mapping, names: Iterable[str] = PRIOR_NAMES) -> dict:
    """A copy of ``model_cfg`` whose named priors are built without their weight files."""
    model_cfg = dict(model_cfg)
    for name in names:
        if isinstance(model_cfg.get(name), Mapping):
            model_cfg[name] = dict(model_cfg[name], checkpoint=None)
    return model_cfg


def model_cfg_for_checkpoint(model_cfg: Mapping, path: str) -> dict:
    """``model_cfg`` for a model that will load ``path``: a prior the checkpoint carries is built
    without its own weight file (the checkpoint fills it; its file need not exist)."""
    keys = state_dict_of(read_checkpoint(path, mmap=True), path).keys()
    return without_prior_weights(model_cfg, carried_priors(keys))


def load_model_checkpoint(model: nn.Module, path: str, what: str,
                          random_weights_ok: bool = False) -> dict:
    """Load a checkpoint of a whole model (ORSANet or any classifier) STRICTLY.

    Every key of ``model.state_dict()`` must be filled with its shape and no key may be
    unexpected. The frozen priors' wrapped models are not in ``state_dict()`` (their weights come
    from their own files) unless the checkpoint carries them, which then must be whole (their
    ``allow_missing`` parts excepted). A prior built without a weight file and not carried by the
    checkpoint would run on random weights: refused unless ``random_weights_ok``.

    Args:
        model: The model (unwrapped), built from the config (for a checkpoint carrying priors,
            from :func:`model_cfg_for_checkpoint`).
        path (str): The checkpoint.
        what (str): What the model is, for messages (e.g. ``'ORSANet of configs/x.py'``).
        random_weights_ok (bool): Allow priors without weights (tests, smoke runs).

    Returns:
        dict: The checkpoint's ``meta`` (``{}`` if none).

    Raises:
        FileNotFoundError, CheckpointError: The file cannot be read or does not fit, naming the
            missing, unexpected and mis-shaped keys.
    """
    checkpoint = read_checkpoint(path)
    state = state_dict_of(checkpoint, path)
    carried = carried_priors(state)
    expected, optional = state_dict_with_priors(model, carried)
    check_state_dict(state, expected, path, what,
                     'Give a checkpoint of this model (trained with this config, or converted '
                     'with tools/model_converters/orsanet_to_mmpretrain.py for this config).',
                     optional)
    for name, prior in frozen_priors(model).items():
        if name not in carried and prior.checkpoint is None and not random_weights_ok:
            raise CheckpointError(
                f'{what}: model.{name} has no weight file (checkpoint=None) and {path} does not '
                f'carry its weights: it would run on random weights. Set model.{name}.checkpoint '
                'to its converted weights (see tools/model_converters/), or ask for random '
                'weights explicitly (--random-weights).')
    model.load_state_dict(state, strict=True)
    meta = checkpoint.get('meta') if isinstance(checkpoint, Mapping) else None
    return dict(meta) if isinstance(meta, Mapping) else {}


def load_pretrained(module: nn.Module, path: str, prefix: Optional[str] = None,
                    unused: Sequence[str] = (), what: Optional[str] = None) -> None:
    """A strict ``init_cfg=dict(type='Pretrained', checkpoint=path, prefix=prefix)``: the keys
    under ``prefix`` (stripped) must fill every key of ``module``; keys under the ``unused``
    prefixes (parts of the source the module does not build) are dropped first."""
    what = what or type(module).__name__
    state = state_dict_of(read_checkpoint(path), path)
    if prefix:
        prefix = prefix if prefix.endswith('.') else prefix + '.'
        inner = OrderedDict((k[len(prefix):], v) for k, v in state.items()
                            if k.startswith(prefix))
        if not inner:
            raise CheckpointError(f'checkpoint {path} has no key under {prefix!r} (its keys start '
                                  f'{list(state)[:3]}): check init_cfg.prefix of {what}')
        state = inner
    state = OrderedDict((k, v) for k, v in state.items() if not k.startswith(tuple(unused)))
    load_state_dict_strict(module, state, path, what,
                           'Give the converted checkpoint of this architecture (see '
                           'tools/model_converters/), or set its init_cfg to None to train from '
                           'scratch.')
