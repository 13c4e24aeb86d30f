"""SLICE: per axis a non-negative begin and a non-zero step; the output shape gives counts.

Along axis i the output takes input elements begin[i] + k * step[i], k < out_shape[i].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, output_shape, params_of
from .facts import OpFacts, QuantRule
from .operands import check_operand
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class SliceParams:
    begin: tuple[int, ...] = ()
    step: tuple[int, ...] = ()
    # How many elements each axis takes when inputs are resized (dynamic dims only): > 0
    # fixed, -1 the rest of the axis, <= -2 symbol -(v + 2). Empty: the output's shape.
    size: tuple[int, ...] = ()


# An ONNX Slice whose starts, ends, axes or steps are run-time tensors has them as inputs
# 1..4 (params: begin 0, step 1); the kernel clamps them as ONNX does and checks at invoke
# that they give the output's shape.
def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 5)
    for i, name in enumerate(node.inputs[1:], 1):
        if name:
            check_operand(node, graph, i)
    if len(node.inputs) > 1 and not (len(node.inputs) > 2 and node.inputs[1] and node.inputs[2]):
        raise fail(node, "run-time operands need both starts (input 1) and ends (input 2)")
    p = params_of(node, SliceParams)
    x = input_shape(node, graph, 0)
    declared = output_shape(node, graph)
    if declared is None:
        raise fail(node, "the output tensor must carry the slice counts")
    if not len(p.begin) == len(p.step) == len(declared) == len(x):
        raise fail(node, f"begin {p.begin}, step {p.step} and output {declared} must all have "
                         f"the input's rank {len(x)}")
    for axis, (size, begin, step, count) in enumerate(zip(x, p.begin, p.step, declared)):
        last = begin + (count - 1) * step
        if step == 0 or count < 0 or (count > 0 and not (0 <= begin < size and 0 <= last < size)):
            raise fail(node, f"axis {axis}: begin {begin}, step {step}, count {count} leave the "
                             f"input range [0, {size})")
    return [declared]


FACTS = (OpFacts(OpType.SLICE, SliceParams, infer_shape, int8=QuantRule(shared="first"),
                 tflite=("SLICE", "STRIDED_SLICE", "REAL", "IMAG"), onnx=("Slice",)),)
