"""Readers of the occlusion / pose subset lists published with RAN (Wang et al., 2020).

Each list names test images of one dataset, in one of these formats (labels 0-based in the
dataset's own class order; ``\\r\\n`` line ends are accepted):

==================== ======================================== =====================================
format               line                                     key of the image
==================== ======================================== =====================================
``rafdb_occlusion``  ``test_0003_aligned 3 4`` (name label tag) ``test_0003``
``rafdb_pose``       ``0/test_0004_aligned.jpg`` (+ label file) ``test_0004``
``ferplus_occlusion`` ``1_fer0034656.png 8 0`` (label_name a b)  ``fer0034656``
``ferplus_pose``     ``0/fer0032226.jpg``                       ``fer0032226``
``affectnet``        ``val/0/<hash>/``, ``0/<hash>.jpg``,       ``<hash>``
                     ``0/<hash>/8.jpg``
==================== ======================================== =====================================

The RAF-DB pose label file has a header line (``<count> <num_classes>``) and then one label a line,
in the order of the list. An image is matched to a dataset sample by its key: the file name without
folder, extension and ``_aligned`` suffix (see :func:`image_key`).
"""
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from ..fileio import read_lines

SUBSET_FORMATS = ('rafdb_occlusion', 'rafdb_pose', 'ferplus_occlusion', 'ferplus_pose', 'affectnet')

_AFFECTNET = re.compile(r'^(?:(?:val|train)/)?(\d+)/([0-9a-fA-F]{20,})(?:\.\w+|/.*)?$')
_LABEL_SLASH_NAME = re.compile(r'^(\d+)/([^/\s]+)$')
_NAME_LABEL_TAG = re.compile(r'^(\S+)\s+(\d+)\s+(\S+)$')
_FERPLUS_OCC = re.compile(r'^(\d+)_(\S+)\s+(\S+)\s+(\S+)$')


@dataclass
class SubsetEntry:
    """One image of a subset list: match ``key``, list ``label`` (or None), source ``line``."""
    key: str
    label: Optional[int]
    line: int
    extra: Tuple[str, ...] = field(default_factory=tuple)


def image_key(name: str) -> str:
    """Key that matches an image across layouts: ``a/b/test_0003_aligned.jpg`` -> ``test_0003``."""
    stem = osp.splitext(osp.basename(name.rstrip('/')))[0]
    return stem[:-len('_aligned')] if stem.endswith('_aligned') else stem


def detect_format(line: str) -> str:
    """Guess the subset format from one line of the list (see the module docstring)."""
    line = line.strip()
    if _AFFECTNET.match(line):
        return 'affectnet'
    if _FERPLUS_OCC.match(line):
        return 'ferplus_occlusion'
    if _NAME_LABEL_TAG.match(line):
        return 'rafdb_occlusion'
    match = _LABEL_SLASH_NAME.match(line)
    if match:
        return 'rafdb_pose' if re.match(r'^(train|test)_', match.group(2)) else 'ferplus_pose'
    raise ValueError(f'cannot tell the subset format of the line {line!r}; pass subset_format, one '
                     f'of {SUBSET_FORMATS}')


def _parse_line(fmt: str, line: str) -> Optional[Tuple[str, int, Tuple[str, ...]]]:
    if fmt == 'affectnet':
        match = _AFFECTNET.match(line)
        return match and (match.group(2), int(match.group(1)), ())
    if fmt == 'ferplus_occlusion':
        match = _FERPLUS_OCC.match(line)
        return match and (image_key(match.group(2)), int(match.group(1)), match.groups()[2:])
    if fmt == 'rafdb_occlusion':
        match = _NAME_LABEL_TAG.match(line)
        return match and (image_key(match.group(1)), int(match.group(2)), (match.group(3), ))
    match = _LABEL_SLASH_NAME.match(line)  # rafdb_pose, ferplus_pose
    return match and (image_key(match.group(2)), int(match.group(1)), ())


def _read_lines(path: str, what: str = 'subset list') -> List[Tuple[int, str]]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} {path} does not exist')
    return read_lines(path, what)


def _read_label_file(path: str, num_entries: int) -> List[int]:
    """Labels of a RAF-DB pose label file: header ``<count> <num_classes>``, then a label a line."""
    lines = _read_lines(path, 'subset label file')
    if not lines:
        raise ValueError(f'{path}: empty label file (expected a header line, then labels)')
    header = lines[0][1].split()
    if not header or not header[0].isdigit() or int(header[0]) != num_entries:
        raise ValueError(f'{path}:{lines[0][0]}: header {lines[0][1]!r} should start with the '
                         f'number of entries of the list ({num_entries})')
    labels = []
    for number, text in lines[1:]:
        if not text.isdigit():
            raise ValueError(f'{path}:{number}: label {text!r} is not a non-negative integer')
        labels.append(int(text))
    if len(labels) != num_entries:
        raise ValueError(f'{path}: {len(labels)} labels after the header, but the list has '
                         f'{num_entries} entries')
    return labels


def parse_subset_file(path: str,
                      fmt: Optional[str] = None,
                      label_file: Optional[str] = None) -> Tuple[str, List[SubsetEntry]]:
    """Read a subset list.

    Args:
        path (str): The list file.
        fmt (str, optional): One of :data:`SUBSET_FORMATS`; detected from the first line if None.
        label_file (str, optional): RAF-DB pose label file; its labels must agree with the list.

    Returns:
        tuple[str, list[SubsetEntry]]: the format and the entries, in file order.
    """
    lines = _read_lines(path)
    if not lines:
        raise ValueError(f'subset list {path} is empty')
    if fmt is None:
        fmt = detect_format(lines[0][1])
    elif fmt not in SUBSET_FORMATS:
        raise ValueError(f'unknown subset_format {fmt!r}; use one of {SUBSET_FORMATS}')
    entries = []
    for number, text in lines:
        parsed = _parse_line(fmt, text)
        if not parsed:
            raise ValueError(f'{path}:{number}: {text!r} is not a line of the {fmt!r} format')
        entries.append(SubsetEntry(parsed[0], parsed[1], number, parsed[2]))
    if label_file is not None:
        for entry, label in zip(entries, _read_label_file(label_file, len(entries))):
            if entry.label != label:
                raise ValueError(f'{path}:{entry.line}: label {entry.label} disagrees with the '
                                 f'label {label} of {label_file}')
    return fmt, entries
