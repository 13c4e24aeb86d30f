"""GATHER_ELEMENTS (format 8; ONNX GatherElements): data, indices (INT32/INT64, negative
counts from the end) of the data's rank and no longer than it off `axis`; out[k] is data at
k's coordinates with the one along `axis` replaced by indices[k]. GatherParams (axis).

Output shape: the indices' shape.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .gather import GatherParams
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

# The element types the gather/scatter family moves (int8 with one quantization throughout).
MOVED_TYPES = ("FLOAT32", "INT32", "INT64", "BOOL", "INT8")
# docs/ops.md's limits of the gather and scatter ops.
GATHER_LIMITS = "int32/int64 indices; int32, int64 and bool data too"
SCATTER_LIMITS = GATHER_LIMITS + "; int8 and bool: no add or mul reduction"


def check_moved(node: Node, graph: Graph, inputs: tuple[int, ...]) -> str:
    """The data's type, which the inputs at `inputs` (updates) share; one the family moves."""
    types = [graph.tensors[node.inputs[i]].dtype.name for i in (0, *inputs)]
    if types[0] not in MOVED_TYPES:
        raise fail(node, f"data must be {', '.join(MOVED_TYPES)}, got {types[0]}")
    if any(t != types[0] for t in types[1:]):
        raise fail(node, f"updates must have the data's type {types[0]}, got {types[1]}")
    return types[0]


def check_indices(node: Node, graph: Graph, i: int = 1) -> None:
    index_type = graph.tensors[node.inputs[i]].dtype.name
    if index_type not in ("INT32", "INT64"):
        raise fail(node, f"indices must be INT32 or INT64, got {index_type}")


def check_elements(node: Node, data: Shape, indices: Shape, axis: int) -> None:
    """Indices of the data's rank that fit inside it off `axis` (GATHER_ELEMENTS and
    SCATTER_ELEMENTS)."""
    check_axis(node, axis, len(data))
    if len(indices) != len(data):
        raise fail(node, f"indices must have the data's rank {len(data)}, got shape "
                         f"{list(indices)}")
    for d, (i, n) in enumerate(zip(indices, data)):
        if d != axis and i > n:
            raise fail(node, f"indices dim {d} ({i}) exceeds the data's ({n}); data "
                             f"{list(data)}, indices {list(indices)}")


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    p = params_of(node, GatherParams)
    check_moved(node, graph, ())
    check_indices(node, graph)
    indices = input_shape(node, graph, 1)
    check_elements(node, input_shape(node, graph, 0), indices, p.axis)
    return [indices]


FACTS = (OpFacts(OpType.GATHER_ELEMENTS, GatherParams, infer_shape,
                 int8=QuantRule(shared="first"),
                 onnx=("GatherElements", "ReverseSequence", "TensorScatter"),
                 limits=GATHER_LIMITS),)
