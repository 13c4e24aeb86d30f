"""ADD, SUB, MUL, DIV: two inputs with numpy broadcasting, optional fused activation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, broadcast, check_arity, input_shape, params_of
from .op_type import FusedActivation

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class BinaryParams:
    activation: FusedActivation = FusedActivation.NONE


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    params_of(node, BinaryParams)
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]
