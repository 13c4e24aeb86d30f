"""MAXIMUM: y = max(a, b) element-wise with numpy broadcasting; no params. MINIMUM
(minimum.py) shares this shape rule. float32, int8 (stored values) and plain int32 and int64."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .binary import check_integer_types
from .common import Shape, broadcast, check_arity, fail, input_shape
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    check_integer_types(node, graph, 2)
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


FACTS = (OpFacts(OpType.MAXIMUM, None, infer_shape, int8=QuantRule(shared="all"),
                 tflite=("MAXIMUM",), onnx=("Max",), limits="int32 and int64 too"),)
