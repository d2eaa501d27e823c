"""samplers of ORSANet-MM."""
from .imbalanced_sampler import ImbalancedSampler  # noqa: F401
