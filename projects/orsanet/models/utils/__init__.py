"""Small building blocks shared by the ORSANet modules."""
from .token_adapters import ImageTokens, LandmarkTokens, SemanticProjection

__all__ = ['ImageTokens', 'LandmarkTokens', 'SemanticProjection']
