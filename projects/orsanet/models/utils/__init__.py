"""Small building blocks shared by the ORSANet modules."""
from .prior_cache import PriorCache
from .safe_compile import SafeCompiled
from .token_adapters import ImageTokens, LandmarkTokens, SemanticProjection

__all__ = ['ImageTokens', 'LandmarkTokens', 'PriorCache', 'SafeCompiled', 'SemanticProjection']
