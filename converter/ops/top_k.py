"""TOP_K (format 8): the k largest (or, with largest=False, smallest) values along a
non-negative axis and their indices, best first; equal values keep the lower index first and
NaN ranks above every number. k is the outputs' size along the axis, fixed at conversion.
Outputs: values (the input's type: FLOAT32, INT32, INT64, or INT8 sharing the input's
quantization) and indices (INT32 or INT64)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, output_shape, params_of
from .operands import check_operand
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

VALUE_TYPES = ("FLOAT32", "INT32", "INT64", "INT8")
INDEX_TYPES = ("INT32", "INT64")


@dataclass(frozen=True)
class TopKParams:
    axis: int = 0
    largest: bool = True


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 2, 2)
    p = params_of(node, TopKParams)
    if len(node.inputs) > 1 and node.inputs[1]:
        check_operand(node, graph, 1, 1)  # a run-time k, checked against the values' shape
    x = input_shape(node, graph, 0)
    check_axis(node, p.axis, len(x))
    x_type = graph.tensors[node.inputs[0]].dtype.name
    if x_type not in VALUE_TYPES:
        raise fail(node, f"input must be one of {', '.join(VALUE_TYPES)}, got {x_type}")
    values, indices = (graph.tensors.get(name) for name in node.outputs)
    if values is not None and values.dtype.name != x_type:
        raise fail(node, f"values output must be the input's type {x_type}, got "
                         f"{values.dtype.name}")
    if indices is not None and indices.dtype.name not in INDEX_TYPES:
        raise fail(node, f"indices output must be INT32 or INT64, got {indices.dtype.name}")
    declared = output_shape(node, graph, 0)
    if declared is None:
        raise fail(node, "the values output must declare its shape (k along the axis)")
    k = declared[p.axis] if len(declared) == len(x) else -1
    if not 0 <= k <= x[p.axis] or declared != x[:p.axis] + (k,) + x[p.axis + 1:]:
        raise fail(node, f"outputs {declared} must be input {x} with k in [0, {x[p.axis]}] "
                         f"along axis {p.axis}")
    return [declared, declared]


FACTS = (OpFacts(OpType.TOP_K, TopKParams, infer_shape,
                 onnx=("TopK",), tflite=("TOPK_V2",),
                 limits="int32, int64 values too (int8 in the kernel); int32/int64 indices; "
                        "k fixed at conversion"),)
