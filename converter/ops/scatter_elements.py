"""SCATTER_ELEMENTS (format 8; ONNX ScatterElements and Scatter): data, indices (INT32/INT64,
negative counts from the end; GATHER_ELEMENTS' rule along `axis`), updates of the indices'
shape; the output is data with each addressed cell combined with its update by `reduction`,
in index order. ScatterParams (scatter_nd.py).

Output shape: the data's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .gather_elements import SCATTER_LIMITS, check_elements, check_indices, check_moved
from .op_type import OpType
from .scatter_nd import ScatterParams, check_reduction, moves_only

if TYPE_CHECKING:
    from ..ir import Graph, Node


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 3, 3)
    p = params_of(node, ScatterParams)
    check_reduction(node, check_moved(node, graph, (2,)))
    check_indices(node, graph)
    data, indices, updates = (input_shape(node, graph, i) for i in range(3))
    check_elements(node, data, indices, p.axis)
    if updates != indices:
        raise fail(node, f"updates must have the indices' shape {list(indices)}, got "
                         f"{list(updates)}")
    return [data]


FACTS = (OpFacts(OpType.SCATTER_ELEMENTS, ScatterParams, infer_shape,
                 int8=QuantRule(shared="all", accepts=moves_only),
                 onnx=("ScatterElements", "Scatter"),
                 limits=SCATTER_LIMITS),)
