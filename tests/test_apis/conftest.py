"""Fixtures of the inference tests (the small checkpoint is in tests/conftest.py)."""
import pytest
from extras import require_extra


@pytest.fixture(scope='session')
def dlib_extra() -> None:
    """The dlib extra (tests/extras.py: skipped without it locally, failed without it in CI)."""
    require_extra('dlib', ('dlib', 'face_recognition_models'))
