"""MAX_POOL2D and AVERAGE_POOL2D on NHWC."""
from __future__ import annotations

from dataclasses import dataclass

from . import FusedActivation


@dataclass(frozen=True)
class Pool2DParams:
    filter_h: int = 1
    filter_w: int = 1
    stride_h: int = 1
    stride_w: int = 1
    dilation_h: int = 1
    dilation_w: int = 1
    pad_top: int = 0
    pad_left: int = 0
    pad_bottom: int = 0
    pad_right: int = 0
    count_include_pad: bool = False
    activation: FusedActivation = FusedActivation.NONE
