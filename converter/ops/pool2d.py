"""MAX_POOL2D and AVERAGE_POOL2D on NHWC."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, params_of, window_out
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


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


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, Pool2DParams)
    x = input_shape(node, graph, 0)
    if len(x) != 4:
        raise fail(node, f"input must be 4D NHWC, got {x}")
    oh = window_out(node, "height", x[1], p.filter_h, p.stride_h, p.dilation_h,
                    p.pad_top, p.pad_bottom)
    ow = window_out(node, "width", x[2], p.filter_w, p.stride_w, p.dilation_w,
                    p.pad_left, p.pad_right)
    return [(x[0], oh, ow, x[3])]


def _no_count_include_pad(node: Node, graph: Graph) -> str:
    return "int8 counts only the taps inside the input" if node.params.count_include_pad else ""


FACTS = (
    OpFacts(OpType.MAX_POOL2D, Pool2DParams, infer_shape, int8=QuantRule(shared="first"),
            int16=QuantRule(shared="first"), tflite=("MAX_POOL_2D",),
            onnx=("MaxPool", "GlobalMaxPool")),
    OpFacts(OpType.AVERAGE_POOL2D, Pool2DParams, infer_shape,
            int8=QuantRule(shared="first", accepts=_no_count_include_pad),
            tflite=("AVERAGE_POOL_2D",), onnx=("AveragePool", "LpPool", "GlobalLpPool"),
            limits="int8: count_include_pad runs float32"),
)
