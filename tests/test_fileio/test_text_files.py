"""The one reader of users' text files: UTF-8 with or without BOM, any line end, and errors that
name the file and line for anything else."""
import pytest

from orsanet.fileio import TextFileError, read_csv_rows, read_lines, read_text

TEXT = 'first 1\nsecond 2\n\nthird 3\n'
LINES = [(1, 'first 1'), (2, 'second 2'), (4, 'third 3')]


def write_bytes(tmp_path, data: bytes) -> str:
    path = tmp_path / 'list.txt'
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize('data', [
    TEXT.encode(), b'\xef\xbb\xbf' + TEXT.encode(), TEXT.replace('\n', '\r\n').encode(),
    TEXT.replace('\n', '\r').encode(), b'\xef\xbb\xbf' + TEXT.replace('\n', '\r\n').encode()])
def test_utf8_with_or_without_bom_any_line_end(tmp_path, data):
    assert read_lines(write_bytes(tmp_path, data)) == LINES


def test_csv_rows_keep_line_numbers_and_quoted_cells(tmp_path):
    data = b'\xef\xbb\xbfa,b\r\n\r\n"x, y",2\r\n'
    assert read_csv_rows(write_bytes(tmp_path, data)) == [(1, ['a', 'b']), (3, ['x, y', '2'])]


@pytest.mark.parametrize('data,line,message', [
    (TEXT.encode('utf-16'), 1, r'UTF-16 text \(byte-order mark ff fe\)'),
    (TEXT.encode('utf-16-le'), 1, 'NUL bytes: it is UTF-16 or binary'),
    ('first 1\nsecond 2\ncafé 3\n'.encode('latin-1'), 3, r'not UTF-8 \(byte 0xe9 at column 4'),
    ('first 1\rcafé 3\r'.encode('latin-1'), 2, r'not UTF-8 \(byte 0xe9 at column 4'),
])
def test_other_encodings_fail_naming_file_and_line(tmp_path, data, line, message):
    path = write_bytes(tmp_path, data)
    with pytest.raises(TextFileError, match=rf'list.txt:{line}: image list .*{message}'):
        read_text(path, 'image list')
    with pytest.raises(TextFileError, match='save it as UTF-8'):
        read_lines(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'label file .*nope.txt does not exist'):
        read_text(str(tmp_path / 'nope.txt'), 'label file')
