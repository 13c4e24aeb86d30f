"""RESIZE on NHWC; the output size is the output tensor's shape."""
from __future__ import annotations

import enum
from dataclasses import dataclass


class ResizeMode(enum.IntEnum):
    NEAREST = 0
    LINEAR = 1


class CoordinateTransform(enum.IntEnum):
    HALF_PIXEL = 0
    ALIGN_CORNERS = 1
    ASYMMETRIC = 2
    PYTORCH_HALF_PIXEL = 3


class NearestRounding(enum.IntEnum):
    ROUND_PREFER_FLOOR = 0
    ROUND_PREFER_CEIL = 1
    FLOOR = 2
    CEIL = 3


@dataclass(frozen=True)
class ResizeParams:
    mode: ResizeMode = ResizeMode.NEAREST
    coordinate_transform: CoordinateTransform = CoordinateTransform.HALF_PIXEL
    nearest_rounding: NearestRounding = NearestRounding.ROUND_PREFER_FLOOR
    scale_h: float = 1.0
    scale_w: float = 1.0
