"""The small trained model on each backend against PyTorch, the cache's rebuild rules on a real
export, the load-time refusal, int8 (refused below the threshold, kept above it) and
FERInferencer with a compiled backend. The ONNX export (about 12 s) is made once per session."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from test_tools.test_export_onnx import real_batch

from orsanet.runtime import (
    CorruptCacheWarning,
    QuantizationRefused,
    RuntimeMismatchError,
    load_runtime,
)
from orsanet.runtime.compiled import _reference

pytestmark = pytest.mark.slow


def real_faces(small_model) -> np.ndarray:
    return real_batch(small_model._config, 3).numpy()


def check_equal(runtime, small_model, inputs, atol=1e-4):
    scores, logits = runtime(inputs)
    ref_scores, ref_logits = _reference(small_model)(inputs)
    assert logits.shape == ref_logits.shape == (len(inputs), 7)
    assert np.abs(logits - ref_logits).max() < atol
    assert np.abs(scores - ref_scores).max() < atol / 10
    assert (scores.argmax(1) == ref_scores.argmax(1)).all()


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_backend_equals_pytorch(backend, small_model, checkpoint, runtime_root, request):
    if backend == 'openvino':
        request.getfixturevalue('openvino_extra')
    runtime = load_runtime(small_model, backend, checkpoint=checkpoint, cache_dir=runtime_root,
                           input_size=112, threads=1)
    assert (runtime.backend, runtime.precision, runtime.threads) == (backend, 'fp32', 1)
    assert runtime.check['logits'] < 1e-4 and runtime.check['logit_scale'] > 0.1
    assert runtime.file_bytes > 1e6 and osp.isdir(runtime.folder)
    check_equal(runtime, small_model, real_faces(small_model))  # batch 3, real faces


def test_pytorch_backend_is_the_reference(small_model):
    runtime = load_runtime(small_model, 'pytorch', input_size=112)
    assert runtime.check['logits'] == 0.0 and runtime.check['inputs'] == 3
    x = np.random.default_rng(1).uniform(0, 255, (2, 3, 112, 112)).astype(np.float32)
    with torch.inference_mode():
        data = small_model.data_preprocessor(dict(inputs=list(torch.from_numpy(x))), False)
        ref = torch.stack([s.pred_score for s in small_model.predict(data['inputs'])])
    assert np.abs(runtime(x)[0] - ref.numpy()).max() < 1e-6  # the model's own predict


def test_cache_rebuilds_on_a_real_export(small_model, checkpoint, runtime_root, tmp_path,
                                         monkeypatch):
    """Other checkpoint file -> export and backend rebuilt; other onnxruntime version -> the
    backend's stage rebuilt; a file that does not load -> rebuilt with a warning."""
    import orsanet.apis.deploy as deploy

    base = load_runtime(small_model, 'onnxruntime', checkpoint=checkpoint,
                        cache_dir=runtime_root, input_size=112)
    root = str(tmp_path / 'cache')
    shutil.copytree(runtime_root, root)
    exports = []

    def fake_export(model, path, example, opset=18, optimize=True):  # the session's export
        exports.append(path)
        shutil.copyfile(osp.join(runtime_root, 'export', 'model.onnx'), path)

    monkeypatch.setattr(deploy, 'export_onnx', fake_export)
    other = tmp_path / 'other.pth'
    other.write_bytes(open(checkpoint, 'rb').read() + b'\0')  # other hash, same weights
    rebuilt = load_runtime(small_model, 'onnxruntime', checkpoint=str(other), cache_dir=root,
                           input_size=112)
    assert len(exports) == 1 and rebuilt.built
    monkeypatch.setattr('orsanet.runtime.backends.OnnxRuntimeBackend.version',
                        lambda self: '0.0.1')
    newer = load_runtime(small_model, 'onnxruntime', checkpoint=str(other), cache_dir=root,
                         input_size=112)
    assert newer.built and len(exports) == 1  # the export stage kept
    with open(osp.join(root, 'onnxruntime-fp32', 'manifest.json')) as f:
        assert json.load(f)['parts']['backend_version'] == '0.0.1'
    # garbage that hashes as recorded (the manifest rewritten): it does not load
    path = osp.join(root, 'onnxruntime-fp32', 'model.ort.onnx')
    with open(path, 'wb') as f:
        f.write(b'garbage')
    manifest_path = osp.join(root, 'onnxruntime-fp32', 'manifest.json')
    from orsanet.runtime.cache import file_sha256
    with open(manifest_path) as f:
        manifest = json.load(f)
    manifest['files']['model.ort.onnx'] = file_sha256(path)
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f)
    with pytest.warns(CorruptCacheWarning, match='does not load'):
        fixed = load_runtime(small_model, 'onnxruntime', checkpoint=str(other), cache_dir=root,
                             input_size=112)
    assert fixed.built and fixed.check['logits'] < 1e-4
    assert base.check['logits'] < 1e-4


