"""losses of ORSANet-MM."""
from .dare_loss import DARELoss  # noqa: F401
