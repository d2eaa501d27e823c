"""Subset lists in the exact RAN formats (lines copied in format from the released lists)."""
import os.path as osp

import pytest
from fer_files import write_text

from orsanet.datasets.subsets import detect_format, image_key, parse_subset_file

HASH = 'bc9ad400db82eca1882b11c9603348fb3e92f5b0d67391ac22a1bc79'


@pytest.mark.parametrize('line,fmt,key,label', [
    ('test_0003_aligned 3 4', 'rafdb_occlusion', 'test_0003', 3),
    ('0/test_0004_aligned.jpg', 'rafdb_pose', 'test_0004', 0),
    ('1_fer0034656.png 8 0', 'ferplus_occlusion', 'fer0034656', 1),
    ('4/fer0032228.jpg', 'ferplus_pose', 'fer0032228', 4),
    (f'val/5/{HASH}/', 'affectnet', HASH, 5),
    (f'2/{HASH}.jpg', 'affectnet', HASH, 2),
    (f'7/{HASH}/8.jpg', 'affectnet', HASH, 7),
])
def test_detect_and_parse_each_format(tmp_path, line, fmt, key, label):
    assert detect_format(line) == fmt
    path = write_text(osp.join(tmp_path, 'list.txt'), [line, line], newline='\r\n')
    detected, entries = parse_subset_file(path)
    assert detected == fmt
    assert [(e.key, e.label, e.line) for e in entries] == [(key, label, 1), (key, label, 2)]


def test_image_key_strips_folder_extension_and_aligned():
    assert image_key('Image/aligned/train_00001_aligned.jpg') == 'train_00001'
    assert image_key('train_00001.jpg') == 'train_00001'
    assert image_key(f'val/0/{HASH}/') == HASH


def test_bad_line_names_file_and_line(tmp_path):
    path = write_text(osp.join(tmp_path, 'list.txt'), ['0/fer0032226.jpg', 'garbage line here x'])
    with pytest.raises(ValueError, match=r'list.txt:2: .*ferplus_pose'):
        parse_subset_file(path)
    with pytest.raises(ValueError, match='unknown subset_format'):
        parse_subset_file(path, 'nope')
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        parse_subset_file(osp.join(tmp_path, 'missing.txt'))


def test_rafdb_pose_label_file(tmp_path):
    lst = write_text(osp.join(tmp_path, 'l.txt'), ['0/test_0004_aligned.jpg',
                                                   '4/test_0006_aligned.jpg'])
    good = write_text(osp.join(tmp_path, 'lab.txt'), ['2 7', '0', '4'])
    assert [e.label for e in parse_subset_file(lst, label_file=good)[1]] == [0, 4]
    wrong_count = write_text(osp.join(tmp_path, 'lab2.txt'), ['3 7', '0', '4'])
    with pytest.raises(ValueError, match=r'lab2.txt:1: header'):
        parse_subset_file(lst, label_file=wrong_count)
    disagree = write_text(osp.join(tmp_path, 'lab3.txt'), ['2 7', '0', '5'])
    with pytest.raises(ValueError, match=r'l.txt:2: label 4 disagrees .* 5'):
        parse_subset_file(lst, label_file=disagree)
