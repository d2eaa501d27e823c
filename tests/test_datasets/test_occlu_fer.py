"""OccluFER: class folders AN, CO, DI, FE, HA, NE, SA, SU."""
import pytest

from orsanet.datasets import OccluFER

CODES = ('AN', 'CO', 'DI', 'FE', 'HA', 'NE', 'SA', 'SU')


def test_class_folders_in_code_order(make_folders):
    root = make_folders({f'valid/{code}': [f'{code}{i}.jpg' for i in range(i % 2 + 1)]
                         for i, code in enumerate(CODES)})
    dataset = OccluFER(data_root=root, data_prefix='valid')
    assert dataset.CLASSES == ('Anger', 'Contempt', 'Disgust', 'Fear', 'Happiness', 'Neutral',
                               'Sadness', 'Surprise')
    assert len(dataset) == 12
    assert dataset.get_gt_labels().tolist() == [0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7]
    assert dataset.get_data_info(1)['img_path'].endswith('valid/CO/CO0.jpg')


def test_unknown_folder_and_empty_split(make_folders):
    root = make_folders({'train/AN': ['a.jpg'], 'train/XX': ['b.jpg']})
    with pytest.raises(ValueError, match=r'unknown class folder .*train/XX'):
        OccluFER(data_root=root, data_prefix='train')
    with pytest.raises(FileNotFoundError, match=r'image folder .*valid does not exist'):
        OccluFER(data_root=root, data_prefix='valid')
    empty = make_folders({}, root='empty')
    with pytest.raises(ValueError, match='no samples found'):
        OccluFER(data_root=empty)

