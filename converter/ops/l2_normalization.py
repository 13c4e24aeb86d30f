"""L2_NORMALIZATION along the last axis: y = x / max(sqrt(sum(x^2)), 1e-6), as TFLite's
L2_NORMALIZATION. No params."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

EPSILON = 1e-6


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    x = input_shape(node, graph, 0)
    if not x:
        raise fail(node, "input must have rank >= 1")
    return [x]


FACTS = (OpFacts(OpType.L2_NORMALIZATION, None, infer_shape,
                 int8=QuantRule(fixed=(1.0 / 128, 0)), tflite=("L2_NORMALIZATION",),
                 limits="int8: output 1/128, 0"),)
