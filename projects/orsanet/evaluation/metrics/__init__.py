"""metrics of ORSANet-MM."""
from .atomic_dump_results import AtomicDumpResults
from .fer_metric import FERMetric

__all__ = ['AtomicDumpResults', 'FERMetric']
