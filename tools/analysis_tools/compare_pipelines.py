"""How far the fast OpenCV test pipeline is from the official (PIL) one, and how much faster.

    python tools/analysis_tools/compare_pipelines.py [IMAGES ...] [--config CONFIG]

For each image (default: scikit-image's astronaut as a 100-px face crop and as a 640 x 480 photo,
written as JPEG), both test pipelines of the config (``test_dataloader`` and ``cv2_test_pipeline``
of the FER dataset bases) run, followed by the model's data preprocessor; the table gives the
max and mean absolute difference of the normalised tensors and the time per image of each.
"""
import argparse
import os.path as osp
import tempfile
import time
from typing import Dict, List

import cv2
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmpretrain.registry import TRANSFORMS

import orsanet  # noqa: F401  (registers PILResize and the datasets)
from orsanet.apis.cli import cli_main


def sample_images(folder: str) -> List[str]:
    from skimage import data

    bgr = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    paths = []
    for name, image in (('crop100', cv2.resize(bgr[30:230, 160:360], (100, 100))),
                        ('photo640', cv2.resize(bgr, (640, 480)))):
        paths.append(osp.join(folder, f'{name}.jpg'))
        cv2.imwrite(paths[-1], image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return paths


def run(steps, preprocessor, path: str, repeats: int) -> Dict[str, object]:
    pipeline = Compose([TRANSFORMS.build(step) for step in steps])
    start = time.perf_counter()
    for _ in range(repeats):
        packed = pipeline(dict(img_path=path))
    seconds = (time.perf_counter() - start) / repeats
    return dict(tensor=preprocessor(default_collate([packed]), False)['inputs'][0],
                seconds=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('images', nargs='*')
    parser.add_argument('--config', default='configs/orsanet_r50_rafdb.py')
    parser.add_argument('--repeats', type=int, default=20)
    args = parser.parse_args()
    from mmpretrain.models.utils import ClsDataPreprocessor  # after orsanet's compat patches

    cfg = Config.fromfile(args.config)
    preprocessor = ClsDataPreprocessor(**cfg.model.data_preprocessor)
    with tempfile.TemporaryDirectory() as folder:
        images = args.images or sample_images(folder)
        print('| image | size | max abs diff | mean abs diff | official ms | cv2 ms |')
        print('|---|---|---|---|---|---|')
        for path in images:
            official = run(cfg.test_dataloader.dataset.pipeline, preprocessor, path,
                           args.repeats)
            fast = run(cfg.cv2_test_pipeline, preprocessor, path, args.repeats)
            diff = (official['tensor'] - fast['tensor']).abs()
            height, width = cv2.imread(path).shape[:2]
            print(f'| {osp.basename(path)} | {width} x {height} | {diff.max():.3f} | '
                  f'{diff.mean():.4f} | {1e3 * official["seconds"]:.2f} | '
                  f'{1e3 * fast["seconds"]:.2f} |')


if __name__ == '__main__':
    cli_main(main)
