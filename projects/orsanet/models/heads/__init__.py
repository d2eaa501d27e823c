"""heads of ORSANet-MM."""
from .dare_head import DAREHead  # noqa: F401
from .gdc_head import GDCHead  # noqa: F401
