"""RESHAPE: copies data; the output tensor's shape is the new shape."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, check_arity, fail, input_shape, output_shape, params_of
from .operands import check_operand
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class ReshapeParams:
    # How the output follows resized inputs, written for models with dynamic dims
    # (converter/dynamic_shapes.py): per output dim, > 0 fixed, 0 the input's dim at that
    # index, -1 the one that makes the counts agree, <= -2 symbol -(v + 2). Empty: fixed.
    new_shape: tuple[int, ...] = ()


# A Reshape, Squeeze or Unsqueeze whose shape or axes is a run-time tensor has it as input 1
# (an ONNX shape: 0 copies the input's dim, one -1 takes the rest), 2 (Squeeze's axes) or 3
# (Unsqueeze's axes); the kernel checks at invoke that it gives the output's shape.
OPERAND_INPUTS = {"shape": 1, "squeeze": 2, "unsqueeze": 3}


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 1, 4)
    params_of(node, ReshapeParams)
    operands = [i for i, name in enumerate(node.inputs) if i and name]
    if len(operands) > 1:
        raise fail(node, f"{len(operands)} run-time operands given, at most one may be")
    for i in operands:
        check_operand(node, graph, i)
    x = input_shape(node, graph, 0)
    declared = output_shape(node, graph)
    if declared is None:
        raise fail(node, "the output tensor must carry the new shape")
    if math.prod(declared) != math.prod(x) or min(declared, default=1) < 0:
        raise fail(node, f"cannot reshape {x} to {declared}")
    return [declared]


FACTS = (OpFacts(OpType.RESHAPE, ReshapeParams, infer_shape, int8=QuantRule(shared="first"),
                 int16=QuantRule(shared="first"), tflite=("RESHAPE", "SQUEEZE", "EXPAND_DIMS"),
                 onnx=("Reshape", "Flatten", "Squeeze", "Unsqueeze")),)
