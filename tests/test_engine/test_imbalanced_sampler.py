"""ImbalancedSampler: balanced draws, deterministic per (seed, epoch), ranks split one draw."""
import numpy as np
import pytest
import torch
from mmengine.registry import DATA_SAMPLERS, DefaultScope

from orsanet.datasets.samplers import imbalanced_sampler
from orsanet.datasets.samplers.imbalanced_sampler import ImbalancedSampler


class LabelList:
    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def __len__(self):
        return len(self.labels)

    def get_gt_labels(self):
        return self.labels


class CatIds:
    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def __len__(self):
        return len(self.labels)

    def get_cat_ids(self, idx):
        return [int(self.labels[idx])]


LABELS = [0] * 30 + [1] * 6 + [2] * 3 + [3]  # 40 samples, very imbalanced


def sampler_on(monkeypatch, dataset, rank, world, **kwargs) -> ImbalancedSampler:
    monkeypatch.setattr(imbalanced_sampler, 'get_dist_info', lambda: (rank, world))
    return ImbalancedSampler(dataset, seed=3, **kwargs)


@pytest.mark.parametrize('world', [2, 4, 5])
def test_union_over_ranks_is_the_single_process_draw(monkeypatch, world):
    dataset = LabelList(LABELS)
    single = sampler_on(monkeypatch, dataset, 0, 1)
    single.set_epoch(2)
    draw = list(single)
    per_rank = []
    for rank in range(world):
        sampler = sampler_on(monkeypatch, dataset, rank, world)
        sampler.set_epoch(2)
        per_rank.append(list(sampler))
        assert len(per_rank[-1]) == len(sampler) == 40 // world
    interleaved = [per_rank[i % world][i // world] for i in range(40)]
    assert interleaved == draw
    # batches: rank r's k-th batch of B holds the draws of one process's k-th batch of N * B
    batch = 2
    for k in range(40 // (world * batch)):
        together = sorted(i for r in range(world) for i in per_rank[r][k * batch:(k + 1) * batch])
        assert together == sorted(draw[k * world * batch:(k + 1) * world * batch])


def test_padding_when_length_not_divisible(monkeypatch):
    dataset = LabelList(LABELS[:39])
    draw = list(sampler_on(monkeypatch, dataset, 0, 1))
    ranks = [list(sampler_on(monkeypatch, dataset, r, 2)) for r in range(2)]
    assert [len(r) for r in ranks] == [20, 20]
    assert [ranks[i % 2][i // 2] for i in range(40)] == draw + draw[:1]
    unpadded = [list(sampler_on(monkeypatch, dataset, r, 2, round_up=False)) for r in range(2)]
    assert [len(r) for r in unpadded] == [20, 19]
    assert sorted(unpadded[0] + unpadded[1]) == sorted(draw)


def test_deterministic_per_seed_and_epoch(monkeypatch):
    dataset = LabelList(LABELS)
    a, b = (sampler_on(monkeypatch, dataset, 0, 1) for _ in range(2))
    assert list(a) == list(b) and len(list(a)) == 40
    b.set_epoch(1)
    assert list(a) != list(b)
    a.set_epoch(1)
    assert list(a) == list(b)


def test_weights_balance_the_classes(monkeypatch):
    labels = np.array(LABELS * 250)
    sampler = sampler_on(monkeypatch, CatIds(labels), 0, 1)
    expected = torch.tensor([1 / 7500, 1 / 1500, 1 / 750, 1 / 250], dtype=torch.float64)
    assert torch.allclose(sampler.weights[[0, 30, 36, 39]], expected)
    drawn = labels[list(sampler)]
    freq = np.bincount(drawn, minlength=4) / len(drawn)
    assert np.abs(freq - 0.25).max() < 0.02, freq  # raw frequencies are 0.75/0.15/0.075/0.025


def test_errors():
    with pytest.raises(TypeError, match='get_gt_labels'):
        ImbalancedSampler([1, 2, 3], seed=0)
    with pytest.raises(ValueError, match='empty'):
        ImbalancedSampler(LabelList([]), seed=0)


def test_built_from_mmpretrain_scope():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        sampler = DATA_SAMPLERS.build(dict(type='ImbalancedSampler'),
                                      default_args=dict(dataset=LabelList(LABELS), seed=0))
    assert isinstance(sampler, ImbalancedSampler)
