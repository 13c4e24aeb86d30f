"""TRANSPOSE: output dim i is input dim perm[i]."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class TransposeParams:
    perm: tuple[int, ...] = ()


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, TransposeParams)
    x = input_shape(node, graph, 0)
    if sorted(p.perm) != list(range(len(x))):
        raise fail(node, f"perm {p.perm} is not a permutation of the {len(x)} input dims")
    return [tuple(x[i] for i in p.perm)]


FACTS = (OpFacts(OpType.TRANSPOSE, TransposeParams, infer_shape,
                 int8=QuantRule(shared="first"), int16=QuantRule(shared="first"),
                 tflite=("TRANSPOSE",),
                 onnx=("Transpose", "DepthToSpace", "SpaceToDepth")),)
