"""PRELU: y = x if x >= 0 else alpha * x, inputs (x, alpha); alpha broadcasts against x
(TFLite's per-channel [1, 1, C] or [C] slopes) and the output has x's shape. No params."""
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
    x, alpha = input_shape(node, graph, 0), input_shape(node, graph, 1)
    if broadcast(node, x, alpha) != x:
        raise fail(node, f"alpha {alpha} must broadcast to the input shape {x}")
    return [x]


FACTS = (OpFacts(OpType.PRELU, None, infer_shape, int8=QuantRule(), tflite=("PRELU",)),)
