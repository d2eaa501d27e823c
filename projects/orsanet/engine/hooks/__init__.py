"""hooks of ORSANet-MM."""
from .channels_last_hook import ChannelsLastHook  # noqa: F401
from .dare_warmup_hook import DAREWarmupHook  # noqa: F401
from .eval_progress_hook import EvalProgressHook  # noqa: F401
