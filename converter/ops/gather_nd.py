"""GATHER_ND (format 8; ONNX GatherND, TFLite GATHER_ND): data, indices [..., k] (INT32/INT64,
negative counts from the end) whose last axis is a position in data dims [b, b + k), the
first b = batch_dims dims of both being shared batch dims.

Output shape: indices.shape[:-1] + data.shape[b + k:].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .gather_elements import GATHER_LIMITS, check_indices, check_moved
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class GatherNDParams:
    batch_dims: int = 0


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    b = params_of(node, GatherNDParams).batch_dims
    check_moved(node, graph, ())
    check_indices(node, graph)
    data, indices = input_shape(node, graph, 0), input_shape(node, graph, 1)
    if not 0 <= b < min(len(data), len(indices)):
        raise fail(node, f"batch_dims {b} must lie in [0, min(data rank {len(data)}, indices "
                         f"rank {len(indices)}))")
    k = indices[-1]
    if not 1 <= k <= len(data) - b:
        raise fail(node, f"the indices' last dim must lie in [1, {len(data) - b}] (data rank "
                         f"less batch_dims), got {k}")
    if data[:b] != indices[:b]:
        raise fail(node, f"the first {b} (batch) dims of data {list(data)} and indices "
                         f"{list(indices)} must agree")
    return [indices[:-1] + data[b + k:]]


FACTS = (OpFacts(OpType.GATHER_ND, GatherNDParams, infer_shape, int8=QuantRule(shared="first"),
                 onnx=("GatherND",), tflite=("GATHER_ND",), limits=GATHER_LIMITS),)
