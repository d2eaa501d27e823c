"""Fixtures of the dataset tests."""
import os
import os.path as osp

import pytest
from fer_files import write_image


@pytest.fixture
def make_folders(tmp_path):
    """``make_folders({'train/HA': ['a.jpg'], ...})`` -> root with those images."""
    def make(layout: dict, root: str = 'folders') -> str:
        base = osp.join(str(tmp_path), root)
        for folder, names in layout.items():
            for i, name in enumerate(names):
                write_image(osp.join(base, folder, name), value=i)
        os.makedirs(base, exist_ok=True)
        return base
    return make
