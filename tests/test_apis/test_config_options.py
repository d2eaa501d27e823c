"""--cfg-options refuses keys the config does not have, naming the nearest existing key;
--cfg-new-keys restores MMEngine's semantics (new keys are added)."""
import pytest
from mmengine.config import Config

from orsanet.apis import UnknownConfigKeyError, merge_cfg_options


def config() -> Config:
    return Config(dict(
        train_cfg=dict(by_epoch=False, max_iters=2),
        train_dataloader=dict(batch_size=4, dataset=dict(type='RAFDB', data_root='a')),
        test_dataloader=dict(batch_size=4, dataset=dict(type='RAFDB', data_root='a')),
        custom_hooks=[dict(type='EMAHook', momentum=0.1)]))


def test_existing_keys_and_list_indices_are_merged():
    cfg = merge_cfg_options(config(), {'train_cfg.max_iters': 5, 'custom_hooks.0.momentum': 0.5,
                                       'test_dataloader.dataset': dict(type='X')})
    assert cfg.train_cfg.max_iters == 5
    assert cfg.custom_hooks[0].momentum == 0.5
    assert cfg.test_dataloader.dataset.type == 'X'  # merged into the dict, as MMEngine does


@pytest.mark.parametrize('key,missing,nearest', [
    ('max_iters', 'max_iters', 'train_cfg.max_iters'),
    ('tset_dataloader.batch_size', 'tset_dataloader', 'test_dataloader.batch_size'),
    ('train_dataloader.dataset.data_rot', 'train_dataloader.dataset.data_rot',
     'train_dataloader.dataset.data_root'),
    ('custom_hooks.3.momentum', 'custom_hooks.3', 'custom_hooks.0.momentum'),
])
def test_unknown_key_is_refused_naming_the_nearest(key, missing, nearest):
    cfg = config()
    with pytest.raises(UnknownConfigKeyError) as info:
        merge_cfg_options(cfg, {key: 1, 'train_cfg.max_iters': 9})
    message = str(info.value)
    assert f"{key}: the config has no key '{missing}'; nearest existing key: {nearest}" in message
    assert '--cfg-new-keys' in message
    assert cfg.train_cfg.max_iters == 2  # nothing merged


def test_every_unknown_key_is_listed():
    with pytest.raises(UnknownConfigKeyError, match=r'(?s)max_iters: .*batch_sise: '):
        merge_cfg_options(config(), {'max_iters': 1, 'train_dataloader.batch_sise': 2})


def test_new_keys_only_with_the_explicit_switch():
    cfg = merge_cfg_options(config(), {'train_dataloader.dataset.skip_corrupt': True,
                                       'max_iters': 1}, allow_new_keys=True)
    assert cfg.train_dataloader.dataset.skip_corrupt is True
    assert cfg.max_iters == 1
