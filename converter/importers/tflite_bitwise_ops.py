"""TFLite BITWISE_XOR and RIGHT_SHIFT (format 9's BITWISE_XOR and BIT_SHIFT), entries of the
TFLite op table in tflite_ops.py's conventions, on plain integer tensors of one type. int8 and
uint8 tensors are the TFLite importer's quantized types, so these take int16, uint16, int32,
uint32, int64 and uint64 (LiteRT's RIGHT_SHIFT is arithmetic for a signed type, and its count
must lie in [0, width): C++ leaves the rest undefined, BIT_SHIFT's ONNX rule defines it)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.TensorType import TensorType

from ..ops import OpType
from ..ops.bitwise import BitShiftParams, ShiftDirection
from .tflite_op import TFLiteOp

if TYPE_CHECKING:
    from .tflite import _OpContext as Ctx
else:
    Ctx = Any

INTEGERS = (TensorType.INT16, TensorType.UINT16, TensorType.INT32, TensorType.UINT32,
            TensorType.INT64, TensorType.UINT64)


def _same_types(options: Any, tensors: list, op: Any) -> str:
    types = {tensors[t].type for t in [*op.inputs, *op.outputs] if t >= 0}
    return "" if len(types) == 1 else "inputs and output must share one type"


def bitwise_xor(c: Ctx) -> list[str]:
    return [c.b.op(OpType.BITWISE_XOR, [c.input(0), c.input(1)])]


def right_shift(c: Ctx) -> list[str]:
    return [c.b.op(OpType.BIT_SHIFT, [c.input(0), c.input(1)],
                   BitShiftParams(ShiftDirection.RIGHT))]


BITWISE_OPS = {
    Op.BITWISE_XOR: TFLiteOp(bitwise_xor, 2, check=_same_types, in_types=INTEGERS,
                             out_types=INTEGERS),
    Op.RIGHT_SHIFT: TFLiteOp(right_shift, 2, check=_same_types, in_types=INTEGERS,
                             out_types=INTEGERS),
}
