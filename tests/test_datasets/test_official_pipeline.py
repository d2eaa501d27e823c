"""The FER pipelines give the official (torchvision, PIL) tensors, checked against torchvision.

Official test transform: PIL ``Image.open(path).convert('RGB')`` -> ``Resize((224, 224))`` ->
``ToTensor`` -> ``Normalize(ImageNet)``; train adds a horizontal flip before the resize and
``RandomErasing(scale=(0.02, 0.1))`` after the normalisation.
"""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torchvision.transforms as T
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import TRANSFORMS
from PIL import Image
from skimage import data as skdata

from orsanet.datasets.transforms import TorchvisionErasing

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


@pytest.fixture(scope='module')
def cfg(repo_root):
    return Config.fromfile(osp.join(repo_root, 'configs', 'orsanet_r50_rafdb.py'))


@pytest.fixture(scope='module')
def preprocessor(cfg):
    return ClsDataPreprocessor(**cfg.model.data_preprocessor)


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    """A 100-px face crop (RAF-DB size, upscaled by the pipeline) and a 640 x 480 photo
    (AffectNet / Occlu-FER size, downscaled), as JPEG files."""
    folder = tmp_path_factory.mktemp('photos')
    rgb = skdata.astronaut()
    paths = {}
    for name, image in (('crop100', cv2.resize(rgb[30:230, 160:360], (100, 100))),
                        ('photo640', cv2.resize(rgb, (640, 480)))):
        paths[name] = str(folder / f'{name}.jpg')
        Image.fromarray(image).save(paths[name], quality=90)
    return paths


def ours(pipeline_cfg, preprocessor, path: str) -> torch.Tensor:
    pipeline = Compose([TRANSFORMS.build(step) for step in pipeline_cfg])
    batch = preprocessor(default_collate([pipeline(dict(img_path=path))]), False)
    return batch['inputs'][0]


def official(path: str) -> torch.Tensor:
    image = Image.open(path).convert('RGB')
    return T.Compose([T.Resize((224, 224)), T.ToTensor(), T.Normalize(MEAN, STD)])(image)


@pytest.mark.parametrize('name', ['crop100', 'photo640'])
def test_test_pipeline_equals_torchvision(cfg, preprocessor, photos, name):
    actual = ours(cfg.test_dataloader.dataset.pipeline, preprocessor, photos[name])
    expected = official(photos[name])
    assert actual.shape == expected.shape == (3, 224, 224)
    assert (actual - expected).abs().max().item() <= 1e-5


def test_cv2_path_differs_where_pil_antialiases(cfg, preprocessor, photos):
    """The faster OpenCV pipeline (a switch) is NOT the official one on large photos."""
    fast = ours(cfg.cv2_test_pipeline, preprocessor, photos['photo640'])
    assert (fast - official(photos['photo640'])).abs().max().item() > 0.05


def test_train_pipeline_order(cfg):
    types = [step['type'] for step in cfg.train_dataloader.dataset.pipeline]
    assert types == ['LoadImageFromFile', 'RandomFlip', 'PILResize', 'TorchvisionErasing',
                     'PackInputs']
    erasing = cfg.train_dataloader.dataset.pipeline[3]
    assert erasing['prob'] == 0.5 and tuple(erasing['scale']) == (0.02, 0.1)


@pytest.mark.parametrize('seed', range(12))
def test_erasing_equals_torchvision_random_erasing(cfg, preprocessor, photos, seed):
    """Same box (same torch random numbers), and the erased pixels are 0 once normalised."""
    resized = Compose([TRANSFORMS.build(step) for step in cfg.test_dataloader.dataset.pipeline
                       if step['type'] != 'PackInputs'])(dict(img_path=photos['crop100']))
    torch.manual_seed(seed)
    erased = TorchvisionErasing(prob=0.5, scale=(0.02, 0.1),
                                fill=(103.53, 116.28, 123.675)).transform(dict(resized))
    packed = TRANSFORMS.build(dict(type='PackInputs'))(erased)
    actual = preprocessor(default_collate([packed]), False)['inputs'][0]
    torch.manual_seed(seed)
    expected = T.RandomErasing(scale=(0.02, 0.1))(official(photos['crop100']))
    assert (actual - expected).abs().max().item() <= 1e-5


def test_erasing_happens_about_half_the_time():
    image = np.zeros((224, 224, 3), np.uint8)
    torch.manual_seed(0)
    erasing = TorchvisionErasing()
    erased = [bool((erasing.transform(dict(img=image))['img'] != 0).any()) for _ in range(200)]
    assert 70 < sum(erased) < 130
