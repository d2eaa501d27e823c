"""apis of ORSANet-MM."""
from .cli import add_common_args, load_config

__all__ = ['add_common_args', 'load_config']
