"""A frozen OpenMMLab model used as a prior: the base of SemanticPrior and LandmarkPrior."""
from typing import Any, Callable, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from ...checkpoints import CheckpointError, is_optional_key, summarise_keys
from .fused_copy import FusedCopy
from .layer_adapters import get_layer_adapter
from .layer_tap import capturing_graph, tap_layer
from .wrapped_model import (
    ModelSpec,
    build_wrapped_model,
    check_layer,
    load_model_cfg,
    load_wrapped_checkpoint,
    renormalisation,
)

RESIZE_MODES = ('nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area')
WRAPPED = 'model.'  # the wrapped model's key prefix inside the prior


def _drop_wrapped_weights(module: nn.Module, state_dict: dict, prefix: str, *args: Any) -> None:
    """state_dict post-hook: leave the wrapped model out of the prior's state dict."""
    for key in [k for k in state_dict if k.startswith(prefix + WRAPPED)]:
        del state_dict[key]


def _complete_wrapped_weights(module: nn.Module, state_dict: dict, prefix: str,
                              *args: Any) -> None:
    """load_state_dict pre-hook: a parent checkpoint carries the prior whole, or not at all.

    - It carries some of the wrapped model's keys: it must carry every one, except those under
      ``allow_missing`` (kept at their current values); else a ``CheckpointError`` names them.
    - It carries none and the prior keeps its weights out of checkpoints (``save_weights=False``):
      the current weights (from the prior's own checkpoint) are kept, so strict loading of the
      parent (``load_state_dict``, MMEngine's ``load_checkpoint``) neither fails nor warns.
    """
    wrapped = prefix + WRAPPED
    own = module.model.state_dict()
    carried = [k for k in own if wrapped + k in state_dict]
    if not carried and module.save_weights:
        return  # strict loading reports the missing keys
    missing = [k for k in own if wrapped + k not in state_dict
               and not is_optional_key(k, module.allow_missing)]
    if carried and missing:
        raise CheckpointError(
            f'{type(module).__name__} ({prefix.rstrip(".")}): the checkpoint carries '
            f'{len(carried)} of its wrapped model\'s keys but lacks {len(missing)}: '
            f'{summarise_keys(missing, depth=3)[:6]}; a prior is loaded whole or not at all')
    for key, value in own.items():
        state_dict.setdefault(wrapped + key, value)


def _pair(size: Union[int, Sequence[int], None]) -> Optional[Tuple[int, int]]:
    if size is None:
        return None
    if isinstance(size, int):
        return size, size
    if len(size) != 2:
        raise ValueError(f'input_size must be an int or (h, w), got {size}')
    return int(size[0]), int(size[1])


