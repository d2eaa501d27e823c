"""Checking that a dataset's images load, with the decoder that will load them in training.

The check runs the dataset's own loading transform (the first ``LoadImageFromFile`` of its
pipeline, or mmcv's default one) on every image, so an image passes the check exactly when the
data loader can read it. ``tools/train.py`` / ``tools/test.py --check-data`` (:func:`check_data`)
run it for every split of a config, any dataset type. The per-image pieces are in
:mod:`orsanet.datasets.image_problems`, which :class:`~orsanet.datasets.FERDataset` uses for
``skip_corrupt`` and ``check_images``.
"""
import copy
from typing import Dict, Iterable, List, Sequence, Tuple

from mmengine.logging import print_log

from .fer_dataset import FERDataset
from .image_problems import describe_bad_images, find_bad_images, image_loader

SPLITS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class DataCheckError(ValueError):
    """Images of a dataset are missing or cannot be decoded; the message counts and names them."""


def _leaf_datasets(dataset) -> Iterable:
    """The datasets holding the samples, inside wrappers (Repeat, ClassBalanced, Concat)."""
    if hasattr(dataset, 'datasets'):
        for inner in dataset.datasets:
            yield from _leaf_datasets(inner)
    elif hasattr(dataset, 'dataset'):
        yield from _leaf_datasets(dataset.dataset)
    else:
        yield dataset


def dataset_image_problems(dataset) -> Tuple[List[Tuple[str, str]], int]:
    """``([(path, problem)], number of images checked)`` of a built dataset; samples without an
    image file (decoded from a CSV, rendered) are not counted, datasets that checked their
    images while loading (``check_images``) are not decoded again."""
    bad, total = [], 0
    for leaf in _leaf_datasets(dataset):
        if not getattr(leaf, 'reads_image_files', True):  # renders its images (SyntheticFER)
            continue
        infos = [leaf.get_data_info(i) for i in range(len(leaf))]
        infos = [info for info in infos if info.get('img_path') and 'pixels' not in info]
        total += len(infos)
        if not getattr(leaf, 'check_images', False):
            bad += [(infos[i]['img_path'], problem)
                    for i, problem in find_bad_images(infos, image_loader(leaf.pipeline))]
    return bad, total


def _with_image_check(dataset_cfg: dict) -> dict:
    """``check_images=True`` on every FER dataset of a dataset config (wrappers included), so
    they count missing images instead of stopping at the first."""
    from mmengine.registry import DATASETS

    kind = dataset_cfg.get('type')
    with DATASETS.switch_scope_and_registry(None) as registry:  # the config's default scope
        cls = registry.get(kind) if isinstance(kind, str) else kind
    if isinstance(cls, type) and issubclass(cls, FERDataset):
        dataset_cfg['check_images'] = True
    for inner in [dataset_cfg.get('dataset')] + list(dataset_cfg.get('datasets') or []):
        if isinstance(inner, dict):
            _with_image_check(inner)
    return dataset_cfg


def check_data(cfg, splits: Sequence[str] = SPLITS) -> Dict[str, int]:
    """Build the dataset of every split of ``cfg`` that has one and load every image.

    Returns:
        dict: ``{split: number of images checked}``.

    Raises:
        DataCheckError: Some split has missing or undecodable images; the message gives each
            split's count and its first paths.
    """
    from mmengine.registry import DATASETS, init_default_scope

    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    checked, failures = {}, []
    for split in splits:
        loader = cfg.get(split)
        if not isinstance(loader, dict) or loader.get('dataset') is None:
            continue
        try:
            dataset = DATASETS.build(_with_image_check(copy.deepcopy(loader['dataset'])))
        except (ValueError, FileNotFoundError) as err:  # FER datasets check while loading
            failures.append(f'{split}: {err}')
            continue
        bad, checked[split] = dataset_image_problems(dataset)
        if bad:
            failures.append(f'{split} ({type(dataset).__name__}): '
                            + describe_bad_images(bad, checked[split]))
        else:
            print_log(f'--check-data: {split}: all {checked[split]} images load',
                      logger='current')
    if failures:
        raise DataCheckError('--check-data found images that cannot be loaded, before the first '
                             'iteration:\n  ' + '\n  '.join(failures) + '\nFix or remove them '
                             '(FER datasets: skip_corrupt=True drops them, with a log line).')
    return checked
