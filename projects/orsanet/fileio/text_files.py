"""Reading the text files users hand over (image lists, label files, CSVs), one way for all.

Every reader of a list or CSV goes through :func:`read_text`: UTF-8 with or without a byte-order
mark, any line ending (``\\n``, ``\\r\\n``, ``\\r``). Anything else (UTF-16, Latin-1, binary)
fails with the file, the line and what to do, instead of a raw ``UnicodeDecodeError`` or a first
line silently lost to a BOM.
"""
import codecs
import csv
import io
import os.path as osp
from typing import List, Tuple

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
RESAVE = 'save it as UTF-8 (e.g. `iconv -f <its encoding> -t utf-8 FILE > NEW`)'


class TextFileError(ValueError):
    """A text file that is not UTF-8 text; the message names the file and line."""


def _line_of(data: bytes, offset: int) -> int:
    """1-based line number of byte ``offset`` (``\\n``, ``\\r\\n`` or ``\\r`` line ends)."""
    head = data[:offset]
    return head.count(b'\n') + head.replace(b'\r\n', b'\n').count(b'\r') + 1


def read_text(path: str, what: str = 'text file') -> str:
    """The whole file as a str: UTF-8 (BOM dropped), line ends kept as written.

    Args:
        path (str): The file.
        what (str): What the file is, for the error messages (``'annotation file'``).

    Raises:
        FileNotFoundError: The file does not exist.
        TextFileError: The file is UTF-16, holds NUL bytes or is not valid UTF-8; the message
            names ``path:line``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path} does not exist')
    with open(path, 'rb') as f:
        data = f.read()
    if data.startswith(UTF16_BOMS):
        raise TextFileError(f'{path}:1: {what} is UTF-16 text (byte-order mark '
                            f'{data[:2].hex(" ")}); {RESAVE}')
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    nul = data.find(b'\x00')
    if nul >= 0:
        raise TextFileError(f'{path}:{_line_of(data, nul)}: {what} holds NUL bytes: it is '
                            f'UTF-16 or binary, not UTF-8 text; {RESAVE}')
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as err:
        line = _line_of(data, err.start)
        column = err.start - max(data.rfind(b'\n', 0, err.start), data.rfind(b'\r', 0, err.start))
        raise TextFileError(
            f'{path}:{line}: {what} is not UTF-8 (byte 0x{data[err.start]:02x} at column '
            f'{column}; Latin-1 or another legacy encoding?); {RESAVE}') from None


def read_lines(path: str, what: str = 'text file') -> List[Tuple[int, str]]:
    """``(line number, stripped line)`` of the non-blank lines of a UTF-8 text file."""
    lines = io.StringIO(read_text(path, what), newline=None)  # universal line ends
    return [(number, line.strip()) for number, line in enumerate(lines, 1) if line.strip()]


def read_csv_rows(path: str, what: str = 'CSV file') -> List[Tuple[int, List[str]]]:
    """``(line number, cells)`` of the non-empty rows of a UTF-8 CSV file (the number is the
    row's last line, as :attr:`csv.reader.line_num` counts)."""
    reader = csv.reader(io.StringIO(read_text(path, what), newline=''))
    rows = []
    for row in reader:
        if row:
            rows.append((reader.line_num, row))
    return rows
