"""SPLIT along a non-negative axis; sizes are the output tensors' shapes. An optional input 1
holds an ONNX Split's run-time sizes, which the kernel checks against them at invoke."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, check_axis, fail, input_shape, output_shape, params_of
from .facts import OpFacts, QuantRule
from .operands import check_operand
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class SplitParams:
    axis: int = 0


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 2, outputs=-1)
    p = params_of(node, SplitParams)
    if len(node.inputs) > 1 and node.inputs[1]:
        check_operand(node, graph, 1, max(1, len(node.outputs)))
    x = input_shape(node, graph, 0)
    check_axis(node, p.axis, len(x))
    if not node.outputs:
        raise fail(node, "needs at least one output")
    declared = [output_shape(node, graph, i) for i in range(len(node.outputs))]
    if any(d is None for d in declared):
        raise fail(node, "every output tensor must carry its shape (the split sizes)")
    for d in declared:
        if len(d) != len(x) or any(a != b for i, (a, b) in enumerate(zip(d, x)) if i != p.axis):
            raise fail(node, f"output {d} differs from input {x} outside axis {p.axis}")
    if sum(d[p.axis] for d in declared) != x[p.axis]:
        raise fail(node, f"output sizes {[d[p.axis] for d in declared]} along axis {p.axis} "
                         f"do not add up to {x[p.axis]}")
    return declared


FACTS = (OpFacts(OpType.SPLIT, SplitParams, infer_shape, int8=QuantRule(shared="first"),
                 tflite=("SPLIT", "SPLIT_V", "UNPACK"), onnx=("Split",)),)
