"""GATHER: data, indices (INT32/INT64, negative counts from the end) along `axis`.

Output shape: data.shape[:axis] + indices.shape + data.shape[axis+1:] (ONNX Gather).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class GatherParams:
    axis: int = 0


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    p = params_of(node, GatherParams)
    data = input_shape(node, graph, 0)
    indices = input_shape(node, graph, 1)
    check_axis(node, p.axis, len(data))
    index_type = graph.tensors[node.inputs[1]].dtype.name
    if index_type not in ("INT32", "INT64"):
        raise fail(node, f"indices must be INT32 or INT64, got {index_type}")
    return [data[:p.axis] + indices + data[p.axis + 1:]]


FACTS = (OpFacts(OpType.GATHER, GatherParams, infer_shape, int8=QuantRule(shared="first"),
                 tflite=("GATHER",), onnx=("Gather",), limits="indices int32 or int64"),)