def test_load_refuses_a_model_beyond_atol(small_model, checkpoint, runtime_root):
    with pytest.raises(RuntimeMismatchError, match=r'max abs logit difference .* > atol 1e-12'):
        load_runtime(small_model, 'onnxruntime', checkpoint=checkpoint, cache_dir=runtime_root,
                     input_size=112, atol=1e-12)


def test_int8_refused_below_threshold_then_kept(small_model, checkpoint, runtime_root,
                                                synthetic_faces):
    """20 calibration + 20 held-out faces; a threshold above 100 % refuses with the figures, the
    same cached model is kept at a threshold it meets (no rebuild)."""
    options = dict(checkpoint=checkpoint, cache_dir=runtime_root, input_size=112,
                   calibration=synthetic_faces)
    with pytest.raises(QuantizationRefused, match=r'top-1 agreement with float32 [\d.]+% on 20 '
                       r'held-out faces is below min_agreement 101\.00%.*probability change'):
        load_runtime(small_model, 'onnxruntime', 'int8', min_agreement=1.01, **options)
    runtime = load_runtime(small_model, 'onnxruntime', 'int8', min_agreement=0.0, **options)
    assert not runtime.built and runtime.precision == 'int8'
    report = runtime.report
    assert report['faces'] == 20 and report['calibration_faces'] == 20
    assert 0 <= report['top1_agreement'] <= 1 and 0 < report['max_prob_change'] < 1
    scores, _ = runtime(real_faces(small_model))
    assert np.allclose(scores.sum(1), 1, atol=1e-4)
    assert_backbone_float(runtime_root)


def assert_backbone_float(root):
    """In the cached QDQ model the face backbone's convolutions read float weights (no
    DequantizeLinear before them); the other parts' convolutions are quantised."""
    import onnx

    from orsanet.runtime.quantize import module_of
    export = onnx.load(osp.join(root, 'export', 'model.onnx'), load_external_data=False)
    backbone = {n.name for n in export.graph.node if module_of(n) == 'model.backbone'}
    qdq = onnx.load(osp.join(root, 'int8', 'model.int8.onnx'), load_external_data=False).graph
    dequantised = {n.output[0] for n in qdq.node if n.op_type == 'DequantizeLinear'}
    convs = [n for n in qdq.node if n.op_type == 'Conv']
    inside = [n for n in convs if n.name in backbone]
    assert inside and not any(set(n.input) & dequantised for n in inside)
    assert any(set(n.input) & dequantised for n in convs if n.name not in backbone)


def test_inferencer_with_a_compiled_backend(small_model, checkpoint, runtime_root):
    from fer_checkpoint import CONFIG

    from orsanet.apis import FERInferencer
    from orsanet.faces.sample_photos import astronaut

    pipeline = dict(detector='haar', aligner=dict(landmarker=None))
    plain = FERInferencer(CONFIG, checkpoint=checkpoint, device='cpu', **pipeline)
    compiled = FERInferencer(CONFIG, checkpoint=checkpoint, device='cpu', backend='onnxruntime',
                             runtime_options=dict(cache_dir=runtime_root), **pipeline)
    assert compiled.runtime is not None and not compiled.runtime.built  # the shared cache
    face, ref = compiled(astronaut())[0]['faces'][0], plain(astronaut())[0]['faces'][0]
    assert np.abs(face['scores'] - ref['scores']).max() < 1e-5
    assert face['label'] == ref['label']
