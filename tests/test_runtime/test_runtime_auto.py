"""``backend='auto'`` (the backend picked from faked CPU flags and installed backends) and int8
calibration from a dataset config (faces read through the dataset registry; refusal with the
counts when none is usable)."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from orsanet.runtime import (
    AUTO_RULES,
    CalibrationError,
    MissingBackendError,
    choose_backend,
    cpu_kind,
    load_runtime,
)
from orsanet.runtime.quantize import as_faces, load_dataset_faces, parse_dataset_source

AVX2 = frozenset({'sse4_2', 'avx', 'avx2', 'fma'})
VNNI = AVX2 | {'avx512f', 'avx512_vnni'}
BF16 = VNNI | {'avx512_bf16'}


def every(name: str) -> bool:
    return True


def test_cpu_kind_from_flags():
    assert [cpu_kind(f) for f in (AVX2, VNNI, AVX2 | {'avx_vnni'}, BF16, AVX2 | {'amx_bf16'},
                                  frozenset({'sse4_2'}))] == [
        'avx2', 'vnni', 'vnni', 'bf16', 'bf16', 'other']


def test_auto_picks_by_cpu_kind_and_what_is_installed():
    name, why = choose_backend('fp32', AVX2, every)
    assert name == AUTO_RULES['avx2'].order[0] == 'openvino'
    assert 'avx2 CPU' in why and 'measured' in why and 'NOT measured' not in why
    name, why = choose_backend('fp32', BF16, every)
    assert name == 'openvino' and 'bf16 CPU' in why and 'NOT measured' not in why
    name, why = choose_backend('fp32', VNNI, every)
    assert name == 'openvino' and 'vnni CPU' in why and 'NOT measured' not in why
    assert 'NOT measured' in choose_backend('fp32', frozenset({'sse4_2'}), every)[1]
    # OpenVINO missing: the next of the rule, and the message names the extra
    name, why = choose_backend('fp32', AVX2, lambda n: n != 'openvino')
    assert name == 'onnxruntime' and "not installed: openvino (pip install '.[openvino]')" in why
    assert choose_backend('fp32', AVX2, lambda n: n == 'pytorch')[0] == 'pytorch'
    assert choose_backend('fp32', frozenset(), every)[0] == 'onnxruntime'


def test_auto_respects_the_precision():
    # int8: PyTorch has none, so with only PyTorch installed nothing fits
    with pytest.raises(MissingBackendError, match='no installed backend runs int8'):
        choose_backend('int8', AVX2, lambda n: n == 'pytorch')
    assert choose_backend('int8', AVX2, lambda n: n != 'openvino')[0] == 'onnxruntime'
    # bf16 on a CPU without it counts as fp32 (load_runtime then falls back with its message)
    assert choose_backend('bf16', AVX2, lambda n: n in ('onnxruntime', 'pytorch'))[0] == \
        'onnxruntime'
    assert choose_backend('bf16', BF16, lambda n: n in ('onnxruntime', 'pytorch'))[0] == \
        'pytorch'  # ONNX Runtime has no bf16 kernels: skipped for a bf16 CPU's bf16


class Chosen(Exception):
    pass


def test_auto_reaches_load_runtime(monkeypatch):
    import orsanet.runtime.compiled as compiled
    asked = []
    monkeypatch.setattr(compiled, 'choose_backend', lambda precision: asked.append(precision)
                        or ('onnxruntime', 'backend auto -> onnxruntime (test)'))

    def get_backend(name):
        raise Chosen(name)
    monkeypatch.setattr(compiled, 'get_backend', get_backend)
    with pytest.raises(Chosen, match='^onnxruntime$'):
        load_runtime(object(), 'auto', 'int8')
    assert asked == ['int8']


def write_config(folder: str, images: dict) -> str:
    """A CustomDataset config over ``folder/faces`` holding ``images`` (name -> array or
    bytes)."""
    root = osp.join(folder, 'faces')
    os.makedirs(root, exist_ok=True)
    for name, image in images.items():
        path = osp.join(root, name)
        if isinstance(image, bytes):
            with open(path, 'wb') as f:
                f.write(image)
        else:
            cv2.imwrite(path, image)
    config = osp.join(folder, 'calib.py')
    with open(config, 'w') as f:
        f.write("default_scope = 'mmpretrain'\n"
                f"train_dataloader = dict(dataset=dict(type='CustomDataset', data_root={root!r},"
                " with_label=False, pipeline=[dict(type='LoadImageFromFile')]))\n"
                'val_dataloader = None\n')
    return config


def test_calibration_from_a_dataset_config(tmp_path):
    face = np.random.default_rng(0).integers(0, 255, (40, 40, 3), np.uint8)
    config = write_config(str(tmp_path), {'a.png': face, 'b.png': face[:, ::-1].copy(),
                                          'c.png': face[:8, :8].copy(), 'd.jpg': b'not a jpeg'})
    assert parse_dataset_source(config) == (config, 'train')
    assert parse_dataset_source(config + ':val') == (config, 'val')
    assert parse_dataset_source(str(tmp_path)) is None
    faces = as_faces(config)  # the small and the unreadable image are not faces
    assert len(faces) == 2 and (faces[0] == face).all() and (faces[1] == face[:, ::-1]).all()
    assert len(load_dataset_faces(config, max_faces=1)) == 1
    with pytest.raises(CalibrationError, match='has no val_dataloader.dataset'):
        as_faces(config + ':val')
    with pytest.raises(CalibrationError, match='does not exist'):
        as_faces(str(tmp_path / 'missing.py'))


def test_dataset_config_without_faces_stops_with_the_count(tmp_path):
    config = write_config(str(tmp_path), {'a.jpg': b'x', 'b.jpg': b'y',
                                          'c.png': np.zeros((8, 8, 3), np.uint8)})
    with pytest.raises(CalibrationError,
                       match=r'no usable face in the train split of .*calib\.py: 3 samples, '
                             r'0 without img_path, 2 unreadable, 1 smaller than 16 px'):
        as_faces(config)
