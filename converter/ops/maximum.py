"""MAXIMUM: y = max(a, b) element-wise with numpy broadcasting; no params. MINIMUM
(minimum.py) shares this shape rule."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, broadcast, check_arity, fail, input_shape
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


FACTS = (OpFacts(OpType.MAXIMUM, None, infer_shape, int8=QuantRule(shared="all"),
                 tflite=("MAXIMUM",), onnx=("Max",)),)
