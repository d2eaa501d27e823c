"""necks of ORSANet-MM."""
from .mcm_neck import MCMNeck  # noqa: F401
from .spade_fusion import SPADEFusion  # noqa: F401
