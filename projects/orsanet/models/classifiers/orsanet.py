"""ORSANet: the occlusion-robust, semantic-aware expression classifier (arXiv 2507.15401)."""
import logging
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS

from ..utils import ImageTokens, LandmarkTokens, PriorCache, SafeCompiled, SemanticProjection
from ..utils.safe_compile import compile_options
from .stock_parts import build_neck, check_head, probe

# The trainable parts that torch.compile (``compile=True``) compiles, each on its own: the priors
# stop their wrapped model with an exception (a graph break) and stay eager.
COMPILED_PARTS = ('backbone', 'fusion', 'neck')


@MODELS.register_module()
class ORSANet(ImageClassifier):
    """ORSANet (Rethinking Occlusion in FER: A Semantic-Aware Perspective and Go Beyond, 2025).

    Data flow, for a normalised batch (B, 3, H, W) (official: H = W = 224)::

        backbone (IResNet)  -> image map (B, 256, 14, 14) -> ImageTokens      -> (B, D, 7, 7)
        semantic_prior      -> (B, 1024, 7, 7)            -> SemanticProjection -> (B, D, 7, 7)
        fusion (SPADEFusion)(image, semantic)                                  -> (B, D, 7, 7)
        landmark_prior      -> (B, 512, 7, 7)             -> LandmarkTokens   -> (B, 49, D)
        neck (MCMNeck)(fused tokens (B, 49, D), landmark tokens)               -> (B, D)
        head (DAREHead): SE block + Linear                                     -> (B, num_classes)

    The adapters are sized at build time from the priors' ``out_shape`` and one forward of a
    zero image of ``input_size`` through the backbone, so any backbone or prior whose outputs
    are maps (or landmark heatmaps/coordinates) fits by config alone. The priors are frozen and
    stay in eval mode; their weights come from their own checkpoints (see SemanticPrior and
    LandmarkPrior).
    A prior config without ``data_preprocessor`` gets this classifier's normalisation, so it can
    map the batch into its wrapped model's own.

    Args:
        backbone (dict): Image backbone; its last output is used.
        semantic_prior (dict): A ``SemanticPrior`` config.
        landmark_prior (dict): A ``LandmarkPrior`` config.
        fusion (dict): A ``SPADEFusion`` config; ``in_channels``/``semantic_channels`` are set
            to ``embed_dims``.
        neck (dict): An ``MCMNeck`` config (token counts and ``embed_dims`` are set here), or any
            neck: one whose ``__init__`` does not take ``num_lm_tokens`` gets none of them and is
            called the stock way, ``neck((fused map (B, D, g, g), ))`` (the landmark prior then
            goes unused, with a warning). A neck or head that cannot work is refused at build,
            naming it and why (:mod:`.stock_parts`).
        head (dict): A ``DAREHead`` (or any ``ClsHead``) config taking (B, D) features.
        embed_dims (int): D, the fusion/MCM width. Defaults to 512.
        token_grid (int): Image tokens per side. Defaults to 7.
        token_layout (str): ``'official'`` (raw reshape of the backbone map, as the official
            code) or ``'spatial'`` (pooled, aligned with the semantic map).
        input_size (int | tuple): Image size used to size the adapters. Defaults to 224.
        cache_priors (bool): Fast path. Reuse the frozen priors' outputs when the same input
            tensor comes again in training (SAM's second pass): same numbers, the priors run
            once per SAM step instead of twice (see :class:`PriorCache`; ``SAMOptimWrapper``
            clears it at every step). Defaults to False.
        channels_last (bool): Fast path. Keep the convolutional parts (backbone, SPADE fusion,
            the priors' wrapped models) and their inputs in ``torch.channels_last`` memory
            format (faster convolutions on GPUs with tensor cores). Defaults to False.
        compile (bool | dict): Fast path. ``torch.compile`` the backbone, the fusion and the
            MCM neck (``True`` or a dict of ``torch.compile`` arguments); a part whose compile
            fails runs eagerly, with a warning (:class:`SafeCompiled`). ``tools/train.py`` and
            ``tools/test.py`` route MMEngine's ``cfg.compile`` here. Defaults to False.
        train_cfg, data_preprocessor, init_cfg: as ``ImageClassifier``.
    """

    def __init__(self,
                 backbone: dict,
                 semantic_prior: dict,
                 landmark_prior: dict,
                 fusion: dict,
                 neck: dict,
                 head: dict,
                 embed_dims: int = 512,
                 token_grid: int = 7,
                 token_layout: str = 'official',
                 input_size=224,
                 cache_priors: bool = False,
                 channels_last: bool = False,
                 compile: Union[bool, dict] = False,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=None, head=head, train_cfg=train_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.semantic_prior = self._build_prior(semantic_prior, data_preprocessor, input_size)
        self.landmark_prior = self._build_prior(landmark_prior, data_preprocessor, input_size)
        image_shape = self._backbone_out_shape(input_size)

        self.image_tokens = ImageTokens(image_shape, embed_dims, token_grid, token_layout)
        self.semantic_proj = SemanticProjection(self.semantic_prior.out_shape[0], embed_dims,
                                                token_grid)
        self.landmark_tokens = LandmarkTokens(self.landmark_prior.output,
                                              self.landmark_prior.out_shape, embed_dims, token_grid)
        self.fusion = MODELS.build(
            dict(fusion, in_channels=embed_dims, semantic_channels=embed_dims))
        self.neck, self.neck_takes_tokens = build_neck(
            neck, dict(embed_dims=embed_dims, num_img_tokens=token_grid * token_grid,
                       num_lm_tokens=self.landmark_tokens.num_tokens))
        if not self.neck_takes_tokens:
            print_log(f'ORSANet: neck {type(self.neck).__name__} takes no landmark tokens (its '
                      '__init__ has no num_lm_tokens); it gets the fused map the stock way and '
                      'the landmark prior goes unused', logger='current', level=logging.WARNING)
        check_head(self.head)
        probe(self, self._neck_inputs(torch.zeros(1, embed_dims, token_grid, token_grid),
                                      torch.zeros(1, self.landmark_tokens.num_tokens,
                                                  embed_dims)))
        self.cache_priors = cache_priors
        self.prior_cache = PriorCache([self.semantic_prior, self.landmark_prior])
        self.channels_last = channels_last
        if channels_last:
            for part in (self.backbone, self.fusion, self.semantic_prior, self.landmark_prior):
                part.to(memory_format=torch.channels_last)  # 4-D weights only
        options = compile_options(compile)
        self.compiled: Dict[str, SafeCompiled] = {} if options is None else {
            name: SafeCompiled(getattr(self, name), name, options) for name in COMPILED_PARTS}

    @staticmethod
    def _build_prior(cfg: dict, data_preprocessor: Optional[dict], input_size) -> nn.Module:
        """Build a prior that sees this classifier's normalisation and input size."""
        cfg = dict(cfg, probe_size=cfg.get('probe_size', input_size))
        if 'data_preprocessor' not in cfg and isinstance(data_preprocessor, dict):
            keys = ('mean', 'std', 'to_rgb', 'bgr_to_rgb')
            cfg['data_preprocessor'] = {k: v for k, v in data_preprocessor.items() if k in keys}
        return MODELS.build(cfg)

    @torch.no_grad()
    def _backbone_out_shape(self, input_size) -> tuple:
        """(C, H, W) of the backbone's last output, from one zero image."""
        height, width = (input_size, input_size) if isinstance(input_size, int) else input_size
        was_training = self.backbone.training
        self.backbone.eval()  # keep BatchNorm statistics untouched
        try:
            image = self.backbone(torch.zeros(1, 3, height, width))[-1]
        finally:
            self.backbone.train(was_training)
        return tuple(image.shape[1:])

    def _part(self, name: str) -> nn.Module:
        """A trainable part, through torch.compile when ``compile`` is on."""
        return self.compiled.get(name) or getattr(self, name)

    def _run_priors(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(semantic prior output, landmark prior output), from the cache when allowed."""

        def compute(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
            x = self._memory_format(x)
            return self.semantic_prior(x), self.landmark_prior(x)

        if self.cache_priors and self.training:
            return self.prior_cache.get_or_compute(inputs, compute)
        return compute(inputs)

    def reset_step_cache(self) -> None:
        """Drop cached prior outputs (``SAMOptimWrapper`` calls this around every step)."""
        self.prior_cache.clear()

    def train(self, mode: bool = True) -> 'ORSANet':
        if hasattr(self, 'prior_cache'):  # built after the parts
            self.prior_cache.clear()
        return super().train(mode)

    def _memory_format(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.channels_last and inputs.dim() == 4:
            return inputs.contiguous(memory_format=torch.channels_last)
        return inputs

    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck'):
        """Features of a normalised batch (B, 3, H, W).

        Args:
            stage (str): ``'backbone'`` (backbone outputs), ``'fusion'`` (the fused map
                (B, D, g, g)), ``'neck'`` (MCM output, a 1-tuple of (B, D)) or
                ``'pre_logits'`` (the head's SE output (B, D)).
        """
        if stage not in ('backbone', 'fusion', 'neck', 'pre_logits'):
            raise ValueError(f"stage must be 'backbone', 'fusion', 'neck' or 'pre_logits', "
                             f'got {stage!r}')
        image = self._part('backbone')(self._memory_format(inputs))
        if stage == 'backbone':
            return image
        semantic_out, landmark_out = self._run_priors(inputs)  # keyed on `inputs` itself
        semantic = self.semantic_proj(semantic_out)
        fused = self._part('fusion')(self.image_tokens(image[-1]), semantic)  # B x D x g x g
        if stage == 'fusion':
            return fused
        landmarks = self.landmark_tokens(landmark_out) if self.neck_takes_tokens else None
        feats = self._part('neck')(*self._neck_inputs(fused, landmarks))
        feats = tuple(feats) if isinstance(feats, (tuple, list)) else (feats, )
        if stage == 'neck':
            return feats
        return self.head.pre_logits(feats)

    def _neck_inputs(self, fused: torch.Tensor, landmarks: Optional[torch.Tensor]) -> tuple:
        """What the neck is called with: ORSANet's (image tokens (B, g*g, D), landmark tokens
        (B, N_l, D)), or the stock ``((fused map (B, D, g, g), ), )``."""
        if self.neck_takes_tokens:
            return fused.flatten(2).transpose(1, 2), landmarks
        return ((fused, ), )

    def trainable_parameters(self) -> Dict[str, int]:
        """Number of trainable parameters per part (the priors are frozen)."""
        parts = dict(backbone=self.backbone, image_tokens=self.image_tokens,
                     semantic_proj=self.semantic_proj, landmark_tokens=self.landmark_tokens,
                     fusion=self.fusion, neck=self.neck, head=self.head)
        counts = {name: sum(p.numel() for p in part.parameters() if p.requires_grad)
                  for name, part in parts.items()}
        counts['total'] = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return counts
