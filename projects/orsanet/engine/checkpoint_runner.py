"""A Runner that evaluates one checkpoint, loaded strictly (tools/test.py, the robustness tool)."""
from mmengine.config import Config
from mmengine.runner import Runner

from ..checkpoints import CheckpointError, load_model_checkpoint, model_cfg_for_checkpoint
from .distributed import setup_cpu_distributed, unwrap_model
from .scope_hint import registry_scope_hint
from .weight_files import check_weight_files


def runner_for_checkpoint(cfg: Config, checkpoint: str, random_weights: bool = False) -> Runner:
    """Build ``cfg``'s runner and load ``checkpoint`` into its model strictly.

    A checkpoint that carries the priors (a converted official one) builds them from itself;
    otherwise their weight files must exist (listed with their converters if not). MMEngine's
    own ``load_from`` (which loads whatever fits) is not used.

    Raises:
        SystemExit: The checkpoint cannot be read or does not fit the model (the message names
            the file and the keys), or a prior weight file is missing.
    """
    try:
        cfg.model = model_cfg_for_checkpoint(cfg.model, checkpoint)
    except CheckpointError as err:
        raise SystemExit(f'error: {err}') from None
    cfg.load_from = None
    check_weight_files(cfg, with_init=False,
                       hint='Give a checkpoint that carries the priors, or set '
                       'model.<prior>.checkpoint to their converted weights.')
    with registry_scope_hint():  # a plugin name in the wrong scope gets its scope
        runner = Runner.from_cfg(setup_cpu_distributed(cfg))
    try:
        load_model_checkpoint(unwrap_model(runner.model), checkpoint,
                              f'the model of {cfg.filename}', random_weights)
    except CheckpointError as err:
        raise SystemExit(f'error: {err}') from None
    return runner
