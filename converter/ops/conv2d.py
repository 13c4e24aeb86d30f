"""CONV2D: input [N,H,W,Cin], filter [Cout,KH,KW,Cin/groups], optional bias [Cout], optional
residual (float32, the output's exact shape) added before the activation (fuse_epilogues)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import (Shape, check_arity, fail, grouped_filter_shapes, has_input, input_shape,
                     params_of, window_out)
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


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


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 4)
    p = params_of(node, Conv2DParams)
    x, w = grouped_filter_shapes(node, graph, p.groups)
    cout, kh, kw, _ = w
    oh = window_out(node, "height", x[1], kh, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom)
    ow = window_out(node, "width", x[2], kw, p.stride_w, p.dilation_w, p.pad_left, p.pad_right)
    out = (x[0], oh, ow, cout)
    if has_input(node, 3) and input_shape(node, graph, 3) != out:
        raise fail(node, f"residual (input 3) must have the output's shape {out}, "
                         f"got {input_shape(node, graph, 3)}")
    return [out]


FACTS = (OpFacts(OpType.CONV2D, Conv2DParams, infer_shape,
                   int8=QuantRule(weights=True), int16=QuantRule(weights=True),
                   weights=1, bias=2, weight_axis=0, tflite=("CONV_2D",),
                   onnx=("Conv", "QLinearConv", "ConvInteger"),
                   limits="int16: requantization shift <= 14"),)
