"""SyntheticFER: procedurally drawn expression faces rendered in memory (no files, no download)."""
from typing import List, Sequence, Union

from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from . import CLASSES, OCCLUDER_TYPES, render_face

_LOADERS = ('LoadImageFromFile', 'mmpretrain.LoadImageFromFile', 'mmcv.LoadImageFromFile')


@DATASETS.register_module()
class SyntheticFER(BaseDataset):
    """Synthetic faces showing the 7 basic expressions, in RAF-DB's class order.

    Each sample is drawn from ``(seed, split, index)`` by :func:`orsanet.datasets.synthetic.
    render_face` (identity, pose, lighting, clutter; expression through facial geometry with an
    intensity in [0.3, 1]); label ``index % 7``, so the classes are balanced. The data list holds
    the rendered BGR image as ``img``, so the pipeline starts AFTER image loading: a leading
    ``LoadImageFromFile`` (as in the RAF-DB configs) is dropped with a log message. ``img_path``
    is a virtual name (``synthetic/<split>/<index>.png``) for reports; no file exists.

    Args:
        num_samples (int): Number of samples. Defaults to 700.
        image_size (int): Side of the square images (112 or 224 usual). Defaults to 112.
        seed (int): Seed of the whole dataset. Defaults to 0.
        split (str): Split name; splits draw different people. Defaults to 'train' (or 'test'
            with ``test_mode=True``).
        occluded (bool | Sequence[str]): Draw an occluder on every image: True for all
            :data:`OCCLUDER_TYPES`, or a list of them. The occluded sample ``i`` is the clean
            sample ``i`` plus the occluder, covering :data:`OCCLUDED_SEVERITY` of the image (the
            face box); its type is put in ``subset_tags`` (per-type metrics). Defaults to False.
        lazy (bool): Render in ``prepare_data`` instead of up front (saves memory for large
            sets; every epoch renders again). Defaults to False.
        pipeline (Sequence): Transforms after loading. Defaults to ().
        test_mode (bool): Defaults to False.
        **kwargs: Other :class:`mmpretrain.datasets.BaseDataset` arguments.
    """
    METAINFO = dict(classes=CLASSES)
    reads_image_files = False  # img_path names the sample; the image is rendered (--check-data)

    def __init__(self,
                 num_samples: int = 700,
                 image_size: int = 112,
                 seed: int = 0,
                 split: str = '',
                 occluded: Union[bool, Sequence[str]] = False,
                 lazy: bool = False,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 **kwargs) -> None:
        if num_samples < 1:
            raise ValueError(f'SyntheticFER: num_samples must be >= 1, got {num_samples}')
        self.num_samples, self.image_size, self.seed = int(num_samples), int(image_size), seed
        self.split = split or ('test' if test_mode else 'train')
        self.occluders = self._occluder_types(occluded)
        self.lazy = lazy
        super().__init__(ann_file='', pipeline=self._drop_loader(pipeline), test_mode=test_mode,
                         **kwargs)

    @staticmethod
    def _occluder_types(occluded) -> List[str]:
        if occluded is True:
            return list(OCCLUDER_TYPES)
        if not occluded:
            return []
        if isinstance(occluded, str):
            occluded = [occluded]
        unknown = [o for o in occluded if o not in OCCLUDER_TYPES]
        if unknown:
            raise ValueError(f'SyntheticFER: unknown occluder types {unknown}; use True or a '
                             f'subset of {OCCLUDER_TYPES}')
        return list(occluded)

    @staticmethod
    def _drop_loader(pipeline: Sequence) -> list:
        pipeline = list(pipeline)
        first = pipeline[0] if pipeline else None
        if isinstance(first, dict) and first.get('type') in _LOADERS:
            MMLogger.get_current_instance().info(
                'SyntheticFER renders images in memory: dropped the leading LoadImageFromFile '
                'of the pipeline')
            pipeline = pipeline[1:]
        return pipeline

    def _render(self, index: int) -> dict:
        face = render_face(index, seed=self.seed, size=self.image_size, split=self.split,
                           occluders=self.occluders or None)
        info = dict(img=face.img, img_shape=face.img.shape[:2], ori_shape=face.img.shape[:2])
        if face.occluder is not None:
            info['subset_tags'] = [face.occluder]
        return info

    def load_data_list(self) -> List[dict]:
        data_list = []
        for index in range(self.num_samples):
            info = dict(img_path=f'synthetic/{self.split}/{index:05d}.png', sample_index=index,
                        gt_label=index % len(CLASSES))
            if not self.lazy:
                info.update(self._render(index))
            data_list.append(info)
        return data_list

    def prepare_data(self, idx: int):
        info = self.get_data_info(idx)
        if 'img' not in info:
            info.update(self._render(info['sample_index']))
        return self.pipeline(info)
