"""Fast unit tests of orsanet.runtime: the missing-extra message, precision choice, threads,
calibration faces, the cache's rebuild rules (with a stand-in build) and the int8 refusal."""
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest

from orsanet.runtime import (
    CalibrationError,
    CorruptCacheWarning,
    MissingBackendError,
    QuantizationRefused,
    get_backend,
    load_runtime,
    resolve_precision,
)
from orsanet.runtime.cache import cached_folder, check_folder
from orsanet.runtime.hardware import default_threads, native_bf16, physical_cores
from orsanet.runtime.quantize import as_faces, check_agreement, load_face_folder, split_holdout


def test_missing_backend_names_its_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, 'openvino', None)  # `import openvino` raises ImportError
    with pytest.raises(MissingBackendError,
                       match=r"pip install '\.\[openvino\]'.*make env-openvino"):
        load_runtime(object(), 'openvino')  # refused before the model is touched
    with pytest.raises(ValueError, match=r"unknown runtime backend 'tensorrt'.*onnxruntime"):
        get_backend('tensorrt')


def test_bf16_only_where_the_cpu_has_it():
    ort, ov, pt = (get_backend(n) for n in ('onnxruntime', 'openvino', 'pytorch'))
    absent = lambda: (False, 'the CPU has no native bf16 (test)')  # noqa: E731
    present = lambda: (True, 'CPU flags amx_bf16')  # noqa: E731
    precision, note = resolve_precision(ov, 'bf16', absent)
    assert precision == 'fp32' and '\n' not in note and 'no native bf16' in note
    assert resolve_precision(ov, 'bf16', present) == ('bf16', None)
    assert resolve_precision(pt, 'bf16', present) == ('bf16', None)
    precision, note = resolve_precision(ort, 'bf16', present)
    assert precision == 'fp32' and 'onnxruntime has no bf16' in note
    assert resolve_precision(ort, 'int8', absent) == ('int8', None)
    with pytest.raises(ValueError, match='pytorch backend has no int8'):
        resolve_precision(pt, 'int8', absent)
    with pytest.raises(ValueError, match='precision must be one of'):
        resolve_precision(ort, 'fp16', absent)
    assert native_bf16(frozenset({'avx2', 'avx512_bf16'}))[0]
    assert not native_bf16(frozenset({'avx2', 'avx512f'}))[0]


def test_threads_count_physical_cores(tmp_path, monkeypatch):
    """Two hyper-threads of one core count once; only the CPUs of the affinity mask count."""
    blocks = [f'processor\t: {i}\nphysical id\t: 0\ncore id\t\t: {i // 2}\nflags\t: avx2\n'
              for i in range(6)]
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('\n'.join(blocks))
    monkeypatch.setattr('orsanet.runtime.hardware.usable_cpus', lambda: frozenset(range(6)))
    assert physical_cores(str(cpuinfo)) == 3
    monkeypatch.setattr('orsanet.runtime.hardware.usable_cpus', lambda: frozenset({0, 1, 2}))
    assert physical_cores(str(cpuinfo)) == 2
    assert default_threads(5) == 5 and default_threads() >= 1
    with pytest.raises(ValueError, match='threads must be a positive'):
        default_threads(0)


