"""Fixtures of the inference tests."""
import pytest
from fer_checkpoint import train_small_checkpoint


@pytest.fixture(scope='session')
def checkpoint(tmp_path_factory) -> str:
    """The small trained ORSANet checkpoint (tests/fer_checkpoint.py), trained once per session."""
    return train_small_checkpoint(str(tmp_path_factory.mktemp('fer_ckpt')))
