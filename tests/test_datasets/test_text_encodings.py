"""Every dataset text input (RAF-DB list, AffectNet and FERPlus CSVs, subset lists and label
files) reads UTF-8 with or without BOM and any line end, and fails naming the file and line on
UTF-16 or Latin-1 text."""
import os.path as osp

import pytest
from fer_files import CODES, build, make_affectnet, make_ferplus, make_rafdb, recode, write_text

from orsanet.datasets import RAFDB, FERPlus
from orsanet.datasets.subsets import parse_subset_file
from orsanet.fileio import TextFileError

RAFDB_LIST = osp.join('EmoLabel', 'list_patition_label.txt')


@pytest.mark.parametrize('how', ['bom', 'cr'])
def test_rafdb_list_with_bom_or_cr_keeps_every_image(tmp_path, how):
    root = make_rafdb(tmp_path)
    recode(osp.join(root, RAFDB_LIST), how)
    train = RAFDB(data_root=root, split='train')
    # the BOM used to glue itself to 'train_00001.jpg', which then matched no split
    assert [osp.basename(train.get_data_info(i)['img_path']) for i in range(len(train))] == [
        'train_00001_aligned.jpg', 'train_00002_aligned.jpg', 'train_00003_aligned.jpg']
    assert list(train.get_gt_labels()) == [4, 0, 6]


@pytest.mark.parametrize('how,line,message', [
    ('utf16', 1, 'UTF-16'), ('utf16le', 1, 'NUL bytes'), ('latin1', 3, 'not UTF-8')])
def test_rafdb_list_in_another_encoding_names_file_and_line(tmp_path, how, line, message):
    root = make_rafdb(tmp_path)
    recode(osp.join(root, RAFDB_LIST), how, line=line)
    with pytest.raises(TextFileError, match=rf'list_patition_label.txt:{line}: .*{message}'):
        RAFDB(data_root=root)


def test_affectnet_csv_with_bom_keeps_its_header(tmp_path):
    ann = recode(make_affectnet(tmp_path, CODES), 'bom')
    assert list(build(tmp_path, ann).get_gt_labels()) == [0, 1, 2, 3, 4, 5, 6, 7, 1, 7]


def test_affectnet_csv_in_latin1_names_file_and_line(tmp_path):
    ann = recode(make_affectnet(tmp_path, CODES), 'latin1', line=3)
    with pytest.raises(TextFileError, match=r'training.csv:3: AffectNet CSV is not UTF-8'):
        build(tmp_path, ann)


def test_ferplus_csvs_with_bom_and_crlf(tmp_path):
    plain = FERPlus(data_root=make_ferplus(tmp_path / 'plain'), split='test')
    root = make_ferplus(tmp_path / 'bom')
    recode(osp.join(root, 'fer2013new.csv'), 'bom')
    recode(osp.join(root, 'fer2013.csv'), 'bom')
    bom = FERPlus(data_root=root, split='test')
    assert list(bom.get_gt_labels()) == list(plain.get_gt_labels()) == [6, 2]


def test_ferplus_csv_in_utf16_names_file(tmp_path):
    root = make_ferplus(tmp_path)
    recode(osp.join(root, 'fer2013new.csv'), 'utf16')
    with pytest.raises(TextFileError, match=r'fer2013new.csv:1: FERPlus CSV is UTF-16'):
        FERPlus(data_root=root)


def test_subset_list_and_label_file_with_bom(tmp_path):
    lst = recode(write_text(str(tmp_path / 'pose.txt'), ['0/test_0004_aligned.jpg',
                                                         '4/test_0006_aligned.jpg']), 'bom')
    labels = recode(write_text(str(tmp_path / 'labels.txt'), ['2 7', '0', '4']), 'bom')
    fmt, entries = parse_subset_file(lst, label_file=labels)
    assert fmt == 'rafdb_pose'
    assert [(e.key, e.label, e.line) for e in entries] == [('test_0004', 0, 1), ('test_0006', 4, 2)]
    occlusion = recode(write_text(str(tmp_path / 'occ.txt'), ['test_0003_aligned 3 4']), 'bom')
    assert parse_subset_file(occlusion)[1][0].key == 'test_0003'


@pytest.mark.parametrize('how,line,message', [('utf16', 1, 'UTF-16'), ('latin1', 2, 'not UTF-8')])
def test_subset_list_in_another_encoding_names_file_and_line(tmp_path, how, line, message):
    lst = recode(write_text(str(tmp_path / 'occ.txt'),
                            ['test_0003_aligned 3 4', 'test_0008_aligned 0 1']), how, line=line)
    with pytest.raises(TextFileError, match=rf'occ.txt:{line}: subset list .*{message}'):
        parse_subset_file(lst)
    labels = recode(write_text(str(tmp_path / 'lab.txt'), ['2 7', '0', '4']), how, line=line)
    with pytest.raises(TextFileError, match=rf'lab.txt:{line}: subset label file'):
        parse_subset_file(write_text(str(tmp_path / 'l.txt'), ['0/test_0004_aligned.jpg',
                                                               '4/test_0006_aligned.jpg']),
                          label_file=labels)
