"""CAST: converts element values between any two element types (every DType); the input and
output tensors' types say from and to; CastParams (optional) only says whether a float8
output saturates. Values convert as C's
casts do (LiteRT's CAST is a static_cast): float to integer truncates toward zero (and
saturates out of range), a wider integer to a narrower one wraps, to a narrower float rounds
to nearest even (float8 saturating to its largest value), anything nonzero (NaN too) is a
true BOOL and a BOOL is 0 or 1. Quantization parameters are ignored: an int8 value is cast
as the stored integer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape
from .facts import CONVERSION, OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class CastParams:
    """To a float8 type, a value beyond its range becomes its largest value of that sign when
    `saturate` (ONNX's default, and what a CAST without params does), else infinity
    (FLOAT8E5M2) or NaN."""
    saturate: bool = True


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    if node.params is not None and not isinstance(node.params, CastParams):
        raise fail(node, f"params must be CastParams or none, got "
                         f"{type(node.params).__name__}")
    return [input_shape(node, graph, 0)]


FACTS = (OpFacts(OpType.CAST, CastParams, infer_shape, int8=CONVERSION, tflite=("CAST",),
                 onnx=("Cast", "CastLike"),
                 limits="any element type to any"),)
