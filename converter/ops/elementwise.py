"""RELU, RELU6, SIGMOID, TANH, HARD_SWISH: one input, no params, output shape = input shape.
(CLAMP, LEAKY_RELU and HARD_SIGMOID have params and their own modules.)"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape

if TYPE_CHECKING:
    from ..ir import Graph, Node


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    if node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    return [input_shape(node, graph, 0)]
