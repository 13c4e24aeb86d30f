"""BITWISE_AND, BITWISE_OR, BITWISE_XOR (two inputs, numpy broadcasting), BITWISE_NOT (one) and
BIT_SHIFT (x shifted by y bits, BitShiftParams.direction), format 9: plain integers of one type,
int8 to uint64 (csrc/kernels/bitwise.c). A right shift of a signed type is arithmetic; a
shift count below 0 or not below the width gives what the sign fill alone gives (-1 for a
right shift of a negative x, else 0), as ONNX's BitShift (opset 28) says. TFLite's BITWISE_XOR
and RIGHT_SHIFT import on int16 to uint64 (tflite_bitwise_ops.py)."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .binary import INTEGER_TYPES, is_plain_integer
from .common import Shape, broadcast, check_arity, fail, input_shape, params_of
from .facts import OpFacts
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


class ShiftDirection(enum.IntEnum):
    LEFT = 0
    RIGHT = 1


@dataclass(frozen=True)
class BitShiftParams:
    direction: ShiftDirection = ShiftDirection.LEFT


def _check_types(node: Node, graph: Graph) -> None:
    tensors = [graph.tensors[n] for n in (*node.inputs, *node.outputs[:1]) if n in graph.tensors]
    types = [t.dtype.name for t in tensors]
    if not is_plain_integer(tensors[0]) or len(set(types)) != 1:
        raise fail(node, f"inputs and output must share one plain integer type "
                         f"({', '.join(INTEGER_TYPES)}, no quantization params), got "
                         f"{', '.join(t.lower() for t in types)}")


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    if node.op == OpType.BITWISE_NOT:
        check_arity(node, 1, 1)
    else:
        check_arity(node, 2, 2)
    if node.op == OpType.BIT_SHIFT:
        params_of(node, BitShiftParams)
    elif node.params is not None:
        raise fail(node, f"takes no params, got {type(node.params).__name__}")
    _check_types(node, graph)
    if node.op == OpType.BITWISE_NOT:
        return [input_shape(node, graph, 0)]
    return [broadcast(node, input_shape(node, graph, 0), input_shape(node, graph, 1))]


def _shift(x: np.ndarray, y: np.ndarray, direction: ShiftDirection) -> np.ndarray:
    bits = x.dtype.itemsize * 8
    x, y = np.broadcast_arrays(x, y)
    inside = (y.astype(np.int64) >= 0) & (y.astype(np.int64) < bits) if y.dtype.kind == "i" \
        else y < bits
    count = np.where(inside, y, 0).astype(x.dtype)
    if direction == ShiftDirection.LEFT:
        return np.where(inside, np.left_shift(x, count), 0).astype(x.dtype)
    fill = np.where(x < 0, -1, 0) if x.dtype.kind == "i" else np.zeros_like(x)
    return np.where(inside, np.right_shift(x, count), fill).astype(x.dtype)


def reference(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    """numpy's result of the node on `args` (converter/reference.py)."""
    x = np.asarray(args[0])
    if node.op == OpType.BITWISE_NOT:
        return [np.invert(x)]
    y = np.asarray(args[1])
    if node.op == OpType.BIT_SHIFT:
        return [_shift(x, y, node.params.direction)]
    fn = {OpType.BITWISE_AND: np.bitwise_and, OpType.BITWISE_OR: np.bitwise_or,
          OpType.BITWISE_XOR: np.bitwise_xor}[node.op]
    return [fn(x, y).astype(x.dtype)]


FACTS = (
    OpFacts(OpType.BITWISE_AND, None, infer_shape, onnx=("BitwiseAnd",)),
    OpFacts(OpType.BITWISE_OR, None, infer_shape, onnx=("BitwiseOr",)),
    OpFacts(OpType.BITWISE_XOR, None, infer_shape, onnx=("BitwiseXor",),
            tflite=("BITWISE_XOR",)),
    OpFacts(OpType.BITWISE_NOT, None, infer_shape, onnx=("BitwiseNot",)),
    OpFacts(OpType.BIT_SHIFT, BitShiftParams, infer_shape, onnx=("BitShift",),
            tflite=("RIGHT_SHIFT",)),
)
