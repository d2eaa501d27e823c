"""Checkpoint conversion: official (or other toolboxes') weights -> ORSANet-MM / OpenMMLab keys.

One module per source model: :mod:`.ir50` (IR-50 face backbone), :mod:`.mobilefacenet` (68-point
landmark network), :mod:`.segface` (SegFace / torchvision Swin-B), :mod:`.orsanet_official` (a
whole trained ORSANet, and its SPADE / MCM / head parts); :mod:`.common` has what they share. The
command-line tools in ``tools/model_converters/`` call these.
"""
from . import common, ir50, mobilefacenet, orsanet_official, segface  # noqa: F401
from .common import ConversionError  # noqa: F401
