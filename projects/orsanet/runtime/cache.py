"""The on-disk cache of exported and compiled models: one folder per stage (the ONNX export, each
backend x precision), each with a ``manifest.json`` giving the key it was built for and the
sha256 of every file in it.

A folder is used only when its manifest's key equals the key asked for (same checkpoint hash,
same runtime version, same options) and its files hash as recorded; a stale folder (another key)
is rebuilt, a corrupt one (missing manifest or file, other hash, a file the runtime cannot
load) is rebuilt with a warning. Folders are built under a temporary name and renamed into
place, so an interrupted build never leaves a folder that looks complete.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
import time
import warnings
from typing import Callable, Dict, Optional, Tuple

MANIFEST = 'manifest.json'


class CorruptCacheWarning(UserWarning):
    """A cached model folder could not be used as it is (it is rebuilt)."""


def file_sha256(path: str, chunk: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def key_of(parts: Dict[str, object]) -> str:
    """The sha256 of ``parts`` as sorted JSON (the cache key)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_manifest(folder: str) -> Optional[dict]:
    """The folder's manifest, or None where it is missing or unreadable."""
    try:
        with open(osp.join(folder, MANIFEST)) as f:
            manifest = json.load(f)
        return manifest if isinstance(manifest, dict) else None
    except (OSError, ValueError):
        return None


def check_folder(folder: str, parts: Dict[str, object]) -> Tuple[str, str]:
    """``(state, why)`` of a cache folder for the key of ``parts``: ``'missing'``, ``'stale'``
    (built for other parts: ``why`` names them), ``'corrupt'`` (``why`` says what) or ``'ok'``."""
    if not osp.isdir(folder):
        return 'missing', f'{folder} does not exist'
    manifest = read_manifest(folder)
    if manifest is None or 'key' not in manifest or 'files' not in manifest:
        return 'corrupt', f'{osp.join(folder, MANIFEST)} is missing or unreadable'
    if manifest['key'] != key_of(parts):
        old = manifest.get('parts', {})
        changed = sorted(k for k in set(old) | set(parts) if old.get(k) != parts.get(k))
        return 'stale', f'built for other {", ".join(changed) or "options"}'
    for name, digest in manifest['files'].items():
        path = osp.join(folder, name)
        if not osp.isfile(path):
            return 'corrupt', f'{path} is missing'
        if file_sha256(path) != digest:
            return 'corrupt', f'{path} does not hash as recorded (changed or truncated)'
    return 'ok', ''


def build_folder(folder: str, parts: Dict[str, object],
                 build: Callable[[str], Optional[dict]]) -> dict:
    """Run ``build(tmp_folder)`` (it writes the files and returns extra manifest fields), write
    the manifest and move the folder onto ``folder`` (the old one, if any, removed)."""
    parent = osp.dirname(osp.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(folder)}.', suffix='.partial', dir=parent)
    try:
        start = time.perf_counter()
        extra = build(tmp) or {}
        build_s = time.perf_counter() - start
        files = {name: file_sha256(osp.join(tmp, name)) for name in sorted(os.listdir(tmp))}
        manifest = dict(key=key_of(parts), parts=parts, files=files, build_s=round(build_s, 3),
                        created=time.strftime('%Y-%m-%dT%H:%M:%S'), **extra)
        with open(osp.join(tmp, MANIFEST), 'w') as f:
            json.dump(manifest, f, indent=1, sort_keys=True, default=str)
        if osp.exists(folder):
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def cached_folder(folder: str, parts: Dict[str, object], build: Callable[[str], Optional[dict]],
                  log: Callable[[str], None] = print) -> Tuple[dict, bool]:
    """``(manifest, built)``: the folder for ``parts``, (re)built where it is missing, stale or
    corrupt (the last with a :class:`CorruptCacheWarning`)."""
    state, why = check_folder(folder, parts)
    if state == 'ok':
        return read_manifest(folder), False
    if state == 'corrupt':
        warnings.warn(f'corrupt cached model {folder}: {why}; rebuilding it', CorruptCacheWarning,
                      stacklevel=3)
    elif state == 'stale':
        log(f'cached model {folder} is stale ({why}): rebuilding it')
    return build_folder(folder, parts, build), True


def corrupt_rebuild(folder: str, parts: Dict[str, object],
                    build: Callable[[str], Optional[dict]], error: Exception) -> dict:
    """Rebuild a folder whose files hash as recorded but do not load, with a warning."""
    warnings.warn(f'corrupt cached model {folder}: it does not load ({type(error).__name__}: '
                  f'{error}); rebuilding it', CorruptCacheWarning, stacklevel=3)
    return build_folder(folder, parts, build)


def default_cache_root(checkpoint: Optional[str], fingerprint: str) -> str:
    """``<checkpoint>.runtime/`` beside the checkpoint where that folder is writable, else
    ``$ORSANET_CACHE/runtime/<fingerprint>`` (``~/.cache/orsanet`` by default)."""
    if checkpoint:
        root = f'{osp.abspath(checkpoint)}.runtime'
        parent = osp.dirname(root)
        if os.access(root if osp.isdir(root) else parent, os.W_OK):
            return root
    cache = os.environ.get('ORSANET_CACHE', osp.join(osp.expanduser('~'), '.cache', 'orsanet'))
    return osp.join(cache, 'runtime', fingerprint[:16])
