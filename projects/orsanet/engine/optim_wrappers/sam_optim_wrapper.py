"""SAMOptimWrapper: Sharpness-Aware Minimisation as an MMEngine optim wrapper."""
from contextlib import contextmanager, nullcontext
from functools import partial
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

_DTYPES = {'float16': torch.float16, 'bfloat16': torch.bfloat16}


@OPTIM_WRAPPERS.register_module()
class SAMOptimWrapper(OptimWrapper):
    """Sharpness-Aware Minimisation around any base optimizer (Foret et al., ICLR 2021; the
    adaptive variant ASAM: Kwon et al., ICML 2021).

    One update: loss -> backward -> ``w += e`` with ``e = rho * T^2 g / ||T g||`` (``T = 1``, or
    ``T = |w|`` when ``adaptive``; the norm is global over every parameter of the optimizer with a
    gradient) -> the same loss again at ``w + e`` -> backward -> ``w`` restored -> gradient
    clipping (``clip_grad``) and the base optimizer's step with the second gradient.

    How the second pass gets its loss: MMEngine's ``train_step`` (of ``BaseModel`` and of the DDP
    wrappers) runs the forward inside ``optim_wrapper.optim_context(model)`` and then calls
    ``optim_wrapper.update_params(loss)`` once. Inside :meth:`optim_context` this wrapper records
    the first forward call of ``model`` (its already pre-processed inputs, through a forward
    pre-hook); :meth:`update_params` replays that call at the perturbed weights and parses its
    losses with the model's ``parse_losses``. So any stock classifier works unchanged, and both
    passes see the same batch (after batch augmentations) and the same loss rule. Random layers
    (dropout, drop path) draw new masks in the second pass and BatchNorm running statistics are
    updated by both passes, as in the usual SAM training loops. A ``closure`` returning the loss
    can also be passed to :meth:`update_params` directly.

    Per-step caches: a model (or the module a DDP wrapper holds) with a ``reset_step_cache()``
    method gets it called when :meth:`optim_context` opens and when :meth:`update_params` ends,
    so what it caches for the second pass (ORSANet's ``cache_priors``: the frozen priors'
    outputs) never outlives the step.

    Distributed: under DDP both backward passes all-reduce, so the perturbation is computed from
    the averaged gradient, the same on every rank. Gradient accumulation is refused
    (``accumulative_counts`` must be 1): SAM needs the full-batch gradient before the second pass,
    and that pass would need every accumulated micro-batch again.

    Mixed precision: set ``dtype`` (``'bfloat16'`` or ``'float16'``) or ``loss_scale`` (what
    ``tools/train.py --amp`` adds). Both passes run under ``torch.autocast`` on the parameters'
    device (CPU included); ``dtype=None`` with AMP on means bfloat16 on CPU, float16 elsewhere.
    Float16 uses a ``torch.amp.GradScaler`` (``loss_scale``: ``'dynamic'``, a float initial
    scale or a dict of GradScaler arguments); bfloat16 needs no scaler and ignores ``loss_scale``.
    The first gradient is unscaled for the perturbation; when it is not finite, the second pass
    is skipped and the scaler skips the step (the scale shrinks) as in plain AMP training.

    Args:
        optimizer (torch.optim.Optimizer): The base optimizer (e.g. Adam).
        rho (float): Radius of the neighbourhood. Defaults to 0.05.
        adaptive (bool): ASAM's parameter-scaled perturbation. Defaults to False.
        dtype (str, optional): Autocast dtype, ``'bfloat16'`` or ``'float16'``. Defaults to None.
        loss_scale (str | float | dict, optional): GradScaler config for float16; turns AMP on.
            Defaults to None.
        eps (float): Added to the gradient norm. Defaults to 1e-12.
        **kwargs: ``OptimWrapper`` arguments (``clip_grad``, ``accumulative_counts``).

    Example:
        >>> optim_wrapper = dict(type='SAMOptimWrapper', rho=0.05,
        ...                      optimizer=dict(type='Adam', lr=4e-5))
    """

    def __init__(self,
                 optimizer: torch.optim.Optimizer,
                 rho: float = 0.05,
                 adaptive: bool = False,
                 dtype: Optional[str] = None,
                 loss_scale: Union[str, float, dict, None] = None,
                 eps: float = 1e-12,
                 **kwargs) -> None:
        super().__init__(optimizer=optimizer, **kwargs)
        if rho <= 0:
            raise ValueError(f'SAMOptimWrapper: rho must be > 0, got {rho}')
        if self._accumulative_counts != 1:
            raise ValueError('SAMOptimWrapper does not support accumulative_counts > 1 (got '
                             f'{self._accumulative_counts}): raise the batch size or the number '
                             'of processes instead')
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(f'SAMOptimWrapper: dtype must be one of {list(_DTYPES)} or None, '
                             f'got {dtype!r}')
        self.rho, self.adaptive, self.eps = rho, adaptive, eps
        self.amp = dtype is not None or loss_scale is not None
        self.cast_dtype = _DTYPES[dtype] if dtype else None
        self._loss_scale = 'dynamic' if loss_scale is None else loss_scale
        self.loss_scaler: Optional[torch.amp.GradScaler] = None
        self._scaler_state: Optional[dict] = None
        self._recorded: Optional[Tuple[nn.Module, tuple, dict]] = None

    # ---- mixed precision -------------------------------------------------------------------
    def _device_type(self) -> str:
        return self.param_groups[0]['params'][0].device.type

    def _resolve_amp(self) -> None:
        """Pick the autocast dtype and create the scaler once the parameters' device is known."""
        if not self.amp or (self.cast_dtype is not None and self._scaler_ready()):
            return
        device = self._device_type()
        if self.cast_dtype is None:
            self.cast_dtype = torch.bfloat16 if device == 'cpu' else torch.float16
        if self.cast_dtype == torch.float16 and self.loss_scaler is None:
            scale = self._loss_scale
            kwargs = scale if isinstance(scale, dict) else (
                {} if scale == 'dynamic' else dict(init_scale=float(scale)))
            self.loss_scaler = torch.amp.GradScaler(device, **kwargs)
            if self._scaler_state is not None:
                self.loss_scaler.load_state_dict(self._scaler_state)

    def _scaler_ready(self) -> bool:
        return self.cast_dtype != torch.float16 or self.loss_scaler is not None

    def _autocast(self):
        self._resolve_amp()
        if not self.amp:
            return nullcontext()
        return torch.autocast(device_type=self._device_type(), dtype=self.cast_dtype)

    def _backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)

    # ---- recording the forward of train_step ----------------------------------------------
    def _record(self, model: nn.Module, module: nn.Module, args: tuple, kwargs: dict) -> None:
        if self._recorded is None:
            self._recorded = (model, args, dict(kwargs))

    @staticmethod
    def _reset_step_cache(model: Optional[nn.Module]) -> None:
        base = model.module if hasattr(model, 'module') else model
        reset = getattr(base, 'reset_step_cache', None)
        if callable(reset):
            reset()

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Autocast (if AMP) and record the first forward call of ``model`` for the second pass."""
        self._recorded = None
        self._reset_step_cache(model)
        handle = model.register_forward_pre_hook(partial(self._record, model), with_kwargs=True)
        try:
            with super().optim_context(model), self._autocast():
                yield
        finally:
            handle.remove()

    def _replay(self) -> torch.Tensor:
        if self._recorded is None:
            raise RuntimeError('SAMOptimWrapper.update_params needs the loss recomputed at the '
                               'perturbed weights: run the forward inside '
                               '`optim_wrapper.optim_context(model)` (as MMEngine train_step '
                               'does) or pass `closure=` returning the loss')
        model, args, kwargs = self._recorded
        losses = model(*args, **kwargs)
        if isinstance(losses, torch.Tensor):
            return losses
        base = model.module if hasattr(model, 'module') else model
        return base.parse_losses(losses)[0]

    # ---- the SAM update ----------------------------------------------------------------------
    def _params_with_grad(self) -> List[torch.Tensor]:
        return [p for group in self.param_groups for p in group['params'] if p.grad is not None]

    @torch.no_grad()
    def _perturb(self) -> Optional[Dict[torch.Tensor, torch.Tensor]]:
        """Move every parameter to ``w + e``; returns the original weights, or None (and moves
        nothing) when the gradient norm is not finite."""
        params = self._params_with_grad()
        inv_scale = 1.0 / self.loss_scaler.get_scale() if self.loss_scaler is not None else 1.0
        scaled = [(p.abs() * p.grad if self.adaptive else p.grad) * inv_scale for p in params]
        norm = torch.linalg.vector_norm(torch.stack([s.norm(2) for s in scaled]), 2)
        if not torch.isfinite(norm):
            return None
        factor = self.rho / (norm + self.eps)
        originals = {}
        for p, s in zip(params, scaled):
            originals[p] = p.detach().clone()
            p.add_((p.abs() * s if self.adaptive else s) * factor)
        return originals

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None,
                      closure: Optional[Callable[[], torch.Tensor]] = None) -> None:
        """One SAM update from the first-pass ``loss``.

        Args:
            loss (torch.Tensor): Loss of the first pass (at the current weights).
            step_kwargs (dict, optional): Arguments for ``optimizer.step``.
            zero_kwargs (dict, optional): Arguments for ``optimizer.zero_grad``.
            closure (callable, optional): Returns the loss at the current weights; defaults to
                replaying the forward recorded by :meth:`optim_context`.
        """
        step_kwargs = step_kwargs or {}
        zero_kwargs = zero_kwargs or {}
        self._resolve_amp()
        second_pass = closure or self._replay
        try:
            self.backward(self.scale_loss(loss))
            originals = self._perturb()
            if originals is not None:
                self.zero_grad()
                with self._autocast():
                    second_loss = second_pass()
                self._backward(second_loss)
                with torch.no_grad():
                    for p, w in originals.items():
                        p.copy_(w)
            self.step(**step_kwargs)
            self.zero_grad(**zero_kwargs)
        finally:
            if self._recorded is not None:
                self._reset_step_cache(self._recorded[0])
            self._recorded = None

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """First-pass backward (scaled when float16 AMP); counts the iteration."""
        self._resolve_amp()
        self._backward(loss, **kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Clip (if configured) and step the base optimizer, through the scaler when float16."""
        if self.loss_scaler is None:
            super().step(**kwargs)
            return
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()

    # ---- checkpoints -----------------------------------------------------------------------
    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state is not None:
            self._scaler_state = scaler_state
            if self.loss_scaler is not None:
                self.loss_scaler.load_state_dict(scaler_state)
        super().load_state_dict(state_dict)
