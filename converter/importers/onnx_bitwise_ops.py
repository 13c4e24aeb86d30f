"""ONNX BitwiseAnd, BitwiseOr, BitwiseXor, BitwiseNot (opset 18) and BitShift (opset 11; signed
types from opset 28), format 9's BITWISE_* and BIT_SHIFT ops, in the conventions of
onnx_ops.py. Every input is a run-time or constant plain integer tensor of one type, int8 to
uint64 (the signature's Numeric also lets float32 in: refused here)."""
from __future__ import annotations

from typing import Callable, Literal

from ..ops import OpType
from ..ops.binary import INTEGER_TYPES
from ..ops.bitwise import BitShiftParams, ShiftDirection
from .graph_builder import Builder, Invalid, Unsupported
from .onnx_signature import Numeric


def _integers(b: Builder, inputs: tuple[str, ...]) -> None:
    types = [b.dtype(x).name for x in inputs]
    if types[0] not in INTEGER_TYPES:
        raise Unsupported(f"input of type {types[0].lower()}: bitwise ops take the integer "
                          f"types (int8 to uint64)")
    if len(set(types)) > 1:
        raise Invalid(f"inputs must share one type, got {' and '.join(t.lower() for t in types)}")


def _binary(op: OpType) -> Callable[..., str]:
    def convert(b: Builder, x: Numeric, y: Numeric) -> str:
        _integers(b, (x, y))
        return b.op(op, [x, y])
    convert.__name__ = op.name.lower()
    return convert


def bitwise_not(b: Builder, x: Numeric) -> str:
    _integers(b, (x,))
    return b.op(OpType.BITWISE_NOT, [x])


def bit_shift(b: Builder, x: Numeric, y: Numeric, *, direction: Literal["LEFT", "RIGHT"]) -> str:
    _integers(b, (x, y))
    return b.op(OpType.BIT_SHIFT, [x, y], BitShiftParams(ShiftDirection[direction]))


BITWISE_OPS = {
    ("BitwiseAnd", 18): _binary(OpType.BITWISE_AND),
    ("BitwiseOr", 18): _binary(OpType.BITWISE_OR),
    ("BitwiseXor", 18): _binary(OpType.BITWISE_XOR),
    ("BitwiseNot", 18): bitwise_not,
    ("BitShift", 11): bit_shift,
}
