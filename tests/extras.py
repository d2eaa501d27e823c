"""The optional extras (requirements/<name>.txt; `make test` installs them all): a test that needs
one skips without it locally and fails without it in CI (CI=true), so CI never skips it."""
import importlib.util
import os
from typing import Sequence

import pytest


def require_extra(extra: str, modules: Sequence[str]) -> None:
    """Skip (locally) or fail (CI) unless every module the extra ``extra`` brings imports."""
    if all(importlib.util.find_spec(m) is not None for m in modules):
        return
    message = (f'the {extra} extra is not installed: make env-{extra} '
               f"(or pip install '.[{extra}]')")
    if os.environ.get('CI', '').lower() in ('1', 'true', 'yes'):
        pytest.fail(message)
    pytest.skip(message)
