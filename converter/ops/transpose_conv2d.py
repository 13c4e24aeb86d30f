"""TRANSPOSE_CONV2D: input [N,H,W,Cin], filter [Cout,KH,KW,Cin/groups], optional bias [Cout].
Pads are those of ONNX ConvTranspose; the output shape is the output tensor's shape.

Semantics (ONNX ConvTranspose, no kernel flip): input pixel (ih, iw) of group g adds
x * filter[o, kh, kw, c] to output pixel (ih*stride_h + kh*dilation_h - pad_top, ...). The
output tensor may extend past the last written row/column by less than max(stride, dilation)
(ONNX output_padding); those cells hold only the bias.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import (Shape, check_arity, fail, grouped_filter_shapes, output_shape,
                     params_of)
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class TransposeConv2DParams:
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


def full_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    """Length of the scattered output before the pads are cropped."""
    return (size - 1) * stride + dilation * (kernel - 1) + 1


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 3)
    p = params_of(node, TransposeConv2DParams)
    x, w = grouped_filter_shapes(node, graph, p.groups)
    cout, kh, kw, _ = w
    if min(p.stride_h, p.stride_w, p.dilation_h, p.dilation_w) < 1:
        raise fail(node, "strides and dilations must be >= 1")
    if min(p.pad_top, p.pad_left, p.pad_bottom, p.pad_right) < 0:
        raise fail(node, "pads must be >= 0")
    oh = full_size(x[1], kh, p.stride_h, p.dilation_h) - p.pad_top - p.pad_bottom
    ow = full_size(x[2], kw, p.stride_w, p.dilation_w) - p.pad_left - p.pad_right
    if oh < 1 or ow < 1:
        raise fail(node, f"pads leave an empty output ({oh}x{ow})")
    declared = output_shape(node, graph)
    if declared is None:
        return [(x[0], oh, ow, cout)]
    extra_h = declared[1] - oh if len(declared) == 4 else -1
    extra_w = declared[2] - ow if len(declared) == 4 else -1
    if (len(declared) != 4 or declared[0] != x[0] or declared[3] != cout
            or not 0 <= extra_h < max(p.stride_h, p.dilation_h)
            or not 0 <= extra_w < max(p.stride_w, p.dilation_w)):
        raise fail(node, f"declared output {declared} does not fit computed {(x[0], oh, ow, cout)}"
                         f" plus an output padding below the stride")
    return [declared]


FACTS = (OpFacts(OpType.TRANSPOSE_CONV2D, TransposeConv2DParams, infer_shape,
                   int8=QuantRule(weights=True), weights=1, bias=2, weight_axis=0,
                   tflite=("TRANSPOSE_CONV",), tflite_inputs=(2, 1, 3),
                   onnx=("ConvTranspose", "Col2Im")),)
