"""ONNX ops whose output is a function of a run-time size that the declared output shape fixes:
HannWindow, HammingWindow and BlackmanWindow (the size a graph input), ConstantOfShape (the
shape a graph input) and Range (start, limit or delta run-time), in the conventions of
onnx_ops.py. Constant sizes fold to constants before these functions are reached.

The converter takes the length from the model's declared output (converter/ops/operands.py);
the values are constants (a window, a filled tensor) or, for Range, start + delta x a constant
index vector. What ties them to the run-time size is a ONE_HOT whose depth is that size: its
kernel checks at invoke that the depth is the stored output length and fails with EVAL_ERROR
naming the node otherwise (kernels/one_hot.c), exactly the rule "the size equals the stored
length". Its output (all zeros) is added to the values, so the check runs before they are
used. A declared length of 0 gives an empty constant, unchecked: the converter folds every
node whose outputs are all empty (passes/fold_constants), so no check could stay.
"""
from __future__ import annotations

import math

import numpy as np
from onnx import helper

from ..ir import DType
from ..ops import OpType
from ..ops.binary import BinaryParams
from ..ops.mod import ModParams
from ..ops.one_hot import OneHotParams
from ..ops.slice import SliceParams
from .graph_builder import Builder, Invalid, Unsupported, runtime_output_shape
from .onnx_signature import Operand

# The element types the checked values are computed in (ONE_HOT's outputs that ADD takes).
_CHECKED_TYPES = (DType.FLOAT32, DType.INT32, DType.INT64)
_SIZE_TYPES = (DType.INT32, DType.INT64)


def _binary(b: Builder, op: OpType, x: str, y: str) -> str:
    return b.op(op, [x, y], BinaryParams())


def _checked_zeros(b: Builder, size: str, n: int, dtype: DType) -> str:
    """n zeros of `dtype` (shape [n]) computed by a ONE_HOT whose run-time depth is `size` (one
    int32 or int64 element): invoke fails, naming the node, unless size == n. An empty output
    is a constant whatever the size (fold_constants folds every node whose outputs are all
    empty, so no check could stay in the graph)."""
    if n == 0:
        return b.const(np.zeros(0, dtype=dtype.numpy), name="empty")
    values = b.const(np.zeros(2, dtype=dtype.numpy), name="zeros")
    index = b.const(np.array(0, dtype=np.int32), name="index")
    return b.op(OpType.ONE_HOT, [index, values, size], OneHotParams(0, True), shapes=[(n,)],
                dtype=dtype)


def _size_operand(b: Builder, size: str, what: str) -> str:
    if b.dtype(size) not in _SIZE_TYPES or math.prod(b.shape(size)) != 1 or b.rank(size) > 1:
        raise Invalid(f"{what} must be one int32 or int64 value, got "
                      f"{b.dtype(size).name.lower()} of shape {list(b.shape(size))}")
    return size


def _declared_length(b: Builder, operand: str) -> int:
    declared = runtime_output_shape(b, operand)
    if len(declared) != 1:
        raise Invalid(f"the declared output shape {list(declared)} must have rank 1")
    return declared[0]


def _out_type(onnx_type: int) -> DType:
    try:
        dtype = DType.from_numpy(helper.tensor_dtype_to_np_dtype(onnx_type))
    except (KeyError, ValueError, TypeError):
        dtype = None
    if dtype not in _CHECKED_TYPES:
        raise Unsupported(f"an output of ONNX type {onnx_type} with a run-time size: float32, "
                          f"int32 and int64 are supported")
    return dtype


# --- windows -----------------------------------------------------------------------------------
# Cosine-sum windows: w[k] = sum_j (-1)^j a_j cos(2 pi j k / N'), N' = size (periodic) or
# size - 1 (symmetric), as ONNX's reference defines them.
_WINDOW_COEFFICIENTS = {"HannWindow": (0.5, 0.5), "HammingWindow": (25 / 46, 21 / 46),
                        "BlackmanWindow": (0.42, 0.5, 0.08)}


