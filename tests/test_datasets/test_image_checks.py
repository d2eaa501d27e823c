"""Image checks of the FER datasets: one decoder for checking and loading (skip_corrupt,
check_images), duplicates by path (not by stem), non-image files counted by kind."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from fer_files import make_rafdb

from orsanet.datasets import RAFDB, OccluFER

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


def write_truncated_jpeg(path: str) -> str:
    """The first half of a valid JPEG: cv2.imread returns a (partly grey) image for it."""
    image = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    ok, data = cv2.imencode('.jpg', image)
    assert ok
    with open(path, 'wb') as f:
        f.write(data.tobytes()[:len(data) // 2])
    return path


def test_skip_corrupt_drops_what_the_loader_cannot_decode(tmp_path, mm_logs):
    root = make_rafdb(tmp_path)
    broken = write_truncated_jpeg(osp.join(root, 'Image', 'aligned', 'train_00002_aligned.jpg'))
    dataset = RAFDB(data_root=root, pipeline=PIPELINE, skip_corrupt=True)
    # the check decodes as the pipeline does: what passes it loads
    assert [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset))] == [
        'train_00001_aligned.jpg', 'train_00003_aligned.jpg']
    for i in range(len(dataset)):
        assert dataset[i]['inputs'].shape == (3, 8, 8)
    assert any('skipped (skip_corrupt=True) 1 of 3 images cannot be loaded (1 undecodable)'
               in m and broken in m for m in mm_logs), mm_logs


def break_images(root: str) -> None:
    """train_00001 undecodable, train_00003 missing (RAF-DB official layout)."""
    with open(osp.join(root, 'Image', 'aligned', 'train_00001_aligned.jpg'), 'wb') as f:
        f.write(b'not a jpeg')
    os.remove(osp.join(root, 'Image', 'aligned', 'train_00003_aligned.jpg'))


def test_check_images_counts_and_names_the_first_bad_images(tmp_path):
    root = make_rafdb(tmp_path)
    break_images(root)
    with pytest.raises(ValueError, match=r'RAFDB: 2 of 3 images cannot be loaded \(1 missing, 1 '
                                         r'undecodable\): .*train_00001_aligned.jpg \(undecodable'
                                         r'.*train_00003_aligned.jpg \(missing\).*skip_corrupt'):
        RAFDB(data_root=root, pipeline=PIPELINE, check_images=True)
    assert len(RAFDB(data_root=root, split='test', pipeline=PIPELINE, check_images=True)) == 4
    with pytest.raises(FileNotFoundError, match=r'list_patition_label.txt:3: image '):
        RAFDB(data_root=root, pipeline=PIPELINE)  # without the check: the first missing one


def test_check_data_reports_every_split_of_a_config(tmp_path):
    from mmengine.config import Config

    from orsanet.datasets.image_check import DataCheckError, check_data
    good, bad = make_rafdb(tmp_path / 'good'), make_rafdb(tmp_path / 'bad')
    break_images(bad)
    loader = dict(dataset=dict(type='RAFDB', data_root=good, split='test', pipeline=PIPELINE))
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(type='RepeatDataset', times=2, dataset=dict(
            type='RAFDB', data_root=bad, pipeline=PIPELINE))),
        val_dataloader=loader, test_dataloader=dict(dataset=dict(
            loader['dataset'], data_root=bad, split='train'))))
    with pytest.raises(DataCheckError) as info:
        check_data(cfg)
    message = str(info.value)
    assert message.count('2 of 3 images cannot be loaded (1 missing, 1 undecodable)') == 2
    assert 'train_dataloader: RAFDB: ' in message and 'test_dataloader: RAFDB: ' in message
    assert 'val_dataloader' not in message
    assert check_data(cfg, ['val_dataloader']) == dict(val_dataloader=4)


def test_same_stem_in_two_class_folders_loads(make_folders):
    # class-folder datasets that number files per class: AN/1.jpg and DI/1.jpg are two images
    root = make_folders({'train/AN': ['1.jpg', '2.jpg'], 'train/DI': ['1.jpg'],
                         'train/HA': ['1.png']})
    dataset = OccluFER(data_root=root, data_prefix='train')
    assert len(dataset) == 4
    assert [osp.relpath(dataset.get_data_info(i)['img_path'], root) for i in range(4)] == [
        'train/AN/1.jpg', 'train/AN/2.jpg', 'train/DI/1.jpg', 'train/HA/1.png']
    # classes: the folders present, in the official order (Anger, Disgust, Happiness)
    assert list(dataset.get_gt_labels()) == [0, 0, 1, 2]


def test_subset_list_naming_a_shared_stem_is_refused(make_folders, tmp_path):
    root = make_folders({'test/1': ['test_0001.jpg'], 'test/4': ['test_0001.png',
                                                                 'test_0002.jpg']})
    listed = str(tmp_path / 'occ.txt')
    with open(listed, 'w') as f:
        f.write('test_0002_aligned 3 1\ntest_0001_aligned 0 1\n')
    with pytest.raises(ValueError, match=r"occ.txt:2: image 'test_0001' is ambiguous: 2 dataset "
                                         r'images have this name \(.*1/test_0001.jpg, '
                                         r'.*4/test_0001.png\)'):
        RAFDB(data_root=root, layout='folder', data_prefix='test', subset_file=listed)
    lenient = RAFDB(data_root=root, layout='folder', data_prefix='test', subset_file=listed,
                    strict_subset=False)
    assert [osp.basename(lenient.get_data_info(i)['img_path'])
            for i in range(len(lenient))] == ['test_0002.jpg']


def test_non_image_files_in_class_folders_are_counted_by_kind(make_folders, mm_logs):
    root = make_folders({'train/AN': ['a.jpg'], 'train/HA': ['b.png']})
    for name in ('AN/notes.txt', 'AN/.DS_Store', 'HA/list.txt', 'HA/clip.mp4'):
        with open(osp.join(root, 'train', name), 'w') as f:
            f.write('x')
    assert len(OccluFER(data_root=root, data_prefix='train')) == 2
    message = [m for m in mm_logs if 'not images' in m]
    assert message, mm_logs
    assert ('OccluFER: skipped 4 files in the class folders of ' + osp.join(root, 'train')
            in message[0])
    assert '2 .txt, 1 (no extension), 1 .mp4' in message[0]
    assert os.sep + 'AN' + os.sep in message[0]  # an example path


def test_rendered_datasets_are_not_reported_missing():
    """SyntheticFER renders its faces: its img_path names a sample, not a file."""
    from orsanet.datasets import SyntheticFER
    from orsanet.datasets.image_check import dataset_image_problems

    for lazy in (True, False):
        dataset = SyntheticFER(num_samples=4, image_size=64, lazy=lazy, pipeline=[])
        assert dataset_image_problems(dataset) == ([], 0)
