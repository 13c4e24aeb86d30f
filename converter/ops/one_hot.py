"""ONE_HOT (format 8): inputs indices (INT32 or INT64) and values [off, on] (two elements of
the output's type: FLOAT32, INT32, INT64 or BOOL). The output is the indices' shape with a dim
of size depth (its declared shape says how many) inserted at a non-negative axis: on where
the position along it equals the index, off elsewhere. An index outside [0, depth) gives off
everywhere, except that with negative_from_end (ONNX) one in [-depth, 0) counts from the
end (TFLite leaves negative indices off)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, output_shape, params_of
from .operands import check_operand
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

OUTPUT_TYPES = ("FLOAT32", "INT32", "INT64", "BOOL")


@dataclass(frozen=True)
class OneHotParams:
    axis: int = 0
    negative_from_end: bool = False


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 3)
    p = params_of(node, OneHotParams)
    if len(node.inputs) > 2 and node.inputs[2]:
        check_operand(node, graph, 2, 1)  # a run-time depth, checked against the output
    indices = input_shape(node, graph, 0)
    check_axis(node, p.axis, len(indices) + 1)
    types = [graph.tensors[name].dtype.name for name in node.inputs[:2]]
    if types[0] not in ("INT32", "INT64"):
        raise fail(node, f"indices must be INT32 or INT64, got {types[0]}")
    if types[1] not in OUTPUT_TYPES:
        raise fail(node, f"values must be one of {', '.join(OUTPUT_TYPES)}, got {types[1]}")
    if math.prod(input_shape(node, graph, 1)) != 2:
        raise fail(node, f"values must hold 2 elements [off, on], got shape "
                         f"{input_shape(node, graph, 1)}")
    out = graph.tensors.get(node.outputs[0])
    if out is not None and out.dtype.name != types[1]:
        raise fail(node, f"output must be the values' type {types[1]}, got {out.dtype.name}")
    declared = output_shape(node, graph)
    if declared is None:
        raise fail(node, "the output must declare its shape (the depth along the axis)")
    if (len(declared) != len(indices) + 1 or declared[p.axis] < 1
            or declared[:p.axis] + declared[p.axis + 1:] != indices):
        raise fail(node, f"output {declared} must be indices {indices} with a depth >= 1 "
                         f"inserted at axis {p.axis}")
    return [declared]


# The windows, ConstantOfShape and Range of a run-time size check it with a ONE_HOT's depth
# (importers/onnx_window_ops.py).
FACTS = (OpFacts(OpType.ONE_HOT, OneHotParams, infer_shape,
                 onnx=("OneHot", "HannWindow", "HammingWindow", "BlackmanWindow",
                       "ConstantOfShape", "Range"),
                 tflite=("ONE_HOT",),
                 limits="int32/int64 indices; int32, int64 and bool out too; depth "
                        "fixed at conversion"),)
