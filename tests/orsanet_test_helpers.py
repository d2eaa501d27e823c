"""The small-ORSANet helpers of tests/test_models/test_orsanet.py (``small_model_cfg``,
``samples``) for other test files (importable: pytest puts tests/ on the path)."""
import importlib.util
import os.path as osp
from functools import lru_cache
from types import ModuleType


@lru_cache(maxsize=None)
def orsanet_test_helpers() -> ModuleType:
    """tests/test_models/test_orsanet.py, loaded once under its own module name."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'test_models', 'test_orsanet.py')
    spec = importlib.util.spec_from_file_location('orsanet_model_tests', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
