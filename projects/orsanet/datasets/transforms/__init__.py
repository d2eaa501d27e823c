"""transforms of ORSANet-MM."""
from .official_transforms import PILResize, TorchvisionErasing  # noqa: F401
from .synthetic_occlusion import SyntheticOcclusion  # noqa: F401
