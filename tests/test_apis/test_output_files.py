"""Issue 24, bad input without a model: unique drawn-file names, results.csv written row by row,
and the pixel limit checked from the header before an image is decoded."""
import os.path as osp
import struct
import zlib

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageFile

from orsanet.apis.image_io import DEFAULT_MAX_PIXELS, UnreadableInputError, load_image
from orsanet.apis.output_files import ResultsCSV, drawn_file_names


def png_header_only(path, width: int, height: int) -> None:
    """A PNG that says it is width x height (a decompression bomb's header), no pixel data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack(
            '>I', zlib.crc32(kind + data) & 0xffffffff)

    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'')))


def test_drawn_file_names_are_unique_and_keep_the_relative_paths(tmp_path):
    items = [('image', None, str(tmp_path / 'a' / 'x.jpg')),
             ('image', None, str(tmp_path / 'b' / 'x.jpg')),
             ('image', None, str(tmp_path / 'b' / 'y.jpg')),
             ('image', None, str(tmp_path / 'b' / 'y.png')),
             ('video', None, str(tmp_path / 'b' / 'clip.mp4')),
             ('array', None, 'array_5'),
             ('image', None, str(tmp_path / 'b' / 'x.jpg'))]  # the same file again
    names = drawn_file_names(items)
    assert names == {0: osp.join('vis', 'a', 'x.png'), 1: osp.join('vis', 'b', 'x.png'),
                     2: osp.join('vis', 'b', 'y_jpg.png'), 3: osp.join('vis', 'b', 'y_png.png'),
                     5: osp.join('vis', 'array_5.png'), 6: osp.join('vis', 'b', 'x_2.png')}
    # one folder of inputs: names relative to it, as before (vis/<stem>.png)
    assert drawn_file_names([('image', None, str(tmp_path / 'p.png'))]) == {
        0: osp.join('vis', 'p.png')}


def test_results_csv_rows_are_on_disk_before_the_run_ends(tmp_path):
    def to_dataframe(results):
        return pd.DataFrame([dict(source=r) for r in results], columns=['source'])

    table = ResultsCSV(str(tmp_path), to_dataframe)
    table.write(['a'])
    assert pd.read_csv(tmp_path / 'results.csv')['source'].tolist() == ['a']
    table.write(['b', 'c'])
    assert pd.read_csv(tmp_path / 'results.csv')['source'].tolist() == ['a', 'b', 'c']
    table.close()
    with ResultsCSV(str(tmp_path), to_dataframe):  # a new run: the old rows replaced
        pass
    assert open(tmp_path / 'results.csv').read().strip() == 'source'


def test_a_bomb_is_refused_from_its_header_before_decoding(tmp_path, monkeypatch):
    """A 14000 x 14000 PNG (196 million pixels) raised PIL's DecompressionBombError as a raw
    traceback; now it is an UnreadableInputError naming the size and the limit, and nothing is
    decoded (ImageFile.load is never called)."""
    bomb = str(tmp_path / 'bomb.png')
    png_header_only(bomb, 14000, 14000)

    def no_decoding(self):
        raise AssertionError('decoded')

    monkeypatch.setattr(ImageFile.ImageFile, 'load', no_decoding)
    with pytest.raises(UnreadableInputError, match=r'bomb.png is 14000 x 14000 = 196,000,000 '
                       r'pixels, over the limit of 100,000,000 \(max_pixels; --max-pixels'):
        load_image(bomb)
    assert DEFAULT_MAX_PIXELS == 100_000_000


def test_the_pixel_limit_is_the_users_and_pil_s_own_guard_is_caught(tmp_path, monkeypatch):
    path = str(tmp_path / 'photo.png')
    Image.fromarray(np.full((40, 50, 3), 7, np.uint8)).save(path)
    with pytest.raises(UnreadableInputError, match='50 x 40 = 2,000 pixels'):
        load_image(path, max_pixels=1999)
    image, _ = load_image(path, max_pixels=2000)
    assert image.shape == (40, 50, 3)
    # a limit above PIL's own: PIL's guard is lifted (and put back)
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 500)
    assert load_image(path, max_pixels=10_000)[0].shape == (40, 50, 3)
    assert Image.MAX_IMAGE_PIXELS == 500
    # max_pixels=None: PIL's limit, its DecompressionBombError an unreadable input
    with pytest.raises(UnreadableInputError, match='decompression bomb'):
        load_image(path, max_pixels=None)