def test_calibration_folder_without_faces_stops_with_the_count(tmp_path):
    import cv2
    (tmp_path / 'notes.txt').write_text('not a face')
    (tmp_path / 'broken.jpg').write_bytes(b'not a jpeg')
    cv2.imwrite(str(tmp_path / 'tiny.png'), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(CalibrationError, match=r'no usable face .*3 files, 1 not images.*'
                       r'1 unreadable, 1 smaller than 16 px'):
        load_face_folder(str(tmp_path))
    cv2.imwrite(str(tmp_path / 'face.png'), np.full((40, 40, 3), 90, np.uint8))
    assert len(load_face_folder(str(tmp_path))) == 1
    with pytest.raises(CalibrationError, match='at least 2'):
        split_holdout(as_faces(str(tmp_path)), None)
    calib, held = split_holdout([np.zeros((20, 20, 3), np.uint8)] * 5, None)
    assert (len(calib), len(held)) == (3, 2)
    with pytest.raises(CalibrationError, match=r'2 given, 1 not'):
        as_faces([np.zeros((20, 20, 3), np.uint8), np.zeros((20, 20), np.uint8)])


def test_int8_refused_below_threshold_with_the_figures():
    report = dict(faces=500, top1_agreement=0.97, max_prob_change=0.2)
    with pytest.raises(QuantizationRefused, match=r'97\.00%.*500 held-out.*98\.00%.*0\.200'):
        check_agreement(report, 0.98, 'the int8 model')
    check_agreement(report, 0.97, 'the int8 model')  # at the threshold: kept


def _builder(calls):
    def build(tmp):
        calls.append(tmp)
        with open(osp.join(tmp, 'model.bin'), 'wb') as f:
            f.write(b'weights %d' % len(calls))
        return dict(report=dict(n=len(calls)))
    return build


def test_cache_rebuild_rules(tmp_path):
    """Same key: reused; other checkpoint hash / runtime version / options: rebuilt as stale;
    a changed file or an unreadable manifest: rebuilt with a warning."""
    folder, calls = str(tmp_path / 'onnxruntime-fp32'), []
    parts = dict(weights='a' * 64, backend_version='1.32.0', options=dict(level='all'))
    logs = []
    manifest, built = cached_folder(folder, parts, _builder(calls), logs.append)
    assert built and len(calls) == 1 and manifest['report'] == dict(n=1)
    assert cached_folder(folder, parts, _builder(calls), logs.append) == (manifest, False)
    for change in (dict(weights='b' * 64), dict(backend_version='1.33.0'),
                   dict(options=dict(level='basic'))):
        stale = dict(parts, **change)
        assert check_folder(folder, stale)[0] == 'stale'
        _, built = cached_folder(folder, stale, _builder(calls), logs.append)
        assert built and next(iter(change)) in logs[-1]
    assert len(calls) == 4
    # a changed file: corrupt
    with open(osp.join(folder, 'model.bin'), 'ab') as f:
        f.write(b'x')
    with pytest.warns(CorruptCacheWarning, match='does not hash as recorded'):
        _, built = cached_folder(folder, stale, _builder(calls), logs.append)
    assert built and len(calls) == 5
    with open(osp.join(folder, 'manifest.json'), 'w') as f:
        f.write('{not json')
    with pytest.warns(CorruptCacheWarning, match='manifest.json is missing or unreadable'):
        cached_folder(folder, stale, _builder(calls), logs.append)
    with open(osp.join(folder, 'manifest.json')) as f:
        assert json.load(f)['parts'] == stale
    assert len(calls) == 6 and check_folder(folder, stale) == ('ok', '')
    assert not any(n.endswith('.partial') for n in os.listdir(tmp_path))


def test_failed_build_leaves_the_old_folder(tmp_path):
    folder, calls = str(tmp_path / 'f'), []
    parts = dict(weights='a')
    cached_folder(folder, parts, _builder(calls))

    def failing(tmp):
        raise RuntimeError('export failed')

    with pytest.raises(RuntimeError, match='export failed'):
        cached_folder(folder, dict(weights='b'), failing)
    assert check_folder(folder, parts) == ('ok', '')
    assert sorted(os.listdir(tmp_path)) == ['f']


def conv_relu_onnx(path: str) -> str:
    """x (1, 3, 8, 8) -> Conv 3x3 (4 channels) -> Relu -> y: the conv gets quantised (the Relu,
    which writes the graph output, stays float)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    weight = np.random.RandomState(0).randn(4, 3, 3, 3).astype(np.float32)
    nodes = [helper.make_node('Conv', ['inputs', 'w'], ['c'], pads=[1, 1, 1, 1], name='conv'),
             helper.make_node('Relu', ['c'], ['y'], name='relu')]
    graph = helper.make_graph(
        nodes, 'g', [helper.make_tensor_value_info('inputs', TensorProto.FLOAT, [None, 3, 8, 8])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [None, 4, 8, 8])],
        [numpy_helper.from_array(weight, 'w')])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 18)]), path)
    return path


def test_int8_weights_keep_7_bits_without_vnni(tmp_path, monkeypatch):
    """Without VNNI the u8 x s8 kernels add product pairs in int16 and saturate on full-range
    weights: the scheme then keeps weights in 7 bits (|q| <= 64), with VNNI in 8 (|q| = 127 for
    the largest weight of each channel); the scheme's text (a cache key part) says which."""
    import onnx
    from onnx import numpy_helper

    from orsanet.runtime.quantize import quantization_scheme, quantize_int8
    monkeypatch.setattr('orsanet.runtime.hardware.cpu_flags', lambda: frozenset({'avx2'}))
    reduce, text = quantization_scheme()
    assert reduce and '7-bit' in text
    monkeypatch.setattr('orsanet.runtime.hardware.cpu_flags',
                        lambda: frozenset({'avx2', 'avx512_vnni'}))
    assert quantization_scheme() == (False, quantization_scheme(False)[1])
    assert quantization_scheme(True)[1] != quantization_scheme(False)[1]
    source = conv_relu_onnx(str(tmp_path / 'conv.onnx'))
    calib = np.random.RandomState(1).rand(8, 3, 8, 8).astype(np.float32) * 255
    largest = {}
    for reduce in (True, False):
        out = str(tmp_path / f'conv_{reduce}.onnx')
        quantize_int8(source, out, calib, reduce_range=reduce, float_modules=())
        weights = [numpy_helper.to_array(t) for t in onnx.load(out).graph.initializer
                   if t.data_type == onnx.TensorProto.INT8 and t.dims and len(t.dims) == 4]
        assert len(weights) == 1
        largest[reduce] = np.abs(weights[0].astype(int)).reshape(4, -1).max(1)
    assert (largest[True] <= 64).all() and (largest[True] >= 60).all()
    assert (largest[False] == 127).all()
    with pytest.raises(ValueError, match=r"conv\.onnx: no node of 'model.backbone'"):
        quantize_int8(source, str(tmp_path / 'x.onnx'), calib)  # no name scopes to go by
