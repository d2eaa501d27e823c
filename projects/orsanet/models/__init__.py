"""Models: every module registers itself into the toolbox registry it belongs to."""
from . import backbones, classifiers, heads, losses, necks, priors, utils  # noqa: F401
