"""CONCATENATION along a non-negative axis."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class ConcatenationParams:
    axis: int = 0
    activation: FusedActivation = FusedActivation.NONE


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, max(1, len(node.inputs)))
    p = params_of(node, ConcatenationParams)
    shapes = [input_shape(node, graph, i) for i in range(len(node.inputs))]
    first = shapes[0]
    check_axis(node, p.axis, len(first))
    for s in shapes[1:]:
        if len(s) != len(first) or any(a != b for i, (a, b) in enumerate(zip(s, first))
                                       if i != p.axis):
            raise fail(node, f"input shapes {shapes} differ outside axis {p.axis}")
    types = {graph.tensors[name].dtype.name for name in node.inputs}
    if len(types) != 1:
        raise fail(node, f"inputs must share one type, got {sorted(types)}")
    total = sum(s[p.axis] for s in shapes)
    return [first[:p.axis] + (total,) + first[p.axis + 1:]]


def _no_activation(node: Node, graph: Graph) -> str:
    """The int8 kernel copies stored values: it has no fused activation to apply."""
    if node.params.activation != FusedActivation.NONE:
        return "the int8 kernel applies no fused activation"
    return ""


FACTS = (OpFacts(OpType.CONCATENATION, ConcatenationParams, infer_shape,
                 int8=QuantRule(shared="all", accepts=_no_activation),
                 tflite=("CONCATENATION", "PACK"), onnx=("Concat", "Tile", "RotaryEmbedding"),
                 limits="int8: a fused activation runs float32"),)
