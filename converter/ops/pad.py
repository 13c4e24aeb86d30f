"""PAD: pads = [before_0..before_{r-1}, after_0..after_{r-1}].

Negative pads crop (ONNX Pad allows them). REFLECT needs pads < the (cropped) axis size and
EDGE a non-empty axis. CONSTANT pads with `value`: for a quantized int8 tensor a real value,
quantized with the output's scale and zero point as QUANTIZE does; for other integer types 0.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
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


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 1)
    p = params_of(node, PadParams)
    x = input_shape(node, graph, 0)
    rank = len(x)
    if len(p.pads) != 2 * rank:
        raise fail(node, f"pads {p.pads} must have 2 x rank = {2 * rank} entries")
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
