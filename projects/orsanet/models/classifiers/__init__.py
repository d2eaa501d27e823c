"""Classifiers (mmpretrain MODELS)."""
from .orsanet import ORSANet

__all__ = ['ORSANet']
