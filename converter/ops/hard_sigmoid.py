"""HARD_SIGMOID: y = clamp(alpha * x + beta, 0, 1)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_finite, input_shape, params_of
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class HardSigmoidParams:
    alpha: float = 0.2
    beta: float = 0.5


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, HardSigmoidParams)
    check_finite(node, "alpha", p.alpha)
    check_finite(node, "beta", p.beta)
    return [input_shape(node, graph, 0)]


FACTS = (OpFacts(OpType.HARD_SIGMOID, HardSigmoidParams, infer_shape,
                 onnx=("HardSigmoid",)),)
