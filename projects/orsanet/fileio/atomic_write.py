"""Writing what users keep (reports, CSVs, predictions, converted weights) all or nothing.

:func:`atomic_write` writes into a temporary file next to the target and renames it over the
target only when the writing finished: an interrupted or failed write leaves the previous file
(or none), never half of one. :func:`escape_path` makes any file name writable as UTF-8 text.
"""
import contextlib
import os
import os.path as osp
import tempfile
from typing import IO, Iterator, Optional


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """A temporary path to write ``path`` through; renamed onto ``path`` on success, removed
    on error. For writers that want a file name (``savefig``, ``torch.save``, ``mmengine.dump``).

    The temporary name keeps the extension of ``path``, so writers that infer the format from
    it (matplotlib, mmengine) do the same as for ``path``.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    stem, ext = osp.splitext(osp.basename(path))
    handle, tmp = tempfile.mkstemp(prefix=f'.{stem}.', suffix=f'.partial{ext}', dir=folder)
    os.close(handle)
    try:
        yield tmp
        _keep_mode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str, mode: str = 'w', encoding: Optional[str] = 'utf-8',
                 newline: Optional[str] = None) -> Iterator[IO]:
    """``open(path, mode)`` that replaces ``path`` only once the block finished without error.

    Args:
        path (str): The file to (re)write.
        mode (str): ``'w'`` (text) or ``'wb'``. Defaults to 'w'.
        encoding (str, optional): Text encoding (ignored for ``'wb'``). Defaults to 'utf-8'.
        newline (str, optional): As :func:`open` (``''`` for the csv module).
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got {mode!r}")
    with atomic_path(path) as tmp:
        text = dict(encoding=encoding, newline=newline) if mode == 'w' else {}
        with open(tmp, mode, **text) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def save_figure(fig, path: str, **kwargs) -> None:
    """``fig.savefig(path, **kwargs)`` through :func:`atomic_path` (the format from the
    extension of ``path``)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=osp.splitext(path)[1][1:] or None, **kwargs)


def _keep_mode(path: str, tmp: str) -> None:
    """Give the new file the permissions of the one it replaces (mkstemp makes it 0600), or
    the usual ones for a new file (0666 less the umask)."""
    if osp.exists(path):
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)


def escape_path(path: str) -> str:
    """``path`` as printable UTF-8 text: bytes of a file name that are not UTF-8 (which Python
    carries as lone surrogates) become ``\\xNN``, e.g. ``caf\\xe9.png``."""
    path = str(path)
    try:
        path.encode('utf-8')
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode('utf-8', errors='backslashreplace')
