"""CUM_SUM (format 8): running sums along a non-negative axis of FLOAT32, INT32 or INT64;
`exclusive` leaves each element out of its own sum, `reverse` sums from the end. float32 sums
in float32 in order; integer sums wrap. An optional input 1 is an ONNX CumSum's run-time axis,
which the kernel reads at invoke instead of the params' axis."""
from __future__ import annotations

from collections.abc import Callable

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, params_of
from .facts import OpFacts
from .operands import check_operand
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

SUMMED_TYPES = ("FLOAT32", "INT32", "INT64")


@dataclass(frozen=True)
class CumSumParams:
    axis: int = 0
    exclusive: bool = False
    reverse: bool = False


def running_shape(types: tuple[str, ...]) -> Callable[[Node, Graph], list[Shape]]:
    """The shape rule of CUM_SUM and CUM_PROD, whose input and output share one of `types`."""
    def infer(node: Node, graph: Graph) -> list[Shape]:
        check_arity(node, 1, 2)
        p = params_of(node, CumSumParams)
        if len(node.inputs) > 1 and node.inputs[1]:
            check_operand(node, graph, 1, 1)  # a run-time axis, read at invoke
        x = input_shape(node, graph, 0)
        check_axis(node, p.axis, len(x))
        x_type = graph.tensors[node.inputs[0]].dtype.name
        out = graph.tensors.get(node.outputs[0])
        if x_type not in types or (out is not None and out.dtype.name != x_type):
            got = f"{x_type} -> {out.dtype.name}" if out is not None else x_type
            raise fail(node, f"input and output must share one of {', '.join(types)}, "
                             f"got {got}")
        return [x]
    return infer


infer_shape = running_shape(SUMMED_TYPES)


FACTS = (OpFacts(OpType.CUM_SUM, CumSumParams, infer_shape, onnx=("CumSum",),
                 tflite=("CUMSUM",), limits="int32 and int64 too; axis fixed at conversion"),)
