"""CLAMP: y = min(max(x, min), max)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_finite, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class ClampParams:
    min: float = 0.0
    max: float = 0.0


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, ClampParams)
    check_finite(node, "min", p.min, allow_inf=True)
    check_finite(node, "max", p.max, allow_inf=True)
    return [input_shape(node, graph, 0)]


FACTS = (OpFacts(OpType.CLAMP, ClampParams, infer_shape, int8=QuantRule(),
                 tflite=("RELU_N1_TO_1",), onnx=("Clip",)),)
