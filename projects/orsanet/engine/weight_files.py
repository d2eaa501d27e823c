"""Which weight files a config needs, and a check that stops before training if any is missing.

ORSANet's recipes start from released weights (the IR-50 face backbone, the SegFace parser, the
MobileFaceNet landmarks) converted into OpenMMLab checkpoints. Nothing is downloaded: a config
that names a file that is not there would otherwise fail on the first one only, after building
half the model. :func:`check_weight_files` lists every missing file at once, each with the
command that makes it, and exits with status 1.
"""
import os.path as osp
from typing import Any, Iterator, List, Tuple

from mmengine.config import Config

from ..checkpoints import REMOTE_PREFIXES

# The converted file each recipe names -> the command that makes it from the released file.
CONVERTERS = {
    'ir50_mmpretrain.pth':
    'python tools/model_converters/ir50_to_mmpretrain.py ir50.pth {path}',
    'segface_swinb_lapa_mmseg.pth':
    'python tools/model_converters/segface_to_mmseg.py model_299.pt {path}',
    'mobilefacenet_68pt_mmpose.pth':
    'python tools/model_converters/mobilefacenet_to_mmpose.py '
    'mobilefacenet_model_best.pth.tar {path}',
}


def _walk(node: Any, key: str) -> Iterator[Tuple[str, str]]:
    if isinstance(node, dict):
        for name, value in node.items():
            path = f'{key}.{name}' if key else name
            if name == 'checkpoint' and isinstance(value, str):
                yield path, value
            else:
                yield from _walk(value, path)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _walk(value, f'{key}[{index}]')


def weight_files(cfg: Config, with_init: bool = True) -> List[Tuple[str, str]]:
    """``(config key, file)`` of every weight file the config's model names: the priors'
    ``checkpoint`` and, with ``with_init``, ``init_cfg`` ``Pretrained`` checkpoints (used when
    training starts; a test loads a whole checkpoint instead)."""
    found = [(key, path) for key, path in _walk(cfg.get('model', {}), 'model')
             if with_init or '.init_cfg' not in key]
    if with_init and cfg.get('load_from') and not cfg.get('resume'):
        found.append(('load_from', cfg.load_from))
    return found


def missing_weight_files(cfg: Config, with_init: bool = True) -> List[str]:
    """One line per missing (or remote) weight file: the key, the file and how to make it."""
    lines = []
    for key, path in weight_files(cfg, with_init):
        if path.startswith(REMOTE_PREFIXES):
            lines.append(f'  {key} = {path}: remote; nothing is downloaded at run time, fetch '
                         'it and give the local path')
        elif not osp.isfile(path):
            command = CONVERTERS.get(osp.basename(path), '').format(path=path)
            how = f'make it with: {command}' if command else 'train or convert it first'
            lines.append(f'  {key} = {path}: missing; {how}')
    return lines


TRAINING_HINT = ('The released weights are listed in docs/training.md. To train the IR-50 from '
                 'scratch instead, say so: --cfg-options model.backbone.init_cfg=None.')


def check_weight_files(cfg: Config, with_init: bool = True, hint: str = TRAINING_HINT) -> None:
    """Exit with status 1, listing every missing weight file of ``cfg`` and its converter."""
    lines = missing_weight_files(cfg, with_init)
    if lines:
        raise SystemExit(
            f'error: {cfg.filename} needs {len(lines)} weight file(s) that are not there:\n'
            + '\n'.join(lines) + f'\n({hint})')
