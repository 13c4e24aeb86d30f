"""LEAKY_RELU: y = x if x >= 0 else alpha * x."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_finite, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class LeakyReluParams:
    alpha: float = 0.01


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    check_finite(node, "alpha", params_of(node, LeakyReluParams).alpha)
    return [input_shape(node, graph, 0)]


FACTS = (OpFacts(OpType.LEAKY_RELU, LeakyReluParams, infer_shape, int8=QuantRule(),
                 tflite=("LEAKY_RELU",), onnx=("LeakyRelu",)),)
