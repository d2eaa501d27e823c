"""hooks of ORSANet-MM."""
from .dare_warmup_hook import DAREWarmupHook  # noqa: F401
from .test_progress_hook import TestProgressHook  # noqa: F401
