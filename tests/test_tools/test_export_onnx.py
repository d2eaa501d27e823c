"""ONNX export: a small ORSANet in-process (dynamic batch, priors included), the full official-size
model through tools/deployment/export_onnx.py (random weights), and the tool's failure path."""
import os.path as osp
import re
import sys

import pytest
import torch
from background_runs import BACKGROUND
from mmengine.config import Config
from mmpretrain.registry import MODELS
from tool_runner import run_python_tool

from orsanet.apis.deploy import check_model_predict, compare_onnx, export_onnx, onnx_input_batch
from orsanet.apis.fer_inferencer import build_test_pipeline
from orsanet.faces import FaceAligner, HaarFaceDetector
from orsanet.faces.sample_photos import astronaut, lfw_face

SMALL_CONFIG = osp.join('tests', 'data', 'tiny_fer_inference.py')


def real_batch(cfg, count: int) -> torch.Tensor:
    detector, aligner = HaarFaceDetector(), FaceAligner()
    images = [astronaut()] + [lfw_face(i)[..., None].repeat(3, axis=2) for i in range(count)]
    crops = [aligner(img, detector(img)[0].box).crop for img in images[:count]]
    return onnx_input_batch(crops, build_test_pipeline(cfg))


@pytest.mark.slow
def test_small_model_export_matches_pytorch(tmp_path):
    torch.manual_seed(0)
    cfg = Config.fromfile(SMALL_CONFIG)
    model = MODELS.build(cfg.model).eval()
    batch = real_batch(cfg, 4)
    assert batch.shape == (4, 3, 112, 112) and batch.max() > 100  # 0-255 pixels
    check_model_predict(model, batch[:2])
    path = str(tmp_path / 'small.onnx')
    export_onnx(model, path, batch[:2])
    diffs = compare_onnx(model, path, [batch[:1], batch[1:4]])  # batch sizes other than traced
    assert diffs['scores'] < 1e-5 and diffs['logits'] < 1e-4, diffs
    assert diffs['logit_scale'] > 0


@pytest.mark.slow
@pytest.mark.background('official_export')
def test_official_size_export_tool():
    """The full official-size model (about 136 M parameters with Swin-B; random weights),
    exported by the tool in the background (tests/background_runs.py, about 1 min alone)."""
    run = BACKGROUND.wait('official_export')
    assert run.returncode == 0, run.output[-5000:]
    params = float(re.search(r'exported ([\d.]+) M parameters', run.output).group(1))
    assert params > 130
    diff = float(re.search(r'OK: max abs diff (\S+)', run.output).group(1))
    assert diff <= 1e-4, run.output
    assert osp.getsize(osp.join(run.work_dir, 'orsanet_r50.onnx')) > 400 * 2**20


@pytest.mark.slow
def test_export_tool_fails_above_atol(tmp_path, repo_root):
    """A tolerance below any difference (negative) makes the tool fail with status 1."""
    proc = run_python_tool([sys.executable, 'tools/deployment/export_onnx.py', SMALL_CONFIG,
                            '--random-weights', '--out', str(tmp_path / 'm.onnx'), '--atol=-1'],
                           cwd=repo_root, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'FAILED: max abs diff' in proc.stdout


@pytest.mark.slow
def test_face_swin_exports_with_a_dynamic_batch(tmp_path):
    """mmseg's window_reverse fixes the batch with int(); FaceSwinTransformer's does not."""
    import numpy as np
    import onnxruntime as ort

    from orsanet.models.backbones.face_swin import FaceSwinTransformer

    torch.manual_seed(0)
    swin = FaceSwinTransformer(embed_dims=32, depths=(2, 2), num_heads=(2, 4), window_size=7,
                               strides=(4, 2), out_indices=(1, ), pretrain_img_size=112)
    swin.eval()  # mmseg's Swin.train() returns None
    path = str(tmp_path / 'swin.onnx')
    with torch.no_grad():
        torch.onnx.export(swin, (torch.randn(2, 3, 112, 112), ), dynamo=True,
                          dynamic_shapes=({0: torch.export.Dim('batch', min=1, max=64)}, ),
                          input_names=['x']).save(path)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    for batch in (1, 3):
        x = torch.randn(batch, 3, 112, 112)
        with torch.no_grad():
            ref = swin(x)[-1].numpy()
        out = session.run(None, {'x': x.numpy()})[-1]
        assert out.shape == ref.shape and np.abs(out - ref).max() < 1e-4


def test_priors_run_through_gives_the_same_numbers():
    """The export path of the priors (no stopping exception) equals the default path exactly."""
    from orsanet.apis.deploy import ExportableClassifier, priors_run_through

    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(SMALL_CONFIG).model).eval()
    wrapper = ExportableClassifier(model).eval()
    x = torch.rand(2, 3, 112, 112) * 255
    with torch.no_grad():
        default = wrapper(x)[1]
        with priors_run_through(model):
            assert not model.semantic_prior.early_stop
            through = wrapper(x)[1]
    assert model.semantic_prior.early_stop and model.landmark_prior.early_stop  # restored
    assert torch.equal(default, through)
