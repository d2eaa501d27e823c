"""Why an image of a dataset does not load, with the decoder that will load it in training.

The pieces :class:`~orsanet.datasets.FERDataset` (``skip_corrupt``, ``check_images``) and the
config-wide check (:mod:`orsanet.datasets.image_check`, ``--check-data``) share: the dataset's own
loading transform (:func:`image_loader`), the problem of one image (:func:`image_problem`), the
problems of many (:func:`find_bad_images`, on threads) and the message that counts and names them
(:func:`describe_bad_images`). Both modules import this one; neither imports the other in a circle
(``tests/test_import_graph.py``).
"""
import os
import os.path as osp
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Optional, Sequence, Tuple

SHOWN = 5  # bad images named in a message
LOADER_NAMES = ('LoadImageFromFile', )

Loader = Callable[[dict], Optional[dict]]


def image_loader(pipeline) -> Loader:
    """The loading transform of ``pipeline`` (a ``Compose`` or a list of transforms): the first
    transform that is, or is named like, ``LoadImageFromFile``; mmcv's default one if none."""
    from mmcv.transforms import LoadImageFromFile

    for transform in getattr(pipeline, 'transforms', pipeline) or ():
        if isinstance(transform, LoadImageFromFile) or type(transform).__name__ in LOADER_NAMES:
            return transform
    return LoadImageFromFile()


def image_problem(info: dict, load: Loader) -> Optional[str]:
    """Why the image of a data info cannot be loaded (``'missing'``, ``'undecodable: ...'``),
    or None when ``load`` reads it."""
    path = info['img_path']
    if not osp.isfile(path):
        return 'missing'
    try:
        loaded = load(dict(info))
    except Exception as err:  # whatever the decoder raises is what training would raise
        return f'undecodable: {type(err).__name__}: {str(err)[:200]}'
    if loaded is None or loaded.get('img') is None:
        return 'undecodable'
    return None


def find_bad_images(infos: Sequence[dict], load: Loader,
                    workers: Optional[int] = None) -> List[Tuple[int, str]]:
    """``(index, problem)`` of the infos whose image does not load (decoded on threads)."""
    workers = workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        problems = list(pool.map(lambda info: image_problem(info, load), infos))
    return [(i, p) for i, p in enumerate(problems) if p is not None]


def describe_bad_images(bad: Sequence[Tuple[str, str]], total: int) -> str:
    """``'2 of 40 images cannot be loaded (1 missing, 1 undecodable): a.jpg (missing), ...'``."""
    kinds = Counter(problem.split(':')[0] for _, problem in bad)
    shown = ', '.join(f'{path} ({problem})' for path, problem in bad[:SHOWN])
    more = f' and {len(bad) - SHOWN} more' if len(bad) > SHOWN else ''
    counts = ', '.join(f'{n} {kind}' for kind, n in sorted(kinds.items()))
    return f'{len(bad)} of {total} images cannot be loaded ({counts}): {shown}{more}'
