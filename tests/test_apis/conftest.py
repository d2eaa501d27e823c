"""Fixtures of the inference tests (the small checkpoint is in tests/conftest.py)."""
import os

import pytest


@pytest.fixture(scope='session')
def dlib_extra() -> None:
    """The dlib extra (requirements/dlib.txt; `make test` installs it): its tests skip without
    it locally, and fail without it in CI (CI=true), so CI never skips them silently."""
    from orsanet.faces import dlib_available
    if not dlib_available():
        message = "the dlib extra is not installed: make env-dlib (or pip install '.[dlib]')"
        if os.environ.get('CI', '').lower() in ('1', 'true', 'yes'):
            pytest.fail(message)
        pytest.skip(message)
