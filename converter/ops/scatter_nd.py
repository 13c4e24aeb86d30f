"""SCATTER_ND (format 8; ONNX ScatterND): data, indices [..., k] (INT32/INT64, negative counts
from the end; a position in data dims [0, k)), updates of shape indices.shape[:-1] +
data.shape[k:]; the output is data with each position's slice combined with its updates by
`reduction`, in index order. ScatterParams with axis 0.

Output shape: the data's.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .gather_elements import SCATTER_LIMITS, check_indices, check_moved
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


class ScatterReduction(enum.IntEnum):
    NONE = 0   # the update replaces the cell
    ADD = 1
    MUL = 2
    MAX = 3
    MIN = 4


@dataclass(frozen=True)
class ScatterParams:
    axis: int = 0
    reduction: ScatterReduction = ScatterReduction.NONE


def check_reduction(node: Node, dtype: str) -> None:
    """Every reduction for FLOAT32, INT32 and INT64; NONE, MAX and MIN for INT8 (stored
    values, one quantization); NONE for BOOL."""
    r = ScatterReduction(node.params.reduction if node.params else 0)
    ordered = r in (ScatterReduction.MAX, ScatterReduction.MIN)
    if r != ScatterReduction.NONE and not (dtype in ("FLOAT32", "INT32", "INT64")
                                           or (dtype == "INT8" and ordered)):
        raise fail(node, f"reduction {r.name.lower()} does not take {dtype} data")


def moves_only(node: Node, graph: Graph) -> str:
    """Why the node cannot run int8: ADD and MUL would need requantizing."""
    r = ScatterReduction(node.params.reduction if node.params else 0)
    if r in (ScatterReduction.ADD, ScatterReduction.MUL):
        return f"reduction {r.name.lower()} requantizes"
    return ""


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 3, 3)
    p = params_of(node, ScatterParams)
    if p.axis != 0:
        raise fail(node, f"takes no axis (0), got {p.axis}")
    check_reduction(node, check_moved(node, graph, (2,)))
    check_indices(node, graph)
    data, indices, updates = (input_shape(node, graph, i) for i in range(3))
    if not indices or not 1 <= indices[-1] <= len(data):
        raise fail(node, f"the indices' last dim must lie in [1, {len(data)}] (the data's "
                         f"rank), got indices {list(indices)}")
    want = indices[:-1] + data[indices[-1]:]
    if updates != want:
        raise fail(node, f"updates must have shape {list(want)} (indices.shape[:-1] + "
                         f"data.shape[k:]), got {list(updates)}")
    return [data]


FACTS = (OpFacts(OpType.SCATTER_ND, ScatterParams, infer_shape,
                 int8=QuantRule(shared="all", accepts=moves_only), onnx=("ScatterND",),
                 tflite=("SCATTER_ND",), limits=SCATTER_LIMITS),)
