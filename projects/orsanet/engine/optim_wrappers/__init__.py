"""optim_wrappers of ORSANet-MM."""
from .sam_optim_wrapper import SAMOptimWrapper  # noqa: F401
