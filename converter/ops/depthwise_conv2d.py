"""DEPTHWISE_CONV2D: input [N,H,W,C], filter [1,KH,KW,C*multiplier], optional bias.

Output channel k reads input channel k // multiplier.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, has_input, input_shape, params_of, window_out
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class DepthwiseConv2DParams:
    stride_h: int = 1
    stride_w: int = 1
    dilation_h: int = 1
    dilation_w: int = 1
    pad_top: int = 0
    pad_left: int = 0
    pad_bottom: int = 0
    pad_right: int = 0
    depth_multiplier: int = 1
    activation: FusedActivation = FusedActivation.NONE


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 3)
    p = params_of(node, DepthwiseConv2DParams)
    x = input_shape(node, graph, 0)
    w = input_shape(node, graph, 1)
    if len(x) != 4 or len(w) != 4 or w[0] != 1:
        raise fail(node, f"input must be 4D and filter [1,KH,KW,C*m], got {x} and {w}")
    cout = x[3] * p.depth_multiplier
    if p.depth_multiplier < 1 or w[3] != cout:
        raise fail(node, f"filter channels {w[3]} != input channels {x[3]} x depth_multiplier "
                         f"{p.depth_multiplier}")
    if has_input(node, 2) and input_shape(node, graph, 2) != (cout,):
        raise fail(node, f"bias must be [{cout}], got {input_shape(node, graph, 2)}")
    oh = window_out(node, "height", x[1], w[1], p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom)
    ow = window_out(node, "width", x[2], w[2], p.stride_w, p.dilation_w, p.pad_left, p.pad_right)
    return [(x[0], oh, ow, cout)]


FACTS = (OpFacts(OpType.DEPTHWISE_CONV2D, DepthwiseConv2DParams, infer_shape,
                   int8=QuantRule(weights=True), int16=QuantRule(weights=True),
                   weights=1, bias=2, weight_axis=3, tflite=("DEPTHWISE_CONV_2D",),
                   onnx=("Conv",), limits="int16: requantization shift <= 14"),)
