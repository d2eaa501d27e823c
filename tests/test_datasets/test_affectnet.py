"""AffectNet: official CSV (with and without header), 7/8 classes, per-class cap, folders."""
import os.path as osp

import numpy as np
import pytest
from fer_files import CODES, HEADER, build, csv_line, make_affectnet, name, write_text

from orsanet.datasets import AffectNet


@pytest.mark.parametrize('header', [True, False])
def test_csv_classes_and_dropped_codes(tmp_path, header):
    ann = make_affectnet(tmp_path, CODES, header=header)
    eight = build(tmp_path, ann)
    assert eight.CLASSES == ('Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger',
                             'Contempt')
    assert list(eight.get_gt_labels()) == [0, 1, 2, 3, 4, 5, 6, 7, 1, 7]  # 8..10 dropped
    seven = build(tmp_path, ann, num_classes=7)
    assert seven.CLASSES == eight.CLASSES[:7]
    assert list(seven.get_gt_labels()) == [0, 1, 2, 3, 4, 5, 6, 1]  # and Contempt
    assert seven.get_data_info(7)['img_path'] == osp.join(
        str(tmp_path), 'Manually_Annotated_Images', '2', f'{name(11)}.jpg')


def test_csv_errors(tmp_path):
    ann = make_affectnet(tmp_path, [0, 11])
    with pytest.raises(ValueError, match=r"training.csv:3: expression '11' is outside 0..10"):
        build(tmp_path, ann)
    ann = make_affectnet(tmp_path, [0, 1])
    write_text(ann, [HEADER, csv_line(0, 0), csv_line(5, 1)])  # image 5 was never written
    with pytest.raises(FileNotFoundError, match=rf'training.csv:3: image .*{name(5)}.jpg'):
        build(tmp_path, ann)
    write_text(ann, [HEADER, csv_line(0, 0), csv_line(0, 1)])
    with pytest.raises(ValueError, match=r'duplicate .* at .*training.csv:3 .*training.csv:2'):
        build(tmp_path, ann)
    with pytest.raises(FileNotFoundError, match='missing.csv'):
        build(tmp_path, 'missing.csv')
    with pytest.raises(ValueError, match='num_classes must be 7 or 8'):
        build(tmp_path, ann, num_classes=10)


def test_max_per_class_is_a_deterministic_cap(tmp_path):
    codes = [0] * 6 + [1] * 2 + [7] * 5
    ann = make_affectnet(tmp_path, codes)
    def paths(dataset):
        return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]

    capped = build(tmp_path, ann, max_per_class=3)
    assert np.bincount(capped.get_gt_labels()).tolist() == [3, 2, 0, 0, 0, 0, 0, 3]
    assert paths(build(tmp_path, ann, max_per_class=3)) == paths(capped)  # same every time
    assert paths(build(tmp_path, ann, max_per_class=3, seed=1)) != paths(capped)
    assert paths(capped) == sorted(paths(capped), key=paths(build(tmp_path, ann)).index)


def test_folder_layout_skips_dropped_class_folders(make_folders):
    root = make_folders({'train/0': ['a.jpg'], 'train/7': ['b.jpg'], 'train/Happy': ['c.jpg'],
                         'train/9': ['d.jpg']})
    eight = AffectNet(data_root=root, layout='folder', data_prefix='train')
    assert list(eight.get_gt_labels()) == [0, 7, 1]
    seven = AffectNet(data_root=root, layout='folder', data_prefix='train', num_classes=7)
    assert list(seven.get_gt_labels()) == [0, 1]
    bad = make_folders({'train/12': ['a.jpg']}, root='bad')
    with pytest.raises(ValueError, match=r'unknown class folder .*12'):
        AffectNet(data_root=bad, layout='folder', data_prefix='train')


def test_affectnet_subset_formats(tmp_path):
    ann = make_affectnet(tmp_path, [0, 3, 7, 6], csv_name='validation.csv', header=False)
    # the three AffectNet list formats as released: occlusion, pose 30, pose 45
    occ = write_text(str(tmp_path / 'occ.txt'), [f'val/0/{name(0)}/', f'val/7/{name(2)}/'])
    pose30 = write_text(str(tmp_path / 'p30.txt'), [f'3/{name(1)}.jpg'])
    pose45 = write_text(str(tmp_path / 'p45.txt'), [f'6/{name(3)}/8.jpg', f'7/{name(2)}/8.jpg'])
    eight = build(tmp_path, ann, tag_files=dict(occlusion=occ, pose30=pose30, pose45=pose45))
    assert [eight.get_data_info(i)['subset_tags'] for i in range(4)] == [
        ['occlusion'], ['pose30'], ['occlusion', 'pose45'], ['pose45']]
    # AffectNet-7 has no Contempt: list entries of label 7 are skipped, not errors
    seven = build(tmp_path, ann, num_classes=7, subset_file=occ, subset_tag='occlusion')
    assert len(seven) == 1 and seven.get_gt_labels().tolist() == [0]
