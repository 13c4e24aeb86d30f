"""CUM_PROD (format 9): running products along a non-negative axis of FLOAT32, FLOAT64, INT32
or INT64, with CUM_SUM's params (CumSumParams): `exclusive` leaves each element out of its own
product (the first is 1), `reverse` multiplies from the end. Floats multiply in their own type
in order; integer products wrap. An optional input 1 is an ONNX CumProd's run-time axis, which
the kernel reads at invoke instead of the params' axis."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, params_of
from .cum_sum import CumSumParams
from .facts import OpFacts
from .operands import check_operand
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

MULTIPLIED_TYPES = ("FLOAT32", "FLOAT64", "INT32", "INT64")


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 2)
    p = params_of(node, CumSumParams)
    if len(node.inputs) > 1 and node.inputs[1]:
        check_operand(node, graph, 1, 1)  # a run-time axis, read at invoke
    x = input_shape(node, graph, 0)
    check_axis(node, p.axis, len(x))
    x_type = graph.tensors[node.inputs[0]].dtype.name
    out = graph.tensors.get(node.outputs[0])
    if x_type not in MULTIPLIED_TYPES or (out is not None and out.dtype.name != x_type):
        got = f"{x_type} -> {out.dtype.name}" if out is not None else x_type
        raise fail(node, f"input and output must share one of {', '.join(MULTIPLIED_TYPES)}, "
                         f"got {got}")
    return [x]


FACTS = (OpFacts(OpType.CUM_PROD, CumSumParams, infer_shape, onnx=("CumProd",),
                 limits="float64, int32 and int64 too; axis fixed at conversion"),)
