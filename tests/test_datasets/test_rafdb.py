"""RAFDB: official list + Image/aligned layout, ImageFolder layout, subsets and bad input."""
import logging
import os.path as osp

import pytest
from fer_files import LIST, make_rafdb, write_image, write_text
from mmengine.logging import MMLogger

from orsanet.datasets import RAFDB

SPEC_CLASSES = ('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger', 'Neutral')


@pytest.fixture
def rafdb_root(tmp_path):
    return make_rafdb(tmp_path / 'RAF-DB')


def test_official_layout_counts_and_label_mapping(rafdb_root):
    train = RAFDB(data_root=rafdb_root, split='train')
    test = RAFDB(data_root=rafdb_root, split='test', test_mode=True)
    assert train.CLASSES == SPEC_CLASSES
    assert (len(train), len(test)) == (3, 4)
    # labels 1..7 -> 0..6: 5 = Sadness -> 4, 1 = Surprise -> 0, 7 = Neutral -> 6
    assert list(train.get_gt_labels()) == [4, 0, 6]
    assert list(test.get_gt_labels()) == [3, 0, 4, 0]
    assert train.get_data_info(0)['img_path'] == osp.join(
        rafdb_root, 'Image', 'aligned', 'train_00001_aligned.jpg')
    original = RAFDB(data_root=rafdb_root, split='test', image_type='original')
    assert original.get_data_info(1)['img_path'].endswith(osp.join('original', 'test_0004.jpg'))


def test_folder_layout(make_folders):
    root = make_folders({'train/Surprise': ['a.jpg', 'b.jpg'], 'train/HA': ['c.png'],
                         'train/7': ['d.jpg']})
    dataset = RAFDB(data_root=root, layout='folder', data_prefix='train')
    assert list(dataset.get_gt_labels()) == [6, 3, 0, 0]  # folders sorted: 7, HA, Surprise
    bad = make_folders({'train/Smile': ['a.jpg']}, root='bad')
    with pytest.raises(ValueError, match=r'unknown class folder .*Smile'):
        RAFDB(data_root=bad, layout='folder', data_prefix='train')


@pytest.mark.parametrize('line,message', [
    ('train_00009.jpg 8', r'list_patition_label.txt:4: label 8 is outside 1..7'),
    ('train_00009.jpg 0', r'list_patition_label.txt:4: label 0 is outside 1..7'),
    ('train_00009.jpg x', r'list_patition_label.txt:4: label .x. is not an integer'),
    ('train_00009.jpg', r'list_patition_label.txt:4: expected'),
    ('train_00001.jpg 5', r"duplicate entry '.*train_00001_aligned.jpg' at "
                          r'.*list_patition_label.txt:4 \(first at .*list_patition_label.txt:1\)'),
])
def test_bad_list_lines_name_file_and_line(tmp_path, line, message):
    root = make_rafdb(tmp_path, LIST[:3] + [line], images=[n.split()[0] for n in LIST])
    if 'train_00009' in line:
        write_image(osp.join(root, 'Image', 'aligned', 'train_00009_aligned.jpg'))
    with pytest.raises(ValueError, match=message):
        RAFDB(data_root=root)


def test_missing_files(tmp_path, rafdb_root):
    with pytest.raises(FileNotFoundError, match='list_patition_label.txt does not exist'):
        RAFDB(data_root=str(tmp_path / 'nowhere'))
    root = make_rafdb(tmp_path / 'partial', images=['train_00001.jpg'])
    with pytest.raises(FileNotFoundError,
                       match=r'list_patition_label.txt:2: image .*train_00002_aligned.jpg'):
        RAFDB(data_root=root)


def test_corrupt_image_fails_with_path_or_is_skipped(rafdb_root):
    broken = osp.join(rafdb_root, 'Image', 'aligned', 'train_00002_aligned.jpg')
    with open(broken, 'wb') as f:
        f.write(b'not a jpeg')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    dataset = RAFDB(data_root=rafdb_root, pipeline=pipeline, test_mode=True)
    assert dataset[0]['inputs'].shape == (3, 8, 8)
    with pytest.raises(RuntimeError, match='train_00002_aligned.jpg'):
        dataset[1]
    logger, records = MMLogger.get_current_instance(), []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        skipping = RAFDB(data_root=rafdb_root, pipeline=pipeline, skip_corrupt=True)
    finally:
        logger.removeHandler(handler)
    assert len(skipping) == 2
    assert any('skipped (skip_corrupt=True) 1 of 3 images' in r.getMessage()
               and 'train_00002' in r.getMessage()
               for r in records)
    assert [osp.basename(skipping.get_data_info(i)['img_path']) for i in range(2)] == [
        'train_00001_aligned.jpg', 'train_00003_aligned.jpg']


def test_occlusion_subset_rafdb_format(rafdb_root, tmp_path):
    # RAF-DB occlusion format, CRLF as released: "<name> <label 0-6> <tag>"
    lst = write_text(str(tmp_path / 'occ.txt'),
                     ['test_0003_aligned 3 4', 'test_0008_aligned 0 1'], newline='\r\n')
    dataset = RAFDB(data_root=rafdb_root, split='test', subset_file=lst, subset_tag='occlusion')
    assert len(dataset) == 2
    assert [dataset.get_data_info(i)['subset_tags'] for i in range(2)] == [['occlusion']] * 2
    assert list(dataset.get_gt_labels()) == [3, 0]
    wrong = write_text(str(tmp_path / 'wrong.txt'), ['test_0003_aligned 2 4'])
    with pytest.raises(ValueError, match=r'wrong.txt:1: image .test_0003. has label 2 in the list'):
        RAFDB(data_root=rafdb_root, split='test', subset_file=wrong)
    absent = write_text(str(tmp_path / 'absent.txt'),
                        ['test_0003_aligned 3 4', 'test_0099_aligned 0 1'])
    with pytest.raises(ValueError, match=r"absent.txt:2: image 'test_0099' is not in the dataset"):
        RAFDB(data_root=rafdb_root, split='test', subset_file=absent)
    lenient = RAFDB(data_root=rafdb_root, split='test', subset_file=absent, strict_subset=False)
    assert len(lenient) == 1
    assert lenient.get_data_info(0)['subset_tags'] == ['absent']  # default tag: file stem


def test_pose_subset_with_label_file_and_tag_files(rafdb_root, tmp_path):
    pose = write_text(str(tmp_path / 'pose30.txt'),
                      ['0/test_0004_aligned.jpg', '4/test_0006_aligned.jpg'])
    labels = write_text(str(tmp_path / 'pose30_label.txt'), ['2 7', '0', '4'])
    dataset = RAFDB(data_root=rafdb_root, split='test', subset_file=pose,
                    subset_label_file=labels, subset_tag='pose30')
    assert [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(2)] == [
        'test_0004_aligned.jpg', 'test_0006_aligned.jpg']
    occ = write_text(str(tmp_path / 'occ.txt'), ['test_0006_aligned 4 2'], newline='\r\n')
    tagged = RAFDB(data_root=rafdb_root, split='test', tag_files=dict(
        pose30=dict(file=pose, label_file=labels), occlusion=occ))
    assert len(tagged) == 4  # the full test set, tagged
    assert [tagged.get_data_info(i)['subset_tags'] for i in range(4)] == [
        [], ['pose30'], ['pose30', 'occlusion'], []]
