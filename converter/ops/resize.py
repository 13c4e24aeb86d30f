"""RESIZE on NHWC; the output size is the output tensor's shape.

An output tensor without a shape yet gets floor(input size x scale) per spatial axis.
Format 9: CUBIC, antialias, TF_CROP_AND_RESIZE and HALF_PIXEL_SYMMETRIC (float32 only), and
ONNX's scales or sizes (input 1) and roi (the last input) given at run time: the kernel reads
them at invoke and checks they give the stored output shape.
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
    CUBIC = 2


class CoordinateTransform(enum.IntEnum):
    HALF_PIXEL = 0
    ALIGN_CORNERS = 1
    ASYMMETRIC = 2
    PYTORCH_HALF_PIXEL = 3
    HALF_PIXEL_SYMMETRIC = 4
    TF_CROP_AND_RESIZE = 5


class NearestRounding(enum.IntEnum):
    ROUND_PREFER_FLOOR = 0
    ROUND_PREFER_CEIL = 1
    FLOOR = 2
    CEIL = 3


class ResizeOperand(enum.IntEnum):
    NONE = 0
    SCALES = 1
    SIZES = 2


class AspectPolicy(enum.IntEnum):
    STRETCH = 0
    NOT_LARGER = 1
    NOT_SMALLER = 2


@dataclass(frozen=True)
class ResizeParams:
    mode: ResizeMode = ResizeMode.NEAREST
    coordinate_transform: CoordinateTransform = CoordinateTransform.HALF_PIXEL
    nearest_rounding: NearestRounding = NearestRounding.ROUND_PREFER_FLOOR
    scale_h: float = 1.0
    scale_w: float = 1.0
    cubic_coeff_a: float = -0.75
    exclude_outside: bool = False
    antialias: bool = False
    extrapolation_value: float = 0.0
    roi_h_start: float = 0.0
    roi_h_end: float = 1.0
    roi_w_start: float = 0.0
    roi_w_end: float = 1.0
    operand: ResizeOperand = ResizeOperand.NONE
    axes: tuple[int, ...] = ()           # NHWC axis of each run-time operand (and roi) entry
    runtime_roi: bool = False
    aspect_policy: AspectPolicy = AspectPolicy.STRETCH


def _general(p: ResizeParams) -> bool:
    """The float32-only filter path (cubic, antialias, crop and resize)."""
    return (p.mode == ResizeMode.CUBIC or p.antialias
            or p.coordinate_transform == CoordinateTransform.TF_CROP_AND_RESIZE)


def resized_extent(size: int, scale: float) -> int:
    """size x scale rounded down, as the runtime's shape rule: a stored scale is out / in in
    float32, a hair below the ratio it stands for, hence the 1e-4."""
    return math.floor(size * scale + 1e-4)


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    p = params_of(node, ResizeParams)
    runtime = 1 + (p.operand != ResizeOperand.NONE) + p.runtime_roi
    check_arity(node, runtime, runtime)
    if runtime > 1 and (not p.axes or sorted(p.axes) != sorted(set(p.axes))
                        or not all(0 <= a < 4 for a in p.axes)):
        raise fail(node, f"axes must be distinct NHWC axes, one per run-time value, got {p.axes}")
    x = input_shape(node, graph, 0)
    if len(x) != 4:
        raise fail(node, f"input must be 4D NHWC, got {x}")
    if min(x[1], x[2]) < 1:
        raise fail(node, f"input {x} has no pixel to resize from (an empty height or width)")
    if not (p.scale_h > 0 and p.scale_w > 0):
        raise fail(node, f"scales must be > 0, got {p.scale_h}, {p.scale_w}")
    declared = output_shape(node, graph)
    if declared is None:
        declared = (x[0], resized_extent(x[1], p.scale_h), resized_extent(x[2], p.scale_w), x[3])
    if len(declared) != 4 or declared[0] != x[0] or declared[3] != x[3] or min(declared) < 1:
        raise fail(node, f"output {declared} must keep N and C of input {x} and be non-empty")
    return [declared]


def _resize_transform(node: Node, graph: Graph) -> str:
    p = node.params
    if _general(p) or len(node.inputs) > 1:
        return "cubic, antialias, crop-and-resize and run-time scales run float32"
    if p.mode == ResizeMode.LINEAR and p.coordinate_transform == \
            CoordinateTransform.PYTORCH_HALF_PIXEL:
        return "int8 bilinear has no pytorch_half_pixel transform"
    return ""


FACTS = (OpFacts(OpType.RESIZE, ResizeParams, infer_shape,
                 int8=QuantRule(shared="first", accepts=_resize_transform),
                 tflite=("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"),
                 onnx=("Resize", "Upsample"),
                 limits="int8: linear with pytorch_half_pixel, cubic, antialias, tf_crop_and_resize "
                        "and run-time scales run float32"),)
