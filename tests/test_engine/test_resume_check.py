"""--resume stops when there is nothing to resume from or the checkpoint cannot be resumed from
(truncated, another model), naming the checkpoints that would work."""
import os
import os.path as osp
import time

import pytest
import torch

from orsanet.engine import ResumeError, check_resumable, resume_target


def model() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))


def save(path: str, state: dict, meta: dict = None) -> str:
    torch.save(dict(state_dict=state, meta=meta or dict(iter=2, epoch=0)), path)
    return path


@pytest.fixture
def work_dir(tmp_path):
    """iter_1.pth and iter_2.pth of the model (iter_2 the newest), last_checkpoint -> iter_2."""
    good = model().state_dict()
    for i in (1, 2):
        save(str(tmp_path / f'iter_{i}.pth'), good, dict(iter=i, epoch=0))
        os.utime(tmp_path / f'iter_{i}.pth', (time.time() - 10 + i, time.time() - 10 + i))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    return str(tmp_path)


def test_resume_target_is_the_last_checkpoint_or_the_given_file(work_dir):
    assert resume_target(work_dir) == osp.join(work_dir, 'iter_2.pth')
    assert resume_target(work_dir, osp.join(work_dir, 'iter_1.pth')).endswith('iter_1.pth')
    with pytest.raises(ResumeError, match=r'--resume .*iter_9.pth: the file does not exist'):
        resume_target(work_dir, osp.join(work_dir, 'iter_9.pth'))


def test_resume_in_a_work_dir_without_checkpoint_stops(tmp_path):
    with pytest.raises(ResumeError, match=r'work dir .*empty has no checkpoint to resume from '
                                          r'\(no last_checkpoint file\). Run without --resume'):
        resume_target(str(tmp_path / 'empty'))
    save(str(tmp_path / 'epoch_3.pth'), model().state_dict())
    with pytest.raises(ResumeError, match=r'It holds epoch_3.pth: pass one with --resume PATH'):
        resume_target(str(tmp_path))
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'gone.pth'))
    with pytest.raises(ResumeError, match=r"names '.*gone.pth', which does not exist. Checkpoints "
                                          r'in .* that can be resumed from, newest first: '
                                          r'.*epoch_3.pth'):
        resume_target(str(tmp_path))


def test_truncated_checkpoint_names_the_earlier_ones(work_dir):
    last = osp.join(work_dir, 'iter_2.pth')
    data = open(last, 'rb').read()
    with open(last, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(ResumeError) as info:
        check_resumable(last, model())
    message = str(info.value)
    assert f'cannot resume from {last}: it cannot be read' in message
    assert 'truncated or not a checkpoint' in message
    assert f'newest first: {osp.join(work_dir, "iter_1.pth")}; pass one with --resume' in message


def test_checkpoint_of_another_model_is_refused(work_dir):
    other = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Linear(5, 2), torch.nn.ReLU())
    state = other.state_dict()
    state['extra.weight'] = torch.zeros(1)
    wrong = save(osp.join(work_dir, 'other.pth'), state)
    with pytest.raises(ResumeError) as info:
        check_resumable(wrong, model())
    message = str(info.value)
    assert 'it is a checkpoint of another model' in message
    assert '1 keys the model does not have (extra.weight)' in message
    assert '3 weights of another shape (checkpoint vs model) (0.weight (5, 3) vs (4, 3)' in message
    assert 'iter_2.pth, ' in message and 'iter_1.pth' in message  # both usable, newest first
    partial = save(osp.join(work_dir, 'partial.pth'), {'0.weight': torch.zeros(4, 3)})
    with pytest.raises(ResumeError, match=r'3 keys the model needs are missing \(0.bias, '
                                          r'1.weight, 1.bias\)'):
        check_resumable(partial, model())


def test_weights_without_training_state_are_refused(work_dir):
    bare = osp.join(work_dir, 'bare.pth')
    torch.save(model().state_dict(), bare)
    with pytest.raises(ResumeError, match='not a training checkpoint of tools/train.py'):
        check_resumable(bare, model())
    check_resumable(osp.join(work_dir, 'iter_2.pth'), model())  # the good one passes
