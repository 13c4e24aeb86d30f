"""ARG_MAX along a non-negative axis: the index of the first largest value. The output
tensor's type (INT32 or INT64) is the index type; its shape drops the axis or keeps it as
1 (an output without a shape yet drops it, as TFLite does). ARG_MIN (arg_min.py) shares
the params and the shape rule."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, output_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

INDEX_TYPES = ("INT32", "INT64")


@dataclass(frozen=True)
class ArgParams:
    axis: int = 0


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, ArgParams)
    x = input_shape(node, graph, 0)
    check_axis(node, p.axis, len(x))
    if x[p.axis] < 1:
        raise fail(node, f"axis {p.axis} of input {x} is empty")
    out = graph.tensors.get(node.outputs[0])
    if out is not None and out.dtype.name not in INDEX_TYPES:
        raise fail(node, f"output must be INT32 or INT64, got {out.dtype.name}")
    dropped = x[:p.axis] + x[p.axis + 1:]
    kept = x[:p.axis] + (1,) + x[p.axis + 1:]
    declared = output_shape(node, graph)
    if declared is None:
        return [dropped]
    if declared not in (kept, dropped):
        raise fail(node, f"declared output {declared} is neither {dropped} nor {kept}")
    return [declared]


FACTS = (OpFacts(OpType.ARG_MAX, ArgParams, infer_shape, int8=QuantRule(),
                 index_outputs=True, tflite=("ARG_MAX",), onnx=("ArgMax", "Hardmax"),
                 limits="int32 or int64 indices out"),)
