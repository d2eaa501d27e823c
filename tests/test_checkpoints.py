"""orsanet.checkpoints.read_checkpoint: what is wrong with a checkpoint file, said plainly."""
import argparse
import os

import pytest
import torch

from orsanet.checkpoints import CheckpointError, read_checkpoint
from orsanet.conversion.common import load_source_state_dict


class RunsCode:
    """Pickles as a call of os.system (never loaded with weights_only)."""

    def __reduce__(self):
        return os.system, ('echo pwned',)


def test_empty_and_truncated_files_are_named(tmp_path):
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(CheckpointError, match=r'empty.pth is empty \(0 bytes\)'):
        read_checkpoint(str(empty))
    whole = tmp_path / 'whole.pth'
    torch.save({'state_dict': {'w': torch.ones(1000)}}, whole)
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match=r'cut.pth \(2000 bytes\) cannot be read: .*'
                       r'truncated or not a torch checkpoint') as err:
        load_source_state_dict(str(cut))
    assert '--trusted' not in str(err.value)


def test_non_tensor_objects_are_named_and_only_then_trusted_is_offered(tmp_path):
    path = tmp_path / 'namespace.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'args': argparse.Namespace(lr=1)}, path)
    with pytest.raises(CheckpointError, match=r'holds objects that are not tensors '
                       r'\(argparse.Namespace\).*rerun with --trusted'):
        load_source_state_dict(str(path))
    assert load_source_state_dict(str(path), 'state_dict', trusted=True)['w'].shape == (2, )


def test_code_running_pickle_is_named_as_such(tmp_path, capfd):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'x': RunsCode()}, path)
    with pytest.raises(CheckpointError, match=r'refers to posix.system, which runs code when '
                       r'the file is loaded.*It was not loaded'):
        read_checkpoint(str(path))
    assert 'pwned' not in capfd.readouterr().out