class FrozenPrior(BaseModule):
    """A frozen, always-eval OpenMMLab model that turns a classifier's batch into a prior.

    Subclasses set ``scope`` (the toolbox: ``'mmseg'``, ``'mmpose'``), ``output_modes`` and
    implement :meth:`predict_output` for the modes other than ``'features'``.

    Per call: resize the batch to ``input_size`` (``resize_mode``), map it from the classifier's
    normalisation to the wrapped model's (``data_preprocessor``; exact no-op when they agree),
    run the model under ``torch.no_grad()`` and return the requested output. ``'features'`` taps
    ``layer`` with a forward hook registered for that call only (nothing is stored on the module,
    so calls are independent; under DDP each process has its own copy) and stops the model once
    the layer has run. Under ``nn.DataParallel`` the replicas' threads would share hook tables:
    use DDP (MMEngine's default).

    Args:
        model (str | dict): The wrapped model: a model config dict, a full config (its
            ``model``), a config file, or ``'mmseg::...'``/``'mmpose::...'``.
        checkpoint (str, optional): Weights of the wrapped model (MMEngine checkpoint or state
            dict), loaded on CPU at build and again by ``init_weights`` (a parent's
            ``init_cfg`` must not overwrite them). The config's own ``init_cfg`` is never used.
        output (str): One of ``output_modes``. Defaults to ``'features'``.
        layer (str, optional): Dotted name (in ``model.named_modules()``) of the layer tapped
            for ``'features'``, e.g. ``'backbone.stages.3'``. None: ``'backbone'``.
        layer_adapter (str): How the tapped output becomes one (B, C, H, W) map; see
            :mod:`.layer_adapters`. Defaults to ``'auto'``.
        input_size (int | tuple[int, int], optional): Size the batch is resized to; None keeps
            it. Defaults to None.
        resize_mode (str): ``F.interpolate`` mode. Defaults to ``'nearest'`` (official).
        data_preprocessor (dict, optional): The classifier's normalisation (``mean``, ``std``,
            ``to_rgb``/``bgr_to_rgb``, as in its data preprocessor). None: the batch is already
            in the wrapped model's normalisation (read from its config's
            ``data_preprocessor``). Defaults to None.
        allow_missing (sequence of str): Key prefixes of the wrapped model that a checkpoint
            may lack: parts the prior never runs (e.g. ``'decode_head.'`` when a backbone layer
            is tapped). Every other key must be in ``checkpoint``, with its shape, and no key may
            be unexpected. Defaults to ``()``.
        save_weights (bool): Keep the wrapped model in the prior's ``state_dict()``. By default
            its weights are left out (they come from ``checkpoint``) and loading a parent
            checkpoint without them keeps the current ones. Defaults to False.
        probe_size (int | tuple[int, int]): Input size of the dry run at build that measures
            ``out_shape`` when ``input_size`` is None. Defaults to 224.
        fuse_conv_bn (bool): Fast path. Run a copy of the wrapped model with every BatchNorm
            folded into the convolution before it (``mmcv.cnn.fuse_conv_bn``; exact in eval mode
            up to float rounding). The copy is built at the first call, checked against the
            model on a random batch (refused, with a warning, above 1e-4 relative: mmcv pairs
            layers by registration order, which need not be the order they run in) and rebuilt
            after weights load or the prior moves (``.to``, ``.cuda``, channels_last). The
            wrapped model (``self.model``) keeps its modules, weights and state-dict keys, but
            forward hooks on its layers do not fire while the copy runs, and edits through
            ``.data`` are not seen (``load_state_dict`` and other in-place ops are: version
            counters). On CPU it takes MobileFaceNet at 112 px from 0.28 s to 0.22 s a batch of
            32. Not used while a graph is captured (export, compile). Defaults to False.
        init_cfg (dict, optional): MMEngine init config of the prior itself (unused).

    Shapes: input (B, 3, H, W), the classifier's normalised batch -> see the subclass.
    """
    scope: str = ''
    output_modes: Tuple[str, ...] = ('features', )
    early_stop: bool = True  # stop the wrapped model at the tapped layer (see ``tap``)

    def __init__(self,
                 model: ModelSpec,
                 checkpoint: Optional[str] = None,
                 output: str = 'features',
                 layer: Optional[str] = None,
                 layer_adapter: str = 'auto',
                 input_size: Union[int, Sequence[int], None] = None,
                 resize_mode: str = 'nearest',
                 data_preprocessor: Optional[Mapping] = None,
                 allow_missing: Sequence[str] = (),
                 save_weights: bool = False,
                 probe_size: Union[int, Sequence[int]] = 224,
                 fuse_conv_bn: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if output not in self.output_modes:
            raise ValueError(f'{name}: unknown output {output!r}; choose one of '
                             f'{self.output_modes}')
        if resize_mode not in RESIZE_MODES:
            raise ValueError(f'{name}: resize_mode {resize_mode!r} is not one of {RESIZE_MODES}')
        get_layer_adapter(layer_adapter)  # fail at build on an unknown name
        self.output = output
        self.layer = layer or 'backbone'
        self.layer_adapter = layer_adapter
        self.input_size = _pair(input_size)
        self.resize_mode = resize_mode
        self.checkpoint = checkpoint
        self.allow_missing = tuple(allow_missing)
        self.save_weights = save_weights
        self.fuse_conv_bn = False  # set below, after the build-time probe
        self._fused = FusedCopy(name)  # the conv-BN fused copy, when fuse_conv_bn
        self._forced_runtime: Optional[nn.Module] = None

        model_cfg = load_model_cfg(model)
        self.model = build_wrapped_model(model_cfg, self.scope)
        if output == 'features':
            check_layer(self.model, self.layer)
        if checkpoint is not None:
            load_wrapped_checkpoint(self.model, checkpoint, self.allow_missing, name)
        self._set_renormalisation(data_preprocessor, model_cfg.get('data_preprocessor'))
        self.model.requires_grad_(False)
        self.train()
        if not save_weights:
            self.register_state_dict_post_hook(_drop_wrapped_weights)
        self.register_load_state_dict_pre_hook(_complete_wrapped_weights)
        self._probe_size = self.input_size or _pair(probe_size)
        self._out_shape = self._probe(self._probe_size)
        self.fuse_conv_bn = fuse_conv_bn

    # --- building ---------------------------------------------------------------------------
    def _set_renormalisation(self, source: Optional[Mapping], target: Optional[Mapping]) -> None:
        affine = renormalisation(source, target)
        self.renormalise = affine is not None
        order, scale, shift = affine or ([0, 1, 2], torch.ones(3), torch.zeros(3))
        self.channel_order = order
        self.register_buffer('norm_scale', scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer('norm_shift', shift.view(1, 3, 1, 1), persistent=False)

    def _probe(self, size: Tuple[int, int]) -> Tuple[int, ...]:
        device = next(self.model.parameters()).device
        return tuple(self(torch.zeros(1, 3, *size, device=device)).shape[1:])

    @property
    def out_shape(self) -> Tuple[int, ...]:
        """Output shape without the batch axis (spatial size at ``input_size``/``probe_size``)."""
        return self._out_shape

    @property
    def out_channels(self) -> int:
        """Channels of the output (keypoints for ``'coords'``)."""
        return self._out_shape[0]

    def init_weights(self) -> None:
        """Reload the checkpoint: the wrapped weights come from it, not from any init_cfg."""
        if self.checkpoint is not None:
            load_wrapped_checkpoint(self.model, self.checkpoint, self.allow_missing,
                                    type(self).__name__)
        self._is_init = True

    # --- the conv-BN fused copy (fuse_conv_bn) -----------------------------------------------
    def _apply(self, fn: Callable, *args: Any, **kwargs: Any) -> 'FrozenPrior':
        self._fused.forget()  # .to(), .cuda(), channels_last...: rebuild from the moved model
        return super()._apply(fn, *args, **kwargs)

    def _outputs_with(self, module: nn.Module) -> Any:
        """The prior's output on a fixed random probe, ``module`` running as the wrapped model."""
        param = next(self.model.parameters())
        probe = torch.randn(2, 3, *self._probe_size, generator=torch.Generator().manual_seed(0))
        self._forced_runtime = module
        try:
            return self(probe.to(device=param.device, dtype=param.dtype))
        finally:
            self._forced_runtime = None

    def runtime_model(self) -> nn.Module:
        """The module that runs: ``self.model``, or its conv-BN fused copy (``fuse_conv_bn``)."""
        if self._forced_runtime is not None:
            return self._forced_runtime
        if not self.fuse_conv_bn or capturing_graph():
            return self.model
        return self._fused.get(self.model, self._outputs_with)

    def train(self, mode: bool = True) -> 'FrozenPrior':
        """Stay in eval mode whatever ``mode`` is (a frozen prior never trains)."""
        super().train(False)
        return self

    # --- forward ----------------------------------------------------------------------------
    def prepare_inputs(self, inputs: Tensor) -> Tensor:
        """Resize to ``input_size`` and renormalise for the wrapped model."""
        x = inputs
        if self.input_size is not None and tuple(x.shape[-2:]) != self.input_size:
            linear = self.resize_mode in ('bilinear', 'bicubic')
            x = F.interpolate(x, size=self.input_size, mode=self.resize_mode,
                              align_corners=False if linear else None)
        if self.renormalise:
            x = x[:, self.channel_order] * self.norm_scale + self.norm_shift
        return x

    def run_model(self, x: Tensor) -> Any:
        """The wrapped model's raw output (``mode='tensor'``)."""
        return self.runtime_model()(x, None, mode='tensor')

    def tap(self, x: Tensor) -> Tensor:
        """Run the wrapped model up to ``layer`` and return that layer's output as NCHW.

        By default the model is stopped once the layer has run (:func:`.layer_tap.tap_layer`).
        Under graph capture (or with ``early_stop = False``) the wrapped model's backbone (for a
        ``backbone.*`` layer) or whole model runs to its end: the same layer, the same numbers.
        """
        model = self.runtime_model()
        stop = self.early_stop and not capturing_graph()
        in_backbone = self.layer == 'backbone' or self.layer.startswith('backbone.')
        run = (lambda: model.backbone(x)) if in_backbone and not stop else (
            lambda: self.run_model(x))
        try:
            output = tap_layer(model.get_submodule(self.layer), run, stop)
        except RuntimeError as err:
            raise RuntimeError(f'{type(self).__name__}: layer {self.layer!r}: {err}') from None
        return get_layer_adapter(self.layer_adapter)(output)

    def predict_output(self, x: Tensor) -> Tensor:
        """The output of a mode other than 'features' (implemented by subclasses)."""
        raise NotImplementedError

    def forward(self, inputs: Tensor) -> Tensor:
        with torch.no_grad():
            x = self.prepare_inputs(inputs)
            return self.tap(x) if self.output == 'features' else self.predict_output(x)
