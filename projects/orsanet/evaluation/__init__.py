"""Evaluation metrics (mmpretrain METRICS)."""
from . import metrics  # noqa: F401
