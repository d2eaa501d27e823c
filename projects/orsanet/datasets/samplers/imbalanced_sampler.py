"""ImbalancedSampler: class-balanced draws with replacement, split across ranks."""
import math
from typing import Iterator, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


def _gt_labels(dataset: Sized) -> np.ndarray:
    """One integer label per sample, from ``get_gt_labels()`` or ``get_cat_ids(i)``."""
    if hasattr(dataset, 'get_gt_labels'):
        labels = dataset.get_gt_labels()
    elif hasattr(dataset, 'get_cat_ids'):
        labels = []
        for idx in range(len(dataset)):
            cat_ids = dataset.get_cat_ids(idx)
            if len(cat_ids) != 1:
                raise ValueError(f'ImbalancedSampler: sample {idx} of {type(dataset).__name__} has '
                                 f'{len(cat_ids)} labels; it needs exactly one per sample')
            labels.append(cat_ids[0])
    else:
        raise TypeError(f'ImbalancedSampler: {type(dataset).__name__} has neither get_gt_labels() '
                        'nor get_cat_ids(); use an mmpretrain single-label dataset')
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(labels) != len(dataset):
        raise ValueError(f'ImbalancedSampler: {len(labels)} labels for {len(dataset)} samples')
    return labels


@DATA_SAMPLERS.register_module()
class ImbalancedSampler(Sampler):
    """Draw ``len(dataset)`` indices with replacement, each with weight ``1 / count(its class)``,
    so every class is drawn equally often in expectation (the official ORSANet sampler).

    The draw of an epoch is a function of ``(seed, epoch)`` only (a ``torch.Generator`` seeded
    with ``seed + epoch``), so every rank computes the same sequence; rank ``r`` of ``N`` takes
    the draws ``r, r + N, r + 2N, ...``. When ``len(dataset)`` is not a multiple of ``N`` the
    sequence is first padded with its own beginning (as ``DefaultSampler`` pads), so that every
    rank yields ``ceil(len / N)`` indices; without padding the ranks together yield exactly the
    single-process draw. With per-rank batches of ``B``, rank ``r``'s ``k``-th batch holds
    draws ``k*N*B + r + N*j`` (``j < B``), so the N ranks together see the same ``N * B`` draws
    as one process with batch ``N * B``.

    Args:
        dataset (Sized): Dataset with ``get_gt_labels()`` or ``get_cat_ids(idx)``.
        seed (int, optional): Random seed; None takes a seed synchronised across ranks.
            Defaults to None.
        round_up (bool): Pad so that every rank has the same length. Defaults to True.
    """

    def __init__(self, dataset: Sized, seed: Optional[int] = None, round_up: bool = True) -> None:
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        labels = _gt_labels(dataset)
        if len(labels) == 0:
            raise ValueError('ImbalancedSampler: the dataset is empty')
        counts = np.bincount(labels)
        self.weights = torch.as_tensor(1.0 / counts[labels], dtype=torch.float64)
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.round_up = round_up
        self.num_draws = len(labels)
        if round_up:
            self.num_samples = math.ceil(self.num_draws / self.world_size)
        else:
            self.num_samples = len(range(self.rank, self.num_draws, self.world_size))
        self.total_size = self.num_samples * self.world_size if round_up else self.num_draws

    def draws(self) -> torch.Tensor:
        """The single-process draw of the current epoch, (len(dataset), ) int64."""
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return torch.multinomial(self.weights, self.num_draws, replacement=True,
                                 generator=generator)

    def __iter__(self) -> Iterator[int]:
        indices = self.draws().tolist()
        if self.round_up:
            repeats = math.ceil(self.total_size / len(indices))
            indices = (indices * repeats)[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.world_size])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Select the draw of ``epoch`` (the training loop calls this every epoch)."""
        self.epoch = epoch
