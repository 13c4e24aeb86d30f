"""PAD: pads = [before_0..before_{r-1}, after_0..after_{r-1}].

Negative pads crop (ONNX Pad allows them). REFLECT needs pads < the (cropped) axis size and
EDGE a non-empty axis. CONSTANT pads with `value`: for a quantized int8 tensor a real value,
quantized with the output's scale and zero point as QUANTIZE does; for other integer types 0.

An ONNX Pad whose pads, constant or axes are run-time tensors has them as inputs 1 (pads), 2
(the constant, of the input's type) and 3 (axes), with zero params pads: the kernel reads them
at invoke (negative pads crop) and checks that they give the output's declared shape.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, output_shape, params_of
from .facts import OpFacts, QuantRule
from .operands import check_operand
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


class PadMode(enum.IntEnum):
    CONSTANT = 0
    REFLECT = 1
    EDGE = 2


@dataclass(frozen=True)
class PadParams:
    pads: tuple[int, ...] = ()
    mode: PadMode = PadMode.CONSTANT
    value: float = 0.0


def _runtime_shape(node: Node, graph: Graph, p: PadParams, x: Shape) -> list[Shape]:
    if not node.inputs[1]:
        raise fail(node, "run-time operands need the pads (input 1)")
    check_operand(node, graph, 1, 2 * max(1, len(x)))
    if len(node.inputs) > 3 and node.inputs[3]:
        check_operand(node, graph, 3, max(1, len(x)))
    value = graph.tensors.get(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
    if value is not None and (value.dtype != graph.tensors[node.inputs[0]].dtype
                              or math.prod(value.shape or ()) != 1):
        raise fail(node, "the constant (input 2) must be one element of the input's type")
    declared = output_shape(node, graph)
    if declared is None or len(declared) != len(x) or any(p.pads):
        raise fail(node, "with run-time pads the output must declare its shape and the params' "
                         "pads must be 0")
    return [declared]


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 4)
    p = params_of(node, PadParams)
    x = input_shape(node, graph, 0)
    rank = len(x)
    if len(p.pads) != 2 * rank:
        raise fail(node, f"pads {p.pads} must have 2 x rank = {2 * rank} entries")
    if len(node.inputs) > 1:
        return _runtime_shape(node, graph, p, x)
    out = []
    for axis, size in enumerate(x):
        before, after = p.pads[axis], p.pads[rank + axis]
        kept = size + min(before, 0) + min(after, 0)
        if kept < 0 or (p.mode != PadMode.CONSTANT and (before > 0 or after > 0) and (
                kept < 1 or (p.mode == PadMode.REFLECT and max(before, after) >= kept))):
            raise fail(node, f"axis {axis} (size {size}) cannot take pads {before}, {after} in "
                             f"mode {PadMode(p.mode).name}")
        out.append(size + before + after)
    return [tuple(out)]


FACTS = (OpFacts(OpType.PAD, PadParams, infer_shape, int8=QuantRule(shared="first"),
                 tflite=("PAD", "PADV2"), onnx=("Pad",)),)
