"""OccluFER: class folders AN, DI, FE, HA, NE, SA, SU (and CO), in the official order."""
import pytest

from orsanet.datasets import OccluFER

CODES = ('AN', 'CO', 'DI', 'FE', 'HA', 'NE', 'SA', 'SU')
OFFICIAL = ('Anger', 'Disgust', 'Fear', 'Happiness', 'Neutral', 'Sadness', 'Surprise')


def test_class_folders_in_official_order_co_last(make_folders):
    root = make_folders({f'valid/{code}': [f'{code}{i}.jpg' for i in range(i % 2 + 1)]
                         for i, code in enumerate(CODES)})
    dataset = OccluFER(data_root=root, data_prefix='valid')
    assert dataset.CLASSES == OFFICIAL + ('Contempt', )
    assert len(dataset) == 12
    # folders scanned AN, CO, DI, ...: AN -> 0, CO -> 7, DI -> 1, ...
    assert dataset.get_gt_labels().tolist() == [0, 7, 7, 1, 2, 2, 3, 4, 4, 5, 6, 6]
    assert dataset.get_data_info(1)['img_path'].endswith('valid/CO/CO0.jpg')


def test_classes_are_the_folders_present(make_folders):
    """The released data (no CO folder) has 7 classes, numbered as the official ImageFolder."""
    root = make_folders({f'train/{code}': [f'{code}.jpg'] for code in CODES if code != 'CO'})
    dataset = OccluFER(data_root=root, data_prefix='train')
    assert dataset.CLASSES == OFFICIAL
    assert dataset.get_gt_labels().tolist() == list(range(7))
    fixed = OccluFER(data_root=root, data_prefix='train', classes=OFFICIAL + ('CO', ))
    assert len(fixed.CLASSES) == 8 and fixed.get_gt_labels().tolist() == list(range(7))


def test_unknown_folder_and_empty_split(make_folders):
    root = make_folders({'train/AN': ['a.jpg'], 'train/XX': ['b.jpg']})
    with pytest.raises(ValueError, match=r'unknown class folder .*train/XX'):
        OccluFER(data_root=root, data_prefix='train')
    with pytest.raises(FileNotFoundError, match=r'image folder .*valid does not exist'):
        OccluFER(data_root=root, data_prefix='valid')
    empty = make_folders({}, root='empty')
    with pytest.raises(ValueError, match='no samples found'):
        OccluFER(data_root=empty)

