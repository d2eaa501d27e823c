"""The import graph of the ``orsanet`` package has no circle.

Modules are parsed with :mod:`ast` (nothing is imported). An edge ``a -> b`` is an import in ``a``
of a module ``b`` of the package; ``from pkg import name`` is an edge to ``pkg.name`` when that is
a module, else to ``pkg`` (its ``__init__``). Two graphs are checked:

- module-level imports (statements run when ``a`` is imported: top level, ``if``/``try``/``with``
  blocks and class bodies; not function bodies, not ``if TYPE_CHECKING:`` blocks): a circle means
  a module may see a half-initialised one, depending on which of them a user imports first;
- every import, the ones inside functions too, except those of a package that contains ``a``
  (``import orsanet`` in a function, to register the plugin: Python has imported it before ``a``):
  a circle there is two modules that need each other (the issue-24 circles ``dlib_backends`` <->
  ``face_alignment`` <-> ``face_detection`` and ``fer_dataset`` <-> ``image_check`` were of this
  kind, hidden in function bodies).
"""
import ast
import os
import os.path as osp
from typing import Dict, List, Optional, Set

import pytest

PACKAGE_ROOT = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'projects', 'orsanet')


def package_modules(root: str, package: str) -> Dict[str, str]:
    """``{dotted module name: file}`` of every ``.py`` file under ``root`` (package ``package``)."""
    modules = {}
    for folder, _, files in os.walk(root):
        rel = osp.relpath(folder, root)
        parts = [package] + ([] if rel == '.' else rel.split(os.sep))
        for name in files:
            if name.endswith('.py'):
                stem = name[:-3]
                dotted = '.'.join(parts if stem == '__init__' else parts + [stem])
                modules[dotted] = osp.join(folder, name)
    return modules


def _module_level(body: List[ast.stmt]):
    """The import statements run when a module body runs (not in functions or TYPE_CHECKING)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, 'attr', None)
            if name != 'TYPE_CHECKING':
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in [node.body, node.orelse, node.finalbody] + [h.body for h in node.handlers]:
                yield from _module_level(block)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            yield from _module_level(node.body)


def _every_import(body: List[ast.stmt]):
    """Every import statement of a module, function bodies included."""
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute name ``from <node.module>`` refers to, relative imports resolved."""
    if not node.level:
        return node.module or ''
    base = module.split('.') if is_package else module.split('.')[:-1]
    base = base[:len(base) - (node.level - 1)]
    return '.'.join(base + ([node.module] if node.module else []))


def import_graph(modules: Dict[str, str], every: bool = False) -> Dict[str, Set[str]]:
    """``{module: modules of the package it imports}``: at module level, or (``every``) anywhere
    but imports of the packages that contain the module."""
    statements = _every_import if every else _module_level
    graph: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), filename=path)
        is_package = path.endswith('__init__.py')
        for node in statements(tree.body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _resolve(name, is_package, node)
                targets = [f'{source}.{alias.name}' if f'{source}.{alias.name}' in modules
                           else source for alias in node.names]
            graph[name].update(t for t in targets if t in modules and t != name
                               and not (every and name.startswith(t + '.')))
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """One circle ``[a, b, ..., a]`` of ``graph``, or None (depth-first search, three colours)."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node: str) -> Optional[List[str]]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


@pytest.mark.parametrize('every', [False, True], ids=['module-level', 'every-import'])
def test_orsanet_import_graph_has_no_cycle(every):
    modules = package_modules(PACKAGE_ROOT, 'orsanet')
    graph = import_graph(modules, every)
    # the graph is really built: the inferencer imports the face package's modules
    assert 'orsanet.faces.detection' in graph['orsanet.apis.fer_inferencer']
    assert 'orsanet.datasets.image_problems' in graph['orsanet.datasets.fer_dataset']
    assert ('orsanet.apis.deploy' in graph['orsanet.runtime.backends']) is every  # in a function
    cycle = find_cycle(graph)
    assert cycle is None, 'import circle: ' + ' -> '.join(cycle)


def test_apis_reexports_the_face_names():
    """User code of before the faces package (``from orsanet.apis import FaceTracker``) works."""
    import orsanet.apis as apis
    import orsanet.faces as faces
    moved = [n for n in apis.__all__ if hasattr(faces, n)]
    assert {'FaceTracker', 'build_face_detector', 'FaceAligner', 'dlib_available'} <= set(moved)
    assert all(getattr(apis, n) is getattr(faces, n) for n in moved)


def test_import_graph_finds_a_synthetic_cycle(tmp_path):
    pkg = tmp_path / 'pkg'
    (pkg / 'sub').mkdir(parents=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'sub' / '__init__.py').write_text('from .b import B\n')
    (pkg / 'a.py').write_text('import os\nfrom .sub import b\n\ndef f():\n    from . import c\n')
    (pkg / 'sub' / 'b.py').write_text('try:\n    from ..c import C\nexcept ImportError:\n'
                                      '    C = None\nB = 1\n')
    (pkg / 'c.py').write_text('from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n'
                              '    from .a import f\nclass C:\n    from .a import f\n')
    graph = import_graph(package_modules(str(pkg), 'pkg'))
    assert graph['pkg.a'] == {'pkg.sub.b'}  # the function-level import is not an edge
    assert graph['pkg.sub'] == {'pkg.sub.b'}
    assert find_cycle(graph) == ['pkg.a', 'pkg.sub.b', 'pkg.c', 'pkg.a']
    every = import_graph(package_modules(str(pkg), 'pkg'), every=True)
    assert every['pkg.a'] == {'pkg.sub.b', 'pkg.c'} and every['pkg.c'] == {'pkg.a'}
    (pkg / 'c.py').write_text('import os\n')  # the circle broken: no cycle left
    assert find_cycle(import_graph(package_modules(str(pkg), 'pkg'))) is None
