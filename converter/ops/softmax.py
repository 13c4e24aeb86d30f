"""SOFTMAX along a non-negative axis; beta scales the logits."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, check_finite, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class SoftmaxParams:
    axis: int = 0
    beta: float = 1.0


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, SoftmaxParams)
    x = input_shape(node, graph, 0)
    check_axis(node, p.axis, len(x))
    check_finite(node, "beta", p.beta)
    return [x]


FACTS = (OpFacts(OpType.SOFTMAX, SoftmaxParams, infer_shape,
                 int8=QuantRule(fixed=(1.0 / 256, -128)), tflite=("SOFTMAX",),
                 onnx=("Softmax",), limits="int8: output 1/256, -128"),)
