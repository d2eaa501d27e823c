"""Shared fixtures. ``orsanet`` is imported first so its compatibility patches apply."""
import os.path as osp
import sys

import pytest
from background_runs import BACKGROUND

import orsanet  # noqa: F401

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DIR = osp.join(osp.dirname(REPO_ROOT), 'shared')


@pytest.hookimpl(trylast=True)  # after -m / -k deselected what does not run
def pytest_collection_modifyitems(session, config, items):
    """Tests of background runs last, their runs started now (tests/background_runs.py)."""
    waiting = [item for item in items if item.get_closest_marker('background')]
    if waiting and not config.option.collectonly:
        items[:] = [item for item in items if item not in waiting] + waiting
        BACKGROUND.start([item.get_closest_marker('background').args[0] for item in waiting])


def pytest_sessionfinish(session, exitstatus):
    BACKGROUND.stop(keep=exitstatus != 0)


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def shared_dir() -> str:
    """The read-only ``shared/`` folder next to the checkout (reference tensors, lists)."""
    if not osp.isdir(SHARED_DIR):
        raise FileNotFoundError(f'{SHARED_DIR} is missing: tests need the shared/ folder that sits '
                                'next to the repository checkout')
    return SHARED_DIR


@pytest.fixture(scope='session')
def reference(shared_dir):
    """Load a reference file of the official implementation by name (weights_only)."""
    import torch

    def load(name: str):
        return torch.load(osp.join(shared_dir, 'reference', name), weights_only=True)

    return load


@pytest.fixture(scope='session')
def python_exe() -> str:
    """The interpreter running the tests, for subprocess-based tests."""
    return sys.executable


@pytest.fixture(autouse=True)
def restore_default_scope():
    """Undo ``init_default_scope`` calls of a test, so later builds use their own registries."""
    from mmengine.registry import DefaultScope

    before = set(DefaultScope._instance_dict)
    yield
    for name in set(DefaultScope._instance_dict) - before:
        del DefaultScope._instance_dict[name]


@pytest.fixture(scope='session')
def load_tool():
    """Import a script of tools/ by its path under tools/ (``'analysis_tools/benchmark.py'``;
    the tools are not a package)."""
    import importlib.util

    def load(relpath: str):
        name = 'tool_' + osp.splitext(relpath)[0].replace('/', '_')
        spec = importlib.util.spec_from_file_location(name, osp.join(REPO_ROOT, 'tools', relpath))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope='session')
def load_converter(load_tool):
    """Import a script of tools/model_converters/ by name."""
    return lambda name: load_tool(f'model_converters/{name}.py')


@pytest.fixture(scope='session')
def checkpoint(tmp_path_factory) -> str:
    """The small trained ORSANet checkpoint (tests/fer_checkpoint.py), trained once per session."""
    from fer_checkpoint import train_small_checkpoint

    return train_small_checkpoint(str(tmp_path_factory.mktemp('fer_ckpt')))


@pytest.fixture
def mm_logs():
    """The messages MMLogger's current instance logs during the test."""
    import logging

    from mmengine.logging import MMLogger

    logger, messages = MMLogger.get_current_instance(), []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)
