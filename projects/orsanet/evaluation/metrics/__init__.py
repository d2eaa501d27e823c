"""metrics of ORSANet-MM."""
from .fer_metric import FERMetric

__all__ = ['FERMetric']
