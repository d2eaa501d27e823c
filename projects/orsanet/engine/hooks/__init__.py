"""hooks of ORSANet-MM."""
from .dare_warmup_hook import DAREWarmupHook  # noqa: F401
