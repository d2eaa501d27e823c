"""A hint naming the scope that holds a registry name used in the wrong one.

ORSANet registers into three toolboxes' registries: mmpretrain (the classifier, IResNet, necks,
heads), mmseg (``FaceSwinTransformer``) and mmpose (``MobileFaceNet``). In an mmpretrain config,
``type='MobileFaceNet'`` is not found; ``type='mmpose.MobileFaceNet'`` is. Where the project's
tools build a model, the registry's KeyError gets that hint.
"""
import contextlib
import importlib
import re
from typing import Iterator, List

# Toolboxes whose MODELS registry may hold a name (the ones orsanet registers into first).
SCOPES = ('mmpretrain', 'mmseg', 'mmpose', 'mmdet')
_NOT_FOUND = re.compile(r'^(\S+) is not in the (\w+)::(\w+) registry')


def scopes_holding(name: str) -> List[str]:
    """The toolboxes of :data:`SCOPES` whose MODELS registry holds ``name`` (importable ones)."""
    found = []
    for scope in SCOPES:
        try:
            registry = importlib.import_module(f'{scope}.registry').MODELS
            importlib.import_module(f'{scope}.models')  # registers the toolbox's own modules
        except ImportError:
            continue
        if name in registry.module_dict:
            found.append(scope)
    return found


def hint_for(error: KeyError) -> str:
    """The hint for a registry KeyError ('' if it is not one or no other scope holds the name)."""
    match = _NOT_FOUND.match(str(error.args[0]) if error.args else '')
    if match is None:
        return ''
    name, scope = match.group(1), match.group(2)
    others = [s for s in scopes_holding(name) if s != scope]
    if not others:
        return ''
    prefixed = ' or '.join(f"type='{s}.{name}'" for s in others)
    return (f'{name} is registered in the {" and ".join(others)} scope, not in {scope}: '
            f'write {prefixed} in the config (docs/mixing.md)')


@contextlib.contextmanager
def registry_scope_hint() -> Iterator[None]:
    """Re-raise a registry KeyError with :func:`hint_for`'s hint, when there is one."""
    try:
        yield
    except KeyError as error:
        hint = hint_for(error)
        if not hint:
            raise
        raise KeyError(f'{error.args[0]}\n{hint}') from error
