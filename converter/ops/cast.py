"""CAST: converts element values between FLOAT32, INT8, INT32, INT64 and BOOL; the input and
output tensors' types say from and to, and no params are needed. Values convert as C's
casts do (LiteRT's CAST is a static_cast): float to integer truncates toward zero (and
saturates out of range), a wider integer to a narrower one wraps, anything nonzero (NaN too)
is a true BOOL and a BOOL is 0 or 1. Quantization parameters are ignored: an int8 value is
cast as the stored integer."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape
from .facts import CONVERSION, OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

CAST_TYPES = ("FLOAT32", "INT8", "INT32", "INT64", "BOOL")


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    x = input_shape(node, graph, 0)
    src, dst = graph.tensors[node.inputs[0]], graph.tensors.get(node.outputs[0])
    for what, t in (("input", src), ("output", dst)):
        if t is not None and t.dtype.name not in CAST_TYPES:
            raise fail(node, f"{what} type {t.dtype.name} is not one of {', '.join(CAST_TYPES)}")
    return [x]


FACTS = (OpFacts(OpType.CAST, None, infer_shape, int8=CONVERSION, tflite=("CAST",),
                 onnx=("Cast", "CastLike"),
                 limits="also int32, int64, bool"),)
