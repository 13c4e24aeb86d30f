"""TFLite RFFT2D, COMPLEX_ABS, REAL and IMAG, entries of the TFLite op table in tflite_ops.py's
conventions. A complex64 tensor is a float32 tensor with a trailing (real, imaginary) dimension
of 2 inside the IR, so a spectrogram computed in the graph converts as long as the graph
takes the magnitude or a part of it before its output (a complex64 graph input or output is
refused). RFFT2D is two constant-matrix transforms (spectral.py): one-sided along the last axis,
then full along the one before, each input padded or cut to fft_length as TFLite does."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.TensorType import TensorType

from ..ops import OpType
from ..ops.binary import BinaryParams
from ..ops.mean import ReduceParams
from ..ops.slice import SliceParams
from .graph_builder import Invalid
from .spectral import Transform, transform_axis
from .tflite_op import TFLiteOp

if TYPE_CHECKING:
    from .tflite import _OpContext as Ctx
else:
    Ctx = Any

COMPLEX = (TensorType.COMPLEX64,)


def rfft2d(c: Ctx) -> list[str]:
    b, x = c.b, c.input(0)
    shape = b.shape(x)
    lengths = np.asarray(c.const(1)).reshape(-1)
    if len(shape) < 2 or lengths.size != 2 or not np.issubdtype(lengths.dtype, np.integer):
        raise Invalid(f"needs a signal of rank 2 or more and two fft lengths, got "
                      f"{list(shape)} and {lengths.tolist()}")
    rank = len(shape)
    parts = b.reshape(x, (*shape, 1))
    rows = transform_axis(b, parts, rank - 1, Transform(int(lengths[1]), onesided=True))
    return [transform_axis(b, rows, rank - 2, Transform(int(lengths[0])))]


def complex_abs(c: Ctx) -> list[str]:
    b, z = c.b, c.input(0)
    squares = b.op(OpType.MUL, [z, z], BinaryParams())
    total = b.op(OpType.SUM, [squares], ReduceParams((b.rank(z) - 1,)),
                 shapes=[b.shape(z)[:-1]])
    return [b.op(OpType.SQRT, [total])]


def _part(index: int):
    def part(c: Ctx) -> list[str]:
        b, z = c.b, c.input(0)
        shape = b.shape(z)
        begin = (0,) * (len(shape) - 1) + (index,)
        piece = b.op(OpType.SLICE, [z], SliceParams(begin, (1,) * len(shape)),
                     shapes=[(*shape[:-1], 1)])
        return [b.reshape(piece, shape[:-1])]
    return part


SPECTRAL_OPS = {
    Op.RFFT2D: TFLiteOp(rfft2d, 2, const_inputs=(1,), out_types=COMPLEX),
    Op.COMPLEX_ABS: TFLiteOp(complex_abs, 1, in_types=COMPLEX),
    Op.REAL: TFLiteOp(_part(0), 1, in_types=COMPLEX),
    Op.IMAG: TFLiteOp(_part(1), 1, in_types=COMPLEX),
}
