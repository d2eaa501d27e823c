"""ORSANet-MM: occlusion-robust facial expression recognition as OpenMMLab modules.

Importing this package first applies the compatibility patches of :mod:`orsanet.compat`, then
registers every module into the OpenMMLab registry it belongs to, so a config needs only::

    custom_imports = dict(imports=['orsanet'], allow_failed_imports=False)
"""
from . import compat

compat.apply()

from . import apis, datasets, engine, evaluation, faces, models, visualization  # noqa: E402,F401
from .version import __version__  # noqa: E402,F401
