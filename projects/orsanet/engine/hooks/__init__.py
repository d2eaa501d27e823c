"""hooks of ORSANet-MM."""
from .channels_last_hook import ChannelsLastHook  # noqa: F401
from .dare_warmup_hook import DAREWarmupHook  # noqa: F401
from .test_progress_hook import TestProgressHook  # noqa: F401
