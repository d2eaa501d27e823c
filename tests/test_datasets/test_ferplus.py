"""FERPlus: fer2013.csv pixels + fer2013new.csv votes, the majority rule, folders, subsets."""
import os.path as osp

import numpy as np
import pytest
from fer_files import NEW_HEADER, ROWS, make_ferplus, write_text

from orsanet.datasets import FERPlus
from orsanet.datasets.ferplus import majority_label


@pytest.mark.parametrize('votes,label', [
    ([4, 0, 0, 1, 3, 2, 0, 0, 0, 0], 0),
    ([0, 0, 0, 0, 0, 0, 0, 3, 2, 2], 7),
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], None),     # no votes
    ([3, 0, 0, 0, 0, 0, 0, 0, 3, 0], None),     # unknown ties the max
    ([0, 0, 0, 0, 0, 0, 0, 0, 1, 6], None),     # not a face
    ([0, 5, 5, 0, 0, 0, 0, 0, 0, 0], None),     # two expressions tie
    ([0, 5, 4, 0, 0, 0, 0, 0, 4, 0], 1),
])
def test_majority_rule(votes, label):
    assert majority_label(votes) == label


def test_csv_splits_labels_and_pixels(tmp_path):
    root = make_ferplus(tmp_path)
    train = FERPlus(data_root=root, split='train')
    assert train.CLASSES == ('Neutral', 'Happiness', 'Surprise', 'Sadness', 'Anger', 'Disgust',
                             'Fear', 'Contempt')
    assert train.get_gt_labels().tolist() == [0, 1]
    assert FERPlus(data_root=root, split='val').get_gt_labels().tolist() == [7]
    test = FERPlus(data_root=root, split='test', test_mode=True,
                   pipeline=[dict(type='Resize', scale=(16, 16)), dict(type='PackInputs')])
    assert test.get_gt_labels().tolist() == [6, 2]
    sample = test[1]
    assert sample['inputs'].shape == (3, 16, 16)
    assert sample['data_samples'].img_path == 'fer0000007.png'
    raw = FERPlus(data_root=root, split='test', test_mode=True)[0]['img']
    assert raw.shape == (48, 48, 3)
    np.testing.assert_array_equal(raw[0, :3, 0], [60, 61, 62])  # row 6 of fer2013.csv


def test_csv_errors(tmp_path):
    root = make_ferplus(tmp_path)
    with pytest.raises(ValueError, match='remove LoadImageFromFile'):
        FERPlus(data_root=root, pipeline=[dict(type='LoadImageFromFile')])
    write_text(osp.join(root, 'fer2013new.csv'), [NEW_HEADER, 'Training,fer0000000.png,1,0'])
    with pytest.raises(ValueError, match='has 1 rows but .*fer2013.csv has 8'):
        FERPlus(data_root=root)
    make_ferplus(tmp_path, ROWS[:1] + [('Training', 'fer0000001.png', '0,x,0,0,0,0,0,0,0,0')])
    with pytest.raises(ValueError, match=r'fer2013new.csv:3: vote counts'):
        FERPlus(data_root=root)
    make_ferplus(tmp_path, ROWS[:2] + [('Training', 'fer0000000.png', '0,3,0,0,0,0,0,0,0,0')])
    with pytest.raises(ValueError, match=r'duplicate entry .*fer2013new.csv:4 .*fer2013new.csv:2'):
        FERPlus(data_root=root)
    with pytest.raises(FileNotFoundError, match='fer2013new.csv does not exist'):
        FERPlus(data_root=str(tmp_path / 'none'))
    make_ferplus(tmp_path)
    rows = open(osp.join(root, 'fer2013.csv')).read().splitlines()
    rows[2] = rows[2].replace(' 11 ', ' 300 ')  # fer0000001.png, a train image
    write_text(osp.join(root, 'fer2013.csv'), rows)
    with pytest.raises(ValueError, match=r'fer2013new.csv:3 .*fer2013.csv:3.*corrupt image'):
        FERPlus(data_root=root)
    assert FERPlus(data_root=root, skip_corrupt=True).get_gt_labels().tolist() == [0]
    with pytest.raises(FileNotFoundError, match='other.csv does not exist'):
        FERPlus(data_root=root, pixels_file='other.csv')


def test_folder_layout_and_subsets(make_folders, tmp_path):
    root = make_folders({'test/0': ['fer0032226.png', 'fer0034656.png'],
                         'test/happiness': ['fer0032227.png'], 'test/Fear': ['fer0033359.png']})
    dataset = FERPlus(data_root=root, layout='folder', data_prefix='test')
    assert dataset.get_gt_labels().tolist() == [0, 0, 6, 1]
    # FERPlus occlusion (CRLF, "<label>_<name>.png <a> <b>") and pose ("<label>/<name>.jpg")
    occ = write_text(str(tmp_path / 'occ.txt'), ['0_fer0034656.png 8 0', '6_fer0033359.png 8 2'],
                     newline='\r\n')
    pose = write_text(str(tmp_path / 'pose.txt'), ['0/fer0032226.jpg', '1/fer0032227.jpg'])
    subset = FERPlus(data_root=root, layout='folder', data_prefix='test', subset_file=occ,
                     subset_tag='occlusion', tag_files=dict(pose30=pose))
    assert subset.get_gt_labels().tolist() == [0, 6]
    assert [subset.get_data_info(i)['subset_tags'] for i in range(2)] == [
        ['occlusion'], ['occlusion']]
    bad = write_text(str(tmp_path / 'bad.txt'), ['9/fer0032226.jpg'])
    with pytest.raises(ValueError, match=r'bad.txt:1: label 9 is outside 0..7'):
        FERPlus(data_root=root, layout='folder', data_prefix='test', subset_file=bad)
