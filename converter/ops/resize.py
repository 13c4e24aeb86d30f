"""RESIZE on NHWC; the output size is the output tensor's shape.

An output tensor without a shape yet gets floor(input size x scale) per spatial axis.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, output_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


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


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, ResizeParams)
    x = input_shape(node, graph, 0)
    if len(x) != 4:
        raise fail(node, f"input must be 4D NHWC, got {x}")
    if not (p.scale_h > 0 and p.scale_w > 0):
        raise fail(node, f"scales must be > 0, got {p.scale_h}, {p.scale_w}")
    declared = output_shape(node, graph)
    if declared is None:
        declared = (x[0], math.floor(x[1] * p.scale_h), math.floor(x[2] * p.scale_w), x[3])
    if len(declared) != 4 or declared[0] != x[0] or declared[3] != x[3] or min(declared) < 1:
        raise fail(node, f"output {declared} must keep N and C of input {x} and be non-empty")
    return [declared]


def _resize_transform(node: Node, graph: Graph) -> str:
    p = node.params
    if p.mode == ResizeMode.LINEAR and p.coordinate_transform == \
            CoordinateTransform.PYTORCH_HALF_PIXEL:
        return "int8 bilinear has no pytorch_half_pixel transform"
    return ""


FACTS = (OpFacts(OpType.RESIZE, ResizeParams, infer_shape,
                 int8=QuantRule(shared="first", accepts=_resize_transform),
                 tflite=("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"),
                 onnx=("Resize", "Upsample"),
                 limits="int8: linear with pytorch_half_pixel runs float32"),)
