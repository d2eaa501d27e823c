"""Shared fixtures of the runtime tests: the small trained model, its checkpoint, and one cache
root per session (the ONNX export, about 12 s on 2 cores, is made once and reused)."""

import pytest
from extras import require_extra


@pytest.fixture(scope='session')
def small_model(checkpoint):
    """The small trained ORSANet (tests/data/tiny_fer_inference.py) on the CPU."""
    from fer_checkpoint import CONFIG

    from orsanet.apis import init_fer_model
    return init_fer_model(CONFIG, checkpoint, device='cpu')


@pytest.fixture(scope='session')
def runtime_root(tmp_path_factory) -> str:
    """The cache root the runtime tests share (the export is built there once)."""
    return str(tmp_path_factory.mktemp('runtime_cache'))


@pytest.fixture(scope='session')
def openvino_extra() -> None:
    """The OpenVINO extra (tests/extras.py: skipped without it locally, failed without it in
    CI)."""
    require_extra('openvino', ('openvino', ))


@pytest.fixture(scope='session')
def synthetic_faces():
    """40 synthetic 112-px BGR face crops (calibration and held-out faces for int8)."""
    from orsanet.datasets import SyntheticFER
    data = SyntheticFER(num_samples=40, image_size=112, seed=3, pipeline=[])
    return [data[i]['img'] for i in range(len(data))]
