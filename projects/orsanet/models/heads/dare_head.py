"""DAREHead: ORSANet's SE block + linear classifier, with its two-phase loss (arXiv 2507.15401)."""
import copy
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import Tensor

from ..losses.dare_loss import DARELoss  # noqa: F401  (registers 'DARELoss' for the default)

# Epochs 1..W of the official recipe: CE + 2 x CE with label smoothing 0.2. mmpretrain's
# LabelSmoothLoss in mode 'original' equals torch's CrossEntropyLoss(label_smoothing=0.2).
DEFAULT_WARMUP_LOSS = dict(
    ce=dict(type='CrossEntropyLoss', loss_weight=1.0),
    ls=dict(type='LabelSmoothLoss', label_smooth_val=0.2, mode='original', loss_weight=2.0))
# From epoch W + 1: CE + 0.1 x DARE.
DEFAULT_MAIN_LOSS = dict(
    ce=dict(type='CrossEntropyLoss', loss_weight=1.0),
    dare=dict(type='DARELoss', temperature=1.0, loss_weight=0.1))


def _build_loss_terms(cfg: Optional[dict], default: dict, arg: str) -> nn.ModuleDict:
    """``{name: loss cfg or module}`` -> ModuleDict; a single cfg with ``type`` is named 'loss'."""
    cfg = copy.deepcopy(default if cfg is None else cfg)
    if not isinstance(cfg, dict) or not cfg:
        raise TypeError(f'DAREHead: {arg} must be a non-empty dict of {{name: loss config}}, '
                        f'e.g. dict(ce=dict(type="CrossEntropyLoss")), got {cfg!r}')
    if 'type' in cfg:
        cfg = dict(loss=cfg)
    return nn.ModuleDict({
        name: term if isinstance(term, nn.Module) else MODELS.build(term)
        for name, term in cfg.items()
    })


@MODELS.register_module()
class DAREHead(ClsHead):
    """ORSANet classification head: SE gate, linear classifier, warm-up then DARE loss.

    ``f = x * sigmoid(W2 relu(W1 x))`` (``pre_logits``), ``logits = fc(f)``. Training uses the
    ``warmup_loss`` terms during the first ``warmup_epochs`` epochs and the ``main_loss`` terms
    afterwards. The head does not read the epoch itself: :class:`DAREWarmupHook`
    (``orsanet.engine.hooks``) calls :meth:`set_epoch` before every training epoch, which keeps
    the phase right under DDP, resume and SAM's two passes. Without the hook the head stays in
    the warm-up phase (and warns once).

    Each loss term is logged on its own as ``loss_<name>`` (``loss_ce``, ``loss_ls``,
    ``loss_dare`` by default); their sum is what the optimizer minimises.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Size C of the input feature. Defaults to 512.
        se_channels (int, optional): Hidden size of the SE gate. Defaults to None: ``in_channels``
            (no reduction, as in ORSANet).
        warmup_loss (dict, optional): ``{name: loss config}`` of the warm-up phase. Defaults to
            None: ``ce`` (CrossEntropyLoss) + ``ls`` (LabelSmoothLoss 0.2, weight 2).
        main_loss (dict, optional): ``{name: loss config}`` after the warm-up. Defaults to None:
            ``ce`` (CrossEntropyLoss) + ``dare`` (DARELoss, weight 0.1).
        warmup_epochs (int): W, epochs of the warm-up phase (0-based epochs 0..W-1). Defaults to 5.
        topk (int | tuple[int]): Top-k accuracy. Defaults to ``(1, )``.
        cal_acc (bool): Log training accuracy. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to None (PyTorch default
            initialisation, as in ORSANet).

    Shapes:
        feats: tuple whose last element is (B, C). Output of ``forward``: (B, num_classes).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 512,
                 se_channels: Optional[int] = None,
                 warmup_loss: Optional[dict] = None,
                 main_loss: Optional[dict] = None,
                 warmup_epochs: int = 5,
                 topk: Union[int, Tuple[int]] = (1, ),
                 cal_acc: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        if warmup_epochs < 0:
            raise ValueError(f'DAREHead: warmup_epochs must be >= 0, got {warmup_epochs}')
        loss_module = nn.ModuleDict(dict(
            warmup=_build_loss_terms(warmup_loss, DEFAULT_WARMUP_LOSS, 'warmup_loss'),
            main=_build_loss_terms(main_loss, DEFAULT_MAIN_LOSS, 'main_loss')))
        super().__init__(loss=loss_module, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.warmup_epochs = warmup_epochs
        self.epoch: Optional[int] = None
        self._warned_no_epoch = False
        hidden = se_channels or in_channels
        self.se = nn.Sequential(OrderedDict(
            fc1=nn.Linear(in_channels, hidden), relu=nn.ReLU(),
            fc2=nn.Linear(hidden, in_channels), gate=nn.Sigmoid()))
        self.fc = nn.Linear(in_channels, num_classes)

    def set_epoch(self, epoch: int) -> None:
        """Set the current 0-based training epoch (called by :class:`DAREWarmupHook`)."""
        self.epoch = int(epoch)

    @property
    def in_warmup(self) -> bool:
        """Whether the warm-up losses apply: 0-based epoch < ``warmup_epochs``."""
        return self.epoch is None or self.epoch < self.warmup_epochs

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """The SE-gated feature, (B, C)."""
        feat = feats[-1]
        if feat.dim() != 2 or feat.shape[1] != self.in_channels:
            raise ValueError(f'DAREHead expects the last feature of shape (B, {self.in_channels})'
                             f' (in_channels), got {tuple(feat.shape)}')
        return feat * self.se(feat)

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        return self.fc(self.pre_logits(feats))

    def current_loss_terms(self) -> nn.ModuleDict:
        """The ``{name: loss}`` of the current phase."""
        if self.epoch is None and self.training and not self._warned_no_epoch:
            print_log('DAREHead: the training epoch was never set, so the warm-up losses are '
                      "used; add dict(type='DAREWarmupHook') to custom_hooks to switch to the "
                      'main losses after warmup_epochs.', logger='current', level=logging.WARNING)
            self._warned_no_epoch = True
        return self.loss_module['warmup' if self.in_warmup else 'main']

    def loss(self, feats: Tuple[Tensor, ...], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Losses of the current phase, ALWAYS in float32: the logits are computed under the
        caller's autocast (bf16/fp16 with ``--amp``) and the loss terms on float32 logits with
        autocast off (a no-op in float32 training)."""
        cls_score = self(feats)
        with torch.autocast(cls_score.device.type, enabled=False):
            return self._get_loss(cls_score.float(), data_samples, **kwargs)

    def _get_loss(self, cls_score: Tensor, data_samples: List[DataSample],
                  **kwargs) -> Dict[str, Tensor]:
        if 'gt_score' in data_samples[0]:
            target = torch.stack([sample.gt_score for sample in data_samples])
        else:
            target = torch.cat([sample.gt_label for sample in data_samples])
        losses = {}
        for name, term in self.current_loss_terms().items():
            key = name if name.startswith('loss') else f'loss_{name}'
            losses[key] = term(cls_score, target, avg_factor=cls_score.size(0), **kwargs)
        if self.cal_acc:
            if target.ndim != 1:
                raise ValueError('DAREHead: cal_acc needs hard labels; disable it with batch '
                                 'augmentations such as Mixup/CutMix')
            acc = Accuracy.calculate(cls_score, target, topk=self.topk)
            losses.update({f'accuracy_top-{k}': a for k, a in zip(self.topk, acc)})
        return losses
