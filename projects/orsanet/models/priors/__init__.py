"""priors of ORSANet-MM: frozen mmseg / mmpose models wrapped for the classifier."""
from .base_prior import FrozenPrior
from .landmark_prior import LandmarkPrior
from .layer_adapters import LAYER_ADAPTERS, register_layer_adapter
from .semantic_prior import SemanticPrior

__all__ = [
    'FrozenPrior', 'SemanticPrior', 'LandmarkPrior', 'LAYER_ADAPTERS', 'register_layer_adapter'
]
