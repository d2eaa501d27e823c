#!/usr/bin/env python
"""pip's package sources as uv options, for tools/setup_env.sh.

Reads what ``pip config list`` prints on stdin (``global.find-links='/opt/wheels'``,
``:env:.index-url='...'``) and prints, one per line, the ``uv pip install`` options that make uv
take packages from the same places under the same rules: the index (``--default-index``), the
extra indexes (``--index``), find-links, constraint files (a machine's cap on torch), no-index,
and pip's choice of the best version over all indexes (``--index-strategy unsafe-best-match``).
The environment wins over the ``install`` section, which wins over ``global``, as in pip.
"""
import ast
import sys
from typing import Dict, Iterable, List, Tuple

SECTION_RANK = {'global': 0, 'install': 1, ':env:': 2}
OPTIONS = (('index-url', '--default-index'), ('extra-index-url', '--index'),
           ('find-links', '--find-links'), ('constraint', '--constraint'))


def pip_settings(lines: Iterable[str]) -> Dict[str, str]:
    """``section.name='value'`` lines (pip prints the value's repr) -> {name: value}, the
    highest-ranked section winning."""
    ranked: Dict[str, Tuple[int, str]] = {}
    for line in lines:
        key, sep, value = line.strip().partition('=')
        section, _, name = key.rpartition('.')
        rank = SECTION_RANK.get(section)
        if not sep or rank is None or rank < ranked.get(name, (-1, ''))[0]:
            continue
        ranked[name] = (rank, str(ast.literal_eval(value)) if value else '')  # pip prints repr
    return {name: value for name, (_, value) in ranked.items()}


def uv_options(settings: Dict[str, str]) -> List[str]:
    """pip settings -> ``uv pip install`` arguments (each value of a list setting its own)."""
    args = ['--index-strategy', 'unsafe-best-match']
    for name, flag in OPTIONS:
        for value in settings.get(name, '').split():
            args += [flag, value]
    if settings.get('no-index', '').lower() in ('1', 'true', 'yes', 'on'):
        args.append('--no-index')
    return args


if __name__ == '__main__':
    print('\n'.join(uv_options(pip_settings(sys.stdin))))
