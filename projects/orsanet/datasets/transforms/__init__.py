"""transforms of ORSANet-MM."""
from .synthetic_occlusion import SyntheticOcclusion  # noqa: F401