def window_values(kind: str, n: int, periodic: bool) -> np.ndarray:
    """The float64 window of length n (ONNX's formula; a symmetric window of length 1 divides
    0 by 0 there too, so it is NaN)."""
    period = n if periodic else n - 1
    k = np.arange(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        phase = 2 * np.pi * k / period
        return sum((-1) ** j * a * np.cos(j * phase)
                   for j, a in enumerate(_WINDOW_COEFFICIENTS[kind]))


def _typed(window: np.ndarray, dtype: DType) -> np.ndarray:
    """The window in `dtype`: rounded to float32 first, as ONNX Runtime computes it, so that
    an integer output truncates a value such as Blackman's centre (1 less 1e-16) to 1."""
    return window.astype(np.float32).astype(dtype.numpy)


def _window(kind: str):
    def convert(b: Builder, size: Operand, *, output_datatype: int = 1,
                periodic: int = 1) -> str | np.ndarray:
        dtype = _out_type(output_datatype)
        if isinstance(size, np.ndarray):  # normally folded before this point
            if size.size != 1:
                raise Invalid(f"size must be one integer, got shape {list(size.shape)}")
            n = int(size.reshape(-1)[0])
            return _typed(window_values(kind, max(n, 0), bool(periodic)), dtype)
        operand = _size_operand(b, size, "size")
        n = _declared_length(b, size)
        values = b.const(_typed(window_values(kind, n, bool(periodic)), dtype), name="window")
        return _binary(b, OpType.ADD, values, _checked_zeros(b, operand, n, dtype))
    convert.__name__ = kind
    return convert


# --- ConstantOfShape ---------------------------------------------------------------------------
def constant_of_shape(b: Builder, shape: Operand, *, value: np.ndarray | None = None
                      ) -> str | np.ndarray:
    """The declared output filled with `value`; each element of the run-time shape is checked
    against its dim by a ONE_HOT, whose zeros broadcast into the filled tensor."""
    fill = np.zeros(1, dtype=np.float32) if value is None else np.asarray(value)
    if fill.size != 1:
        raise Invalid(f"value must hold one element, got shape {list(fill.shape)}")
    if isinstance(shape, np.ndarray):  # normally folded before this point
        return np.full(tuple(int(d) for d in shape.reshape(-1)), fill.reshape(-1)[0])
    if b.dtype(shape) != DType.INT64 or b.rank(shape) != 1:
        raise Invalid(f"input must be a 1-D int64 tensor, got {b.dtype(shape).name.lower()} of "
                      f"shape {list(b.shape(shape))}")
    dims = runtime_output_shape(b, shape)
    if b.shape(shape) != (len(dims),):
        raise Invalid(f"the shape input {list(b.shape(shape))} must hold one element per dim "
                      f"of the declared output shape {list(dims)}")
    try:
        dtype = DType.from_numpy(fill.dtype)
    except ValueError:
        dtype = None
    if dtype not in _CHECKED_TYPES:
        raise Unsupported(f"value of type {fill.dtype} with a run-time shape: float32, int32 and "
                          f"int64 are supported")
    out = b.const(np.full(dims, fill.reshape(-1)[0], dtype=dtype.numpy), name="filled")
    for axis, n in enumerate(dims):
        element = b.op(OpType.SLICE, [shape], SliceParams((axis,), (1,)), shapes=[(1,)])
        zeros = _checked_zeros(b, element, n, dtype)
        along = tuple(n if d == axis else 1 for d in range(len(dims)))
        out = _binary(b, OpType.ADD, out, b.reshape(zeros, along))
    return out


# --- Range -------------------------------------------------------------------------------------
def _scalar(b: Builder, x: Operand, dtype: DType) -> str:
    if isinstance(x, np.ndarray):
        if x.size != 1:
            raise Invalid(f"Range's inputs must be scalars, got shape {list(x.shape)}")
        return b.const(x.reshape(()).astype(dtype.numpy), name="scalar")
    if b.dtype(x) != dtype or math.prod(b.shape(x)) != 1:
        raise Invalid(f"start, limit and delta must be scalars of one type, got "
                      f"{b.dtype(x).name.lower()} of shape {list(b.shape(x))}")
    return x if b.rank(x) == 0 else b.reshape(x, ())


def _range_count(b: Builder, start: str, limit: str, delta: str, dtype: DType) -> str:
    """ONNX's element count max(ceil((limit - start) / delta), 0) as an int64 scalar: in float32
    for float inputs; for integers exactly, as (d + mod(-d, delta)) / delta with floor mod, the
    ceiling of d / delta (the division is then exact)."""
    span = _binary(b, OpType.SUB, limit, start)
    if dtype == DType.FLOAT32:
        steps = b.op(OpType.CEIL, [_binary(b, OpType.DIV, span, delta)])
        count = b.op(OpType.CAST, [b.op(OpType.MAXIMUM, [steps, b.scalar(0.0)])],
                     dtype=DType.INT64)
        return count
    rest = b.op(OpType.MOD, [b.op(OpType.NEG, [span]), delta], ModParams(False))
    steps = _binary(b, OpType.DIV, _binary(b, OpType.ADD, span, rest), delta)
    zero = b.const(np.array(0, dtype=dtype.numpy), name="zero")
    return b.op(OpType.MAXIMUM, [steps, zero])


def range_(b: Builder, start: Operand, limit: Operand, delta: Operand) -> str | np.ndarray:
    """start + delta x [0, 1, ..., n - 1] for the declared length n, which the run-time
    count must equal."""
    given = next((x for x in (start, limit, delta) if isinstance(x, str)), None)
    if given is None:  # normally folded before this point
        return np.arange(start.item(), limit.item(), delta.item(), dtype=start.dtype)
    dtype = b.dtype(given)
    if dtype not in _CHECKED_TYPES:
        raise Unsupported(f"Range of {dtype.name.lower()} values with run-time inputs: float32, "
                          f"int32 and int64 are supported")
    start, limit, delta = (_scalar(b, x, dtype) for x in (start, limit, delta))
    n = _declared_length(b, given)
    index = b.const(np.arange(n, dtype=dtype.numpy), name="index")
    values = _binary(b, OpType.ADD, start, _binary(b, OpType.MUL, index, delta))
    count = _range_count(b, start, limit, delta, dtype)
    return _binary(b, OpType.ADD, values, _checked_zeros(b, count, n, dtype))


WINDOW_OPS = {
    ("HannWindow", 17): _window("HannWindow"),
    ("HammingWindow", 17): _window("HammingWindow"),
    ("BlackmanWindow", 17): _window("BlackmanWindow"),
    ("ConstantOfShape", 9): constant_of_shape,
    ("Range", 11): range_,
}
