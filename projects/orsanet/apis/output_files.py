"""The files an inferencer run writes into ``out_dir``: unique drawn-image names, rows as made.

- :func:`drawn_file_names`: ``vis/<path>.png`` for every image or array input, the input's
  path relative to the folder that holds all the run's inputs (``a/x.jpg`` and ``b/x.jpg`` ->
  ``vis/a/x.png``, ``vis/b/x.png``); inputs of one folder that share a stem keep their extension
  (``x.jpg``, ``x.png`` -> ``vis/x_jpg.png``, ``vis/x_png.png``), so no drawn file overwrites
  another. The result table names each row's drawn file (``vis_file``).
- :class:`ResultsCSV`: ``results.csv`` written row by row, flushed after every input: a run that
  stops (an error, Ctrl-C, a killed process) keeps the rows of the inputs it finished.
"""
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

VIS_DIR = 'vis'


def _common_folder(paths: Sequence[str]) -> str:
    """The deepest folder holding every path ('' when there is none, e.g. other drives)."""
    folders = [osp.dirname(osp.abspath(p)) for p in paths]
    try:
        return osp.commonpath(folders) if folders else ''
    except ValueError:
        return ''


def drawn_file_names(items: Sequence[Tuple[str, object, str]]) -> Dict[int, str]:
    """``{index of the item: drawn file, relative to out_dir}`` for the image and array items of
    :func:`~orsanet.apis.image_io.expand_inputs` (videos write their own files)."""
    paths = [name for kind, _, name in items if kind == 'image']
    root = _common_folder(paths)
    stems: Dict[int, Tuple[str, str, str]] = {}  # index: (folder, stem, extension)
    for index, (kind, _, name) in enumerate(items):
        if kind == 'image':
            rel = osp.relpath(osp.abspath(name), root) if root else osp.basename(name)
            folder, base = osp.split(rel)
            stem, ext = osp.splitext(base)
            stems[index] = (folder, stem, ext.lstrip('.').lower())
        elif kind == 'array':
            stems[index] = ('', name, '')
    groups: Dict[Tuple[str, str], List[int]] = defaultdict(list)
    for index, (folder, stem, _) in stems.items():
        groups[(folder, stem)].append(index)
    names, used = {}, set()
    for index, (folder, stem, ext) in stems.items():
        shared = len({stems[i][2] for i in groups[(folder, stem)]}) > 1  # x.jpg and x.png
        base = f'{stem}_{ext}' if shared and ext else stem
        name, count = osp.join(VIS_DIR, folder, base + '.png'), 1
        while name in used:  # the same file given twice
            count += 1
            name = osp.join(VIS_DIR, folder, f'{base}_{count}.png')
        used.add(name)
        names[index] = name
    return names


class ResultsCSV:
    """``<out_dir>/results.csv``, rows appended as results are made (header first).

    Args:
        out_dir (str): The folder (made if missing); an old ``results.csv`` is replaced.
        to_dataframe (callable): ``results -> pandas.DataFrame`` (the inferencer's table).
    """

    def __init__(self, out_dir: str, to_dataframe) -> None:
        os.makedirs(out_dir, exist_ok=True)
        self.path = osp.join(out_dir, 'results.csv')
        self.to_dataframe = to_dataframe
        self._file = open(self.path, 'w', newline='', encoding='utf-8')
        self._header = True

    def write(self, results: Sequence[dict]) -> None:
        """Append the rows of ``results`` and flush them to disk."""
        if not results and not self._header:
            return
        self.to_dataframe(results).to_csv(self._file, header=self._header, index=False)
        self._header = False
        self._file.flush()

    def close(self) -> None:
        if self._header:  # nothing written: the header alone
            self.write([])
        self._file.close()

    def __enter__(self) -> 'ResultsCSV':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_results_csv(out_dir: Optional[str], to_dataframe) -> Optional[ResultsCSV]:
    """A :class:`ResultsCSV` in ``out_dir``, or None without one."""
    return None if out_dir is None else ResultsCSV(out_dir, to_dataframe)
