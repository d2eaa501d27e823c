"""apis of ORSANet-MM."""
from .cli import add_common_args, fit_dataloaders, load_config, route_compile

__all__ = ['add_common_args', 'fit_dataloaders', 'load_config', 'route_compile']
