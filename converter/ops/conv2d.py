"""CONV2D: input [N,H,W,Cin], filter [Cout,KH,KW,Cin/groups], optional bias [Cout]."""
from __future__ import annotations

from dataclasses import dataclass

from . import FusedActivation


@dataclass(frozen=True)
class Conv2DParams:
    stride_h: int = 1
    stride_w: int = 1
    dilation_h: int = 1
    dilation_w: int = 1
    pad_top: int = 0
    pad_left: int = 0
    pad_bottom: int = 0
    pad_right: int = 0
    groups: int = 1
    activation: FusedActivation = FusedActivation.NONE
