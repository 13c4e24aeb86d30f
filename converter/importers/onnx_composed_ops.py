"""ONNX_OPS entries for the ONNX ops that Emberlite builds out of other IR ops rather than a
kernel of their own: the normalisations (LayerNormalization, InstanceNormalization,
GroupNormalization, RMSNormalization, LpNormalization, BatchNormalization of run-time
statistics), the variadic Sum, Mean, Max and Min, Clip, ops ONNX defines as formulas
(Softsign, Celu, ThresholdedRelu, Shrink, Hardmax, Sinh, Cosh, Tan, Asinh, Acosh, Atanh,
PRelu, Swish), the tests IsNaN and IsInf, ArgMax and ArgMin (the last tied index too),
Expand, Tile and Trilu, the layout moves DepthToSpace and SpaceToDepth, Einsum of one or two
operands, Attention, RotaryEmbedding, and the losses NegativeLogLikelihoodLoss and
SoftmaxCrossEntropyLoss. The conventions are onnx_ops.py's.
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np

from ..ir import DType
from ..ops import OpType
from ..ops.arg_max import ArgParams
from ..ops.batch_matmul import BatchMatMulParams
from ..ops.binary import BinaryParams
from ..ops.clamp import ClampParams
from ..ops.concatenation import ConcatenationParams
from ..ops.gather import GatherParams
from ..ops.math_unary import EluParams
from ..ops.mean import ReduceParams
from ..ops.pad import PadParams
from ..ops.slice import SliceParams
from ..ops.softmax import SoftmaxParams
from .graph_builder import Builder, Invalid, Unsupported, axis_index, check_rank
from .onnx_nn_ops import batch_normalization as nn_batch_normalization
from .onnx_signature import Compared, Indices, Numeric, Operand


def _binary(b: Builder, op: OpType, x: str, y: str) -> str:
    return b.op(op, [x, y], BinaryParams())


# --- normalisations ------------------------------------------------------------------------
def _statistics(b: Builder, x: str, axes: tuple[int, ...], epsilon: float
                ) -> tuple[str, str, str]:
    """(x - mean) / sqrt(variance + epsilon) over `axes` (the variance of the centred x), the
    mean and 1 / sqrt(variance + epsilon), those two with the reduced dims kept as 1."""
    keep = tuple(1 if i in axes else d for i, d in enumerate(b.shape(x)))
    mean = b.op(OpType.MEAN, [x], ReduceParams(axes), shapes=[keep])
    centred = _binary(b, OpType.SUB, x, mean)
    variance = b.op(OpType.MEAN, [b.op(OpType.SQUARE, [centred])], ReduceParams(axes),
                    shapes=[keep])
    inv_std = b.op(OpType.RSQRT, [_binary(b, OpType.ADD, variance, b.scalar(epsilon))])
    return _binary(b, OpType.MUL, centred, inv_std), mean, inv_std


def _normalize(b: Builder, x: str, axes: tuple[int, ...], epsilon: float) -> str:
    return _statistics(b, x, axes, epsilon)[0]


def _affine(b: Builder, y: str, scale: str | None, bias: str | None,
            shape: tuple[int, ...] | None = None) -> str:
    """y * scale + bias, each reshaped to `shape` first when given (per-channel of NCHW)."""
    if scale is not None:
        y = _binary(b, OpType.MUL, y, b.reshape(scale, shape) if shape else scale)
    if bias is not None:
        y = _binary(b, OpType.ADD, y, b.reshape(bias, shape) if shape else bias)
    return y


def layer_normalization(b: Builder, x: str, scale: str, bias: str | None = None, *,
                        axis: int = -1, epsilon: float = 1e-5, stash_type: Literal[1] = 1
                        ) -> list[str]:
    """Y, Mean and InvStdDev (the importer drops the nodes of outputs nobody reads), the
    statistics in float32."""
    rank = b.rank(x)
    axes = tuple(range(axis_index(axis, rank), rank))
    y, mean, inv_std = _statistics(b, x, axes, epsilon)
    return [_affine(b, y, scale, bias), mean, inv_std]


def _per_channel(b: Builder, x: str) -> tuple[int, ...]:
    """The shape that broadcasts a [C] vector over NC... x."""
    return (b.shape(x)[1],) + (1,) * (b.rank(x) - 2)


def rms_normalization(b: Builder, x: str, scale: str, *, axis: int = -1,
                      epsilon: float = 1e-5, stash_type: Literal[1] = 1) -> str:
    """x / sqrt(mean(x^2) + epsilon) over the dims from `axis` on, times scale."""
    rank = b.rank(x)
    axes = tuple(range(axis_index(axis, rank), rank))
    keep = tuple(1 if i in axes else d for i, d in enumerate(b.shape(x)))
    mean_square = b.op(OpType.MEAN, [b.op(OpType.SQUARE, [x])], ReduceParams(axes),
                       shapes=[keep])
    inv_rms = b.op(OpType.RSQRT, [_binary(b, OpType.ADD, mean_square, b.scalar(epsilon))])
    return _affine(b, _binary(b, OpType.MUL, x, inv_rms), scale, None)


def instance_normalization(b: Builder, x: str, scale: str, bias: str, *,
                           epsilon: float = 1e-5) -> str:
    check_rank(b, x, (3, 4, 5), "input (N, C, spatial...)")
    y = _normalize(b, x, tuple(range(2, b.rank(x))), epsilon)
    return _affine(b, y, scale, bias, _per_channel(b, x))


def group_normalization(b: Builder, x: str, scale: str, bias: str, *, epsilon: float = 1e-5,
                        num_groups: int, stash_type: Literal[1] = 1) -> str:
    """Opset 21 (18's per-group scale and bias are deprecated and refused by ONNX's checker):
    statistics per group of channels, then scale and bias per channel."""
    check_rank(b, x, (3, 4, 5), "input (N, C, spatial...)")
    dims = b.shape(x)
    channels = dims[1]
    if num_groups < 1 or channels % num_groups:
        raise Invalid(f"num_groups {num_groups} does not divide the {channels} channels")
    grouped = b.reshape(x, (dims[0], num_groups, int(np.prod(dims[1:])) // num_groups))
    y = b.reshape(_normalize(b, grouped, (2,), epsilon), dims)
    return _affine(b, y, scale, bias, _per_channel(b, x))


def batch_normalization(b: Builder, x: str, scale: str, bias: str, mean: str, var: str, *,
                        epsilon: float = 1e-5, momentum: float = 0.9, training_mode: int = 0,
                        spatial: int = 1) -> str:
    """Constant statistics: one per-channel multiply-add (onnx_nn_ops.py, which the passes
    fold into a convolution); any given at run time: (x - mean) * scale / sqrt(var + eps) + B
    with each [C] input reshaped to broadcast over NC...."""
    if training_mode:
        raise Unsupported("training_mode=1 is not supported (inference only)")
    if not spatial:
        raise Unsupported("spatial=0 (per-element statistics) is not supported")
    values = [b.value(v) for v in (scale, bias, mean, var)]
    if all(v is not None for v in values):
        return nn_batch_normalization(b, x, *values, epsilon=epsilon)
    dims = b.shape(x)
    if len(dims) < 2 or any(b.shape(v) != (dims[1],) for v in (scale, bias, mean, var)):
        raise Invalid(f"scale, B, mean and var must be [C] for input {dims}")
    channel = _per_channel(b, x)
    inv_std = b.op(OpType.RSQRT, [_binary(b, OpType.ADD, b.reshape(var, channel),
                                          b.scalar(epsilon))])
    centred = _binary(b, OpType.SUB, x, b.reshape(mean, channel))
    factor = _binary(b, OpType.MUL, b.reshape(scale, channel), inv_std)
    return _affine(b, _binary(b, OpType.MUL, centred, factor), None, bias, channel)


# --- variadic element-wise -----------------------------------------------------------------
def _fold(b: Builder, op: OpType, inputs: tuple[str, ...], params: object) -> str:
    if not inputs:
        raise Invalid("needs at least one input")
    y = inputs[0]
    for x in inputs[1:]:
        y = b.op(op, [y, x], params)
    return y


def sum_(b: Builder, *inputs: str) -> str:
    return _fold(b, OpType.ADD, inputs, BinaryParams())


def mean(b: Builder, *inputs: str) -> str:
    total = sum_(b, *inputs)
    if len(inputs) == 1:
        return total
    return _binary(b, OpType.DIV, total, b.scalar(float(len(inputs))))


def same_type(b: Builder, inputs: tuple[str, ...] | list[str]) -> None:
    """Inputs of an arithmetic op share one element type (int32 and int64 never mix, nor
    integers with floats), as ONNX's type constraint T says."""
    types = [b.dtype(x).name.lower() for x in inputs]
    if len(set(types)) > 1:
        raise Invalid(f"inputs must share one type, got {' and '.join(types)}")


def max_(b: Builder, *inputs: Numeric) -> str:
    same_type(b, inputs)
    return _fold(b, OpType.MAXIMUM, inputs, None)


def min_(b: Builder, *inputs: Numeric) -> str:
    same_type(b, inputs)
    return _fold(b, OpType.MINIMUM, inputs, None)


# --- activations defined as formulas -------------------------------------------------------
def softsign(b: Builder, x: str) -> str:
    """x / (1 + |x|)."""
    one_plus = _binary(b, OpType.ADD, b.op(OpType.ABS, [x]), b.scalar(1.0))
    return _binary(b, OpType.DIV, x, one_plus)


def celu(b: Builder, x: str, *, alpha: float = 1.0) -> str:
    """alpha * elu(x / alpha): x above 0, alpha * (exp(x / alpha) - 1) below."""
    if alpha == 0.0:
        raise Invalid("alpha must not be 0")
    scaled = _binary(b, OpType.DIV, x, b.scalar(alpha))
    return _binary(b, OpType.MUL, b.op(OpType.ELU, [scaled], EluParams(1.0)), b.scalar(alpha))


def thresholded_relu(b: Builder, x: str, *, alpha: float = 1.0) -> str:
    above = b.op(OpType.GREATER, [x, b.scalar(alpha)], dtype=DType.BOOL)
    return b.op(OpType.WHERE, [above, x, b.scalar(0.0)], dtype=DType.FLOAT32)


def shrink(b: Builder, x: str, *, bias: float = 0.0, lambd: float = 0.5) -> str:
    """x - bias above lambd, x + bias below -lambd, 0 between."""
    above = b.op(OpType.GREATER, [x, b.scalar(lambd)], dtype=DType.BOOL)
    below = b.op(OpType.LESS, [x, b.scalar(-lambd)], dtype=DType.BOOL)
    low = b.op(OpType.WHERE, [below, _binary(b, OpType.ADD, x, b.scalar(bias)),
                              b.scalar(0.0)], dtype=DType.FLOAT32)
    return b.op(OpType.WHERE, [above, _binary(b, OpType.SUB, x, b.scalar(bias)), low],
                dtype=DType.FLOAT32)


def _clamp(b: Builder, x: str, lo: float, hi: float) -> str:
    if lo == 0.0 and hi == 6.0:
        return b.op(OpType.RELU6, [x])
    if lo == 0.0 and hi == math.inf:
        return b.op(OpType.RELU, [x])
    return b.op(OpType.CLAMP, [x], ClampParams(lo, hi))


def clip_6(b: Builder, x: str, *, min: float = float(np.finfo(np.float32).min),
           max: float = float(np.finfo(np.float32).max)) -> str:
    return _clamp(b, x, min, max)


def clip_11(b: Builder, x: Numeric, min: Numeric | None = None,
            max: Numeric | None = None) -> str:
    """min(max(x, min), max): CLAMP for constant bounds, MAXIMUM / MINIMUM for run-time ones
    and for plain integers, whose bounds CLAMP's float params would round (a min above max
    gives max everywhere, as ONNX's definition does)."""
    bounds = {"min": min, "max": max}
    for what, bound in bounds.items():
        if bound is not None and math.prod(b.shape(bound)) != 1:
            raise Invalid(f"{what} must be a scalar, got shape {list(b.shape(bound))}")
    values = {what: None if bound is None else b.value(bound) for what, bound in bounds.items()}
    if b.dtype(x) == DType.FLOAT32 and all(bound is None or values[what] is not None
                                           for what, bound in bounds.items()):
        lo, hi = (default if values[what] is None else float(values[what].reshape(-1)[0])
                  for what, default in (("min", -math.inf), ("max", math.inf)))
        return _clamp(b, x, lo, hi)
    y = x
    for what, op in (("min", OpType.MAXIMUM), ("max", OpType.MINIMUM)):
        if bounds[what] is not None:
            y = b.op(op, [y, b.reshape(bounds[what], ())])
    return y


def _exp_pair(b: Builder, x: str, op: OpType) -> str:
    """(exp(x) op exp(-x)) / 2: sinh with SUB, cosh with ADD."""
    pair = b.op(op, [b.op(OpType.EXP, [x]), b.op(OpType.EXP, [b.op(OpType.NEG, [x])])],
                BinaryParams())
    return _binary(b, OpType.MUL, pair, b.scalar(0.5))


def sinh(b: Builder, x: str) -> str:
    return _exp_pair(b, x, OpType.SUB)


def cosh(b: Builder, x: str) -> str:
    return _exp_pair(b, x, OpType.ADD)


def tan(b: Builder, x: str) -> str:
    return _binary(b, OpType.DIV, b.op(OpType.SIN, [x]), b.op(OpType.COS, [x]))


def asinh(b: Builder, x: str) -> str:
    """sign(x) * log(|x| + sqrt(x^2 + 1)): the odd form, so a large negative x does not
    cancel to log(0)."""
    size = b.op(OpType.ABS, [x])
    root = b.op(OpType.SQRT, [_binary(b, OpType.ADD, b.op(OpType.SQUARE, [x]),
                                      b.scalar(1.0))])
    magnitude = b.op(OpType.LOG, [_binary(b, OpType.ADD, size, root)])
    return _binary(b, OpType.MUL, b.op(OpType.SIGN, [x]), magnitude)


def acosh(b: Builder, x: str) -> str:
    """log(x + sqrt(x^2 - 1)); NaN below 1 (from the square root), as ONNX's."""
    root = b.op(OpType.SQRT, [_binary(b, OpType.SUB, b.op(OpType.SQUARE, [x]),
                                      b.scalar(1.0))])
    return b.op(OpType.LOG, [_binary(b, OpType.ADD, x, root)])


def atanh(b: Builder, x: str) -> str:
    """log((1 + x) / (1 - x)) / 2."""
    ratio = _binary(b, OpType.DIV, _binary(b, OpType.ADD, b.scalar(1.0), x),
                    _binary(b, OpType.SUB, b.scalar(1.0), x))
    return _binary(b, OpType.MUL, b.op(OpType.LOG, [ratio]), b.scalar(0.5))


def prelu(b: Builder, x: str, slope: str) -> str:
    """x below 0 times slope (broadcast to x's shape, one way), x elsewhere."""
    dims = b.shape(x)
    try:
        fits = np.broadcast_shapes(dims, b.shape(slope)) == dims
    except ValueError:
        fits = False
    if not fits:
        raise Invalid(f"slope {list(b.shape(slope))} does not broadcast to the input's "
                      f"{list(dims)}")
    below = b.op(OpType.LESS, [x, b.scalar(0.0)], dtype=DType.BOOL)
    return b.op(OpType.WHERE, [below, _binary(b, OpType.MUL, x, slope), x], dtype=DType.FLOAT32)


def swish(b: Builder, x: str, *, alpha: float = 1.0) -> str:
    """x * sigmoid(alpha * x) (opset 24)."""
    scaled = x if alpha == 1.0 else _binary(b, OpType.MUL, x, b.scalar(alpha))
    return _binary(b, OpType.MUL, x, b.op(OpType.SIGMOID, [scaled]))


def trilu(b: Builder, x: Compared, k: Operand | None = None, *, upper: int = 1) -> str:
    """The upper (or lower) triangle of the last two dims from diagonal k on, zeros elsewhere:
    a WHERE with a constant mask, or with a run-time k, with the mask (col - row >= k, or
    <= k) compared at run time."""
    if b.rank(x) < 2:
        raise Invalid(f"input must have rank >= 2, got {b.rank(x)}")
    rows, cols = b.shape(x)[-2:]
    zero = b.const(np.zeros((), b.dtype(x).numpy), name="zero")
    if isinstance(k, str):
        if b.dtype(k) != DType.INT64 or math.prod(b.shape(k)) != 1:
            raise Invalid(f"k must be one int64, got {b.dtype(k).name.lower()} of shape "
                          f"{list(b.shape(k))}")
        b.reserve((rows, cols), np.int64)
        diagonal = (np.arange(cols, dtype=np.int64)[None, :]
                    - np.arange(rows, dtype=np.int64)[:, None])
        offset = b.reshape(k, ()) if b.rank(k) else k
        mask = b.op(OpType.GREATER_EQUAL if upper else OpType.LESS_EQUAL,
                    [b.const(diagonal, name="diagonal"), offset], dtype=DType.BOOL)
        return b.op(OpType.WHERE, [mask, x, zero], dtype=b.dtype(x))
    offset = 0 if k is None else int(np.asarray(k).reshape(-1)[0])
    b.reserve((rows, cols), bool)
    ones = np.ones((rows, cols), bool)
    mask = np.triu(ones, offset) if upper else np.tril(ones, offset)
    return b.op(OpType.WHERE, [b.const(mask, name="triangle"), x, zero], dtype=b.dtype(x))


def is_nan(b: Builder, x: str) -> str:
    """x != x holds only for NaN."""
    return b.op(OpType.NOT_EQUAL, [x, x], dtype=DType.BOOL)


def is_inf(b: Builder, x: str, *, detect_negative: int = 1, detect_positive: int = 1) -> str:
    if detect_negative and detect_positive:
        return b.op(OpType.EQUAL, [b.op(OpType.ABS, [x]), b.scalar(np.inf)], dtype=DType.BOOL)
    return b.op(OpType.EQUAL, [x, b.scalar(np.inf if detect_positive else -np.inf)],
                dtype=DType.BOOL)


def hardmax(b: Builder, x: str, *, axis: int = -1) -> str:
    """1.0 at the first largest value along `axis`, 0.0 elsewhere (opset 13)."""
    rank = b.rank(x)
    a = axis_index(axis, rank)
    dims = b.shape(x)
    if 0 in dims:
        return x  # empty in, the same empty out (ARG_MAX has no answer over an empty axis)
    keep = tuple(1 if i == a else d for i, d in enumerate(dims))
    winner = b.op(OpType.ARG_MAX, [x], ArgParams(a), shapes=[keep], dtype=DType.INT32)
    b.reserve((dims[a],), np.int32)
    positions = np.arange(dims[a], dtype=np.int32).reshape([-1 if i == a else 1
                                                             for i in range(rank)])
    hit = b.op(OpType.EQUAL, [b.const(positions, name="positions"), winner], dtype=DType.BOOL)
    return b.op(OpType.CAST, [hit], dtype=DType.FLOAT32)


def _arg(b: Builder, op: OpType, x: str, axis: int, keepdims: int, last: int) -> str:
    """ARG_MAX/ARG_MIN as int64; the last of tied indices: the first of x reversed along the
    axis (a SLICE of step -1), mapped back by a GATHER of the reversed positions."""
    dims = b.shape(x)
    a = axis_index(axis, len(dims))
    out = dims[:a] + (1,) * bool(keepdims) + dims[a + 1:]
    if not last:
        return b.op(op, [x], ArgParams(a), shapes=[out], dtype=DType.INT64)
    begin = tuple(d - 1 if i == a else 0 for i, d in enumerate(dims))
    step = tuple(-1 if i == a else 1 for i in range(len(dims)))
    reversed_x = b.op(OpType.SLICE, [x], SliceParams(begin, step), shapes=[dims])
    index = b.op(op, [reversed_x], ArgParams(a), shapes=[out], dtype=DType.INT64)
    b.reserve((dims[a],), np.int64)
    positions = b.const(np.arange(dims[a] - 1, -1, -1, dtype=np.int64), name="positions")
    return b.op(OpType.GATHER, [positions, index], GatherParams(0))


def arg_max(b: Builder, x: str, *, axis: int = 0, keepdims: int = 1,
            select_last_index: Literal[0, 1] = 0) -> str:
    return _arg(b, OpType.ARG_MAX, x, axis, keepdims, select_last_index)


def arg_min(b: Builder, x: str, *, axis: int = 0, keepdims: int = 1,
            select_last_index: Literal[0, 1] = 0) -> str:
    return _arg(b, OpType.ARG_MIN, x, axis, keepdims, select_last_index)


def lp_normalization(b: Builder, x: str, *, axis: int = -1, p: Literal[1, 2] = 2) -> str:
    """x / ||x||_p along `axis`; an all-zero vector stays zero (its norm counts as 1)."""
    a = axis_index(axis, b.rank(x))
    keep = tuple(1 if i == a else d for i, d in enumerate(b.shape(x)))
    part = b.op(OpType.ABS if p == 1 else OpType.SQUARE, [x])
    norm = b.op(OpType.SUM, [part], ReduceParams((a,)), shapes=[keep])
    if p == 2:
        norm = b.op(OpType.SQRT, [norm])
    zero = b.op(OpType.EQUAL, [norm, b.scalar(0.0)], dtype=DType.BOOL)
    norm = b.op(OpType.WHERE, [zero, b.scalar(1.0), norm], dtype=DType.FLOAT32)
    return _binary(b, OpType.DIV, x, norm)


# --- broadcasting and repetition -----------------------------------------------------------
def _int_list(value: np.ndarray, what: str) -> list[int]:
    """A constant input that must hold integers (a shape, repeat counts)."""
    if not np.issubdtype(value.dtype, np.integer):
        raise Invalid(f"{what} must be an integer tensor, got {value.dtype}")
    return [int(v) for v in value.reshape(-1)]


def expand(b: Builder, x: Compared, shape: np.ndarray) -> str:
    """numpy broadcasting of x against `shape`: a WHERE whose true condition carries the dims
    x lacks (one byte each), so any element type works."""
    target = tuple(_int_list(np.asarray(shape), "shape"))
    dims = b.shape(x)
    try:
        out = np.broadcast_shapes(dims, target)
    except ValueError:
        raise Invalid(f"shape {list(target)} does not broadcast with the input's "
                      f"{list(dims)}") from None
    if out == dims:
        return x
    lead = (1,) * (len(out) - len(dims)) + dims
    carrier = tuple(o if d == 1 else 1 for o, d in zip(out, lead))
    b.reserve(carrier, bool)
    cond = b.const(np.ones(carrier, bool), name="expand")
    return b.op(OpType.WHERE, [cond, x, x], dtype=b.dtype(x))


# Tile concatenates copies: at most this many along one dim.
MAX_COPIES = 4096


def tile(b: Builder, x: Compared, repeats: np.ndarray) -> str:
    counts = _int_list(np.asarray(repeats), "repeats")
    if len(counts) != b.rank(x) or min(counts, default=1) < 0:
        raise Invalid(f"repeats {counts} must give a count >= 0 for each of the "
                      f"{b.rank(x)} dims")
    if max(counts, default=1) > MAX_COPIES:
        raise Unsupported(f"repeats {counts}: at most {MAX_COPIES} copies along a dim")
    if 0 in counts:  # no copy along a dim: empty
        shape = tuple(0 if c == 0 else d for c, d in zip(counts, b.shape(x)))
        x = b.op(OpType.SLICE, [x], SliceParams((0,) * len(shape), (1,) * len(shape)),
                 shapes=[shape])
    for axis, count in enumerate(counts):
        if count > 1:
            x = b.op(OpType.CONCATENATION, [x] * count, ConcatenationParams(axis))
    return x


# --- layout moves ------------------------------------------------------------------------------
def depth_to_space(b: Builder, x: Compared, *, blocksize: int,
                   mode: Literal["DCR", "CRD"] = "DCR") -> str:
    check_rank(b, x, (4,), "input (N, C, H, W)")
    n, c, h, w = b.shape(x)
    k = blocksize
    if k < 1 or c % (k * k):
        raise Invalid(f"blocksize {k}: {c} channels are not a multiple of {k * k}")
    if mode == "DCR":
        y = b.transpose(b.reshape(x, (n, k, k, c // (k * k), h, w)), (0, 3, 4, 1, 5, 2))
    else:
        y = b.transpose(b.reshape(x, (n, c // (k * k), k, k, h, w)), (0, 1, 4, 2, 5, 3))
    return b.reshape(y, (n, c // (k * k), h * k, w * k))


def space_to_depth(b: Builder, x: Compared, *, blocksize: int,
                   mode: Literal["DCR", "CRD"] = "DCR") -> str:
    """The inverse of DepthToSpace in the same mode: the block's offsets go before (DCR) or
    after (CRD) the channels."""
    check_rank(b, x, (4,), "input (N, C, H, W)")
    n, c, h, w = b.shape(x)
    k = blocksize
    if k < 1 or h % k or w % k:
        raise Invalid(f"blocksize {k} does not divide the spatial size {h}x{w}")
    perm = (0, 3, 5, 1, 2, 4) if mode == "DCR" else (0, 1, 3, 5, 2, 4)
    y = b.transpose(b.reshape(x, (n, c, h // k, k, w // k, k)), perm)
    return b.reshape(y, (n, c * k * k, h // k, w // k))


# --- attention ----------------------------------------------------------------------------
def _heads(b: Builder, x: str, heads: int | None, what: str) -> str:
    """[B, S, H*D] -> [B, H, S, D]; 4-D input is already so."""
    if b.rank(x) == 4:
        return x
    batch, length, hidden = b.shape(x)
    if not heads or hidden % heads:
        raise Invalid(f"{what}: {heads} heads do not divide its hidden size {hidden}")
    return b.transpose(b.reshape(x, (batch, length, heads, hidden // heads)), (0, 2, 1, 3))


def _repeat_heads(b: Builder, x: str, times: int) -> str:
    """[B, H, S, D] -> [B, H * times, S, D], each head repeated in place (h0, h0, h1, ...)."""
    batch, heads, length, size = b.shape(x)
    spread = b.reshape(x, (batch, heads, 1, length, size))
    b.reserve((times,), bool)
    carrier = b.const(np.ones((1, 1, times, 1, 1), bool), name="repeat")
    spread = b.op(OpType.WHERE, [carrier, spread, spread], dtype=DType.FLOAT32)
    return b.reshape(spread, (batch, heads * times, length, size))


def _mask_bias(b: Builder, mask: str | None, causal: bool, q_len: int, kv_len: int,
               past: int) -> str | None:
    """The additive bias (0 attend, -inf not) of a bool or float mask, padded to kv_len, and of
    the bottom-right causal mask (query i sees key j <= i + past)."""
    bias = None
    if mask is not None:
        short = kv_len - b.shape(mask)[-1]
        if short > 0:
            is_bool = b.dtype(mask) == DType.BOOL
            rank = b.rank(mask)
            pads = (0,) * (2 * rank - 1) + (short,)  # after the last dim only
            mask = b.op(OpType.PAD, [mask], PadParams(pads, value=0.0 if is_bool else -np.inf))
        if b.dtype(mask) == DType.BOOL:
            mask = b.op(OpType.WHERE, [mask, b.scalar(0.0), b.scalar(-np.inf)],
                        dtype=DType.FLOAT32)
        bias = mask
    if causal:
        b.reserve((q_len, kv_len), np.float32)
        allowed = np.arange(kv_len)[None, :] <= np.arange(q_len)[:, None] + past
        tri = b.const(np.where(allowed, 0.0, -np.inf).astype(np.float32), name="causal")
        bias = tri if bias is None else _binary(b, OpType.ADD, bias, tri)
    return bias


def _allowed(diff: np.ndarray, causal: bool, left: int, right: int) -> np.ndarray:
    """Which keys a query sees, by diff = the query's absolute position - the key's."""
    allowed = np.ones(diff.shape, bool)
    if causal:
        allowed &= diff >= 0
    if left >= 0:
        allowed &= diff <= left
    if right >= 0:
        allowed &= -diff <= right
    return allowed


def _int_const(b: Builder, array: np.ndarray, name: str) -> str:
    b.reserve(array.shape, np.int64)
    return b.const(array.astype(np.int64), name=name)


def _offset_bias(b: Builder, q_len: int, kv_len: int, past: int, causal: bool, left: int,
                 right: int, nonpad: str | None) -> str:
    """The bias of the causal frontier and the sliding window (query i, at absolute position
    i + offset, sees key j iff j <= i + offset when causal, i + offset - j <= left and
    j - i - offset <= right for each bound >= 0) and of the external cache's padding (key j
    < nonpad_kv_seqlen[b]). offset is the past length, or nonpad_kv_seqlen[b] - q_len per
    batch, read at run time: then the bias is (B, 1, q_len, kv_len)."""
    i, j = np.arange(q_len)[:, None], np.arange(kv_len)[None, :]
    if nonpad is None:
        b.reserve((q_len, kv_len), np.float32)
        allowed = _allowed(i + past - j, causal, left, right)
        return b.const(np.where(allowed, 0.0, -np.inf).astype(np.float32), name="window")
    batch = b.shape(nonpad)[0]
    lengths = b.reshape(nonpad, (batch, 1, 1, 1))
    diff = b.op(OpType.ADD, [lengths, _int_const(b, (i - q_len - j)[None, None], "offsets")],
                BinaryParams(), dtype=DType.INT64)
    tests = [(OpType.GREATER, diff, -1)] if causal else []
    tests += [(OpType.LESS_EQUAL, diff, left)] if left >= 0 else []
    tests += [(OpType.GREATER, diff, -right - 1)] if right >= 0 else []
    keys = b.op(OpType.ADD, [lengths, _int_const(b, -j[None, None], "keys")], BinaryParams(),
                dtype=DType.INT64)
    allowed = b.op(OpType.GREATER, [keys, _int_const(b, np.array(0), "zero")],
                   dtype=DType.BOOL)  # the key is within the cache's valid length
    for op, x, bound in tests:
        ok = b.op(op, [x, _int_const(b, np.array(bound), "bound")], dtype=DType.BOOL)
        allowed = b.op(OpType.LOGICAL_AND, [allowed, ok], dtype=DType.BOOL)
    return b.op(OpType.WHERE, [allowed, b.scalar(0.0), b.scalar(-np.inf)], dtype=DType.FLOAT32)


def attention(b: Builder, q: str, k: str, v: str, attn_mask: Compared | None = None,
              past_key: str | None = None, past_value: str | None = None,
              nonpad_kv_seqlen: Indices | None = None, *,
              is_causal: int = 0, kv_num_heads: int | None = None,
              q_num_heads: int | None = None, qk_matmul_output_mode: Literal[0, 1, 2, 3] = 0,
              scale: float | None = None, softcap: float = 0.0,
              softmax_precision: Literal[1, 10, 16] = 1, left_window_size: int = -1,
              right_window_size: int = -1) -> list[str]:
    """Opsets 23-25: Y, present_key, present_value and the chosen QK product, in the
    reference's order of operations (Q and K each scaled by sqrt(scale); softcap before the
    mask; a row whose keys are all masked gives zeros). The sliding window and the external
    cache's valid lengths (nonpad_kv_seqlen, read at run time) mask keys as _offset_bias says.
    The softmax runs in float32 whatever softmax_precision asks of float16 or bfloat16 (at
    least as precise); float64 is refused."""
    if left_window_size < -1 or right_window_size < -1:
        raise Invalid(f"left_window_size and right_window_size must be -1 or >= 0, got "
                      f"{left_window_size}, {right_window_size}")
    if nonpad_kv_seqlen is not None and past_key is not None:
        raise Invalid("nonpad_kv_seqlen cannot be combined with past_key and past_value")
    if nonpad_kv_seqlen is not None and (b.dtype(nonpad_kv_seqlen) != DType.INT64
                                         or b.shape(nonpad_kv_seqlen) != b.shape(q)[:1]):
        raise Invalid(f"nonpad_kv_seqlen must be int64 of shape [batch] {list(b.shape(q)[:1])}, "
                      f"got {b.dtype(nonpad_kv_seqlen).name.lower()} "
                      f"{list(b.shape(nonpad_kv_seqlen))}")
    three_d = b.rank(q) == 3
    if b.rank(q) not in (3, 4) or b.rank(k) != b.rank(q) or b.rank(v) != b.rank(q):
        raise Invalid(f"Q, K and V must all be 3-D or all 4-D, got ranks {b.rank(q)}, "
                      f"{b.rank(k)}, {b.rank(v)}")
    q, k, v = (_heads(b, x, n, what) for x, n, what in
               ((q, q_num_heads, "Q"), (k, kv_num_heads, "K"), (v, kv_num_heads, "V")))
    if (past_key is None) != (past_value is None):
        raise Invalid("past_key and past_value must be given together")
    past = 0 if past_key is None else b.shape(past_key)[2]
    if past_key is not None:
        k = b.op(OpType.CONCATENATION, [past_key, k], ConcatenationParams(2))
        v = b.op(OpType.CONCATENATION, [past_value, v], ConcatenationParams(2))
    present_key, present_value = k, v
    q_heads, kv_heads = b.shape(q)[1], b.shape(k)[1]
    if q_heads != kv_heads:
        if q_heads % kv_heads:
            raise Invalid(f"{kv_heads} key/value heads do not divide {q_heads} query heads")
        k, v = (_repeat_heads(b, x, q_heads // kv_heads) for x in (k, v))
    root = np.float32(np.sqrt(scale if scale is not None else 1.0 / np.sqrt(b.shape(q)[3])))
    scores = b.op(OpType.BATCH_MATMUL, [_binary(b, OpType.MUL, q, b.scalar(root)),
                                        _binary(b, OpType.MUL, k, b.scalar(root))],
                  BatchMatMulParams(adj_b=True))
    if softcap > 0:
        capped = b.op(OpType.TANH, [_binary(b, OpType.DIV, scores, b.scalar(softcap))])
        scores = _binary(b, OpType.MUL, capped, b.scalar(softcap))
    qk = scores
    windowed = left_window_size >= 0 or right_window_size >= 0
    offset_bias = None
    if windowed or nonpad_kv_seqlen is not None:
        offset_bias = _offset_bias(b, b.shape(q)[2], b.shape(k)[2], past, bool(is_causal),
                                   left_window_size, right_window_size, nonpad_kv_seqlen)
    bias = _mask_bias(b, attn_mask, bool(is_causal) and offset_bias is None, b.shape(q)[2],
                      b.shape(k)[2], past)
    if offset_bias is not None:
        bias = offset_bias if bias is None else _binary(b, OpType.ADD, bias, offset_bias)
    if bias is not None:
        scores = _binary(b, OpType.ADD, scores, bias)
    if qk_matmul_output_mode == 2:
        qk = scores
    probs = b.op(OpType.SOFTMAX, [scores], SoftmaxParams(b.rank(scores) - 1))
    if bias is not None:
        keep = b.shape(bias)[:-1] + (1,)
        row_max = b.op(OpType.REDUCE_MAX, [bias], ReduceParams((b.rank(bias) - 1,)),
                       shapes=[keep])
        unmasked = b.op(OpType.GREATER, [row_max, b.scalar(-np.inf)], dtype=DType.BOOL)
        probs = b.op(OpType.WHERE, [unmasked, probs, b.scalar(0.0)], dtype=DType.FLOAT32)
    if qk_matmul_output_mode == 3:
        qk = probs
    y = b.op(OpType.BATCH_MATMUL, [probs, v], BatchMatMulParams())
    if three_d:
        batch, heads, length, size = b.shape(y)
        y = b.reshape(b.transpose(y, (0, 2, 1, 3)), (batch, length, heads * size))
    return [y, present_key, present_value, qk]


def _last(b: Builder, x: str, begin: int, count: int, step: int = 1) -> str:
    """`count` elements of the last dim of `x` from `begin`, `step` apart."""
    dims = b.shape(x)
    if begin == 0 and step == 1 and count == dims[-1]:
        return x
    params = SliceParams((0,) * (len(dims) - 1) + (begin,), (1,) * (len(dims) - 1) + (step,))
    return b.op(OpType.SLICE, [x], params, shapes=[dims[:-1] + (count,)])


def rotary_embedding(b: Builder, x: str, cos_cache: str, sin_cache: str,
                     position_ids: Indices | None = None, *, interleaved: int = 0,
                     num_heads: int = 0, rotary_embedding_dim: int = 0) -> str:
    """Opset 23: the first rotary_embedding_dim values of each head rotated by the cached
    angles (of the positions, or given per token), the rest passed on; halves or interleaved
    pairs. Computed on [B, S, heads, head size], as ONNX's reference."""
    dims = b.shape(x)
    if len(dims) == 4:
        y = b.transpose(x, (0, 2, 1, 3))
    elif len(dims) == 3 and num_heads > 0 and dims[2] % num_heads == 0:
        y = b.reshape(x, (dims[0], dims[1], num_heads, dims[2] // num_heads))
    else:
        raise Invalid(f"input {list(dims)} must be [B, heads, S, head size], or [B, S, hidden] "
                      f"with num_heads ({num_heads}) dividing hidden")
    batch, length, _, size = b.shape(y)
    rotated = rotary_embedding_dim or size
    if rotated % 2 or rotated > size:
        raise Invalid(f"rotary_embedding_dim {rotated} must be even and at most the head size "
                      f"{size}")
    half = rotated // 2
    angles = []
    for cache in (cos_cache, sin_cache):
        if position_ids is not None:
            cache = b.op(OpType.GATHER, [cache, position_ids], GatherParams(0))
        if b.shape(cache) != (batch, length, half):
            raise Invalid(f"the caches give {list(b.shape(cache))} per token, "
                          f"[{batch}, {length}, {half}] expected")
        angles.append(b.reshape(cache, (batch, length, 1, half)))
    cos, sin = angles
    if interleaved:
        x1, x2 = _last(b, y, 0, half, 2), _last(b, y, 1, half, 2)
    else:
        x1, x2 = _last(b, y, 0, half), _last(b, y, half, half)
    real = _binary(b, OpType.SUB, _binary(b, OpType.MUL, cos, x1), _binary(b, OpType.MUL, sin, x2))
    imag = _binary(b, OpType.ADD, _binary(b, OpType.MUL, sin, x1), _binary(b, OpType.MUL, cos, x2))
    last = len(b.shape(y)) - 1
    if interleaved:
        pairs = [b.reshape(v, b.shape(v) + (1,)) for v in (real, imag)]
        joined = b.op(OpType.CONCATENATION, pairs, ConcatenationParams(last + 1))
        out = b.reshape(joined, b.shape(real)[:-1] + (rotated,))
    else:
        out = b.op(OpType.CONCATENATION, [real, imag], ConcatenationParams(last))
    if rotated < size:
        out = b.op(OpType.CONCATENATION, [out, _last(b, y, rotated, size - rotated)],
                   ConcatenationParams(last))
    return b.reshape(out, dims) if len(dims) == 3 else b.transpose(out, (0, 2, 1, 3))


# --- einsum ----------------------------------------------------------------------------------
def _einsum_terms(equation: str, count: int) -> tuple[list[str], str]:
    """The operands' subscripts and the output's (implicit: the letters seen once, sorted)."""
    text = equation.replace(" ", "")
    if "." in text:
        raise Unsupported(f"einsum {equation!r}: ellipsis")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != count or not all(t.isalpha() or t == "" for t in terms + [output]):
        raise Invalid(f"einsum {equation!r} does not name {count} operand(s) by letters")
    if any(len(set(t)) != len(t) for t in terms + [output]):
        raise Unsupported(f"einsum {equation!r}: a repeated letter (a diagonal)")
    if not arrow:
        letters = "".join(terms)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if not set(output) <= set("".join(terms)):
        raise Invalid(f"einsum {equation!r}: the output names a letter no operand has")
    return terms, output


def _sum_out(b: Builder, x: str, term: str, keep: set[str]) -> tuple[str, str]:
    """Sums `x` over its letters not in `keep`; returns it and its remaining subscripts."""
    gone = tuple(i for i, c in enumerate(term) if c not in keep)
    if not gone:
        return x, term
    left = "".join(c for c in term if c in keep)
    shape = tuple(d for i, d in enumerate(b.shape(x)) if i not in gone)
    return b.op(OpType.SUM, [x], ReduceParams(gone), shapes=[shape]), left


def _arrange(b: Builder, x: str, term: str, order: str) -> str:
    return b.transpose(x, tuple(term.index(c) for c in order))


def einsum(b: Builder, *inputs: str, equation: str) -> str:
    """One operand (transposes and sums) or two whose product is a batched matrix product:
    letters in both operands and the output are the batch, in both only the contraction,
    the others each operand's own rows or columns."""
    terms, output = _einsum_terms(equation, len(inputs))
    if len(inputs) == 1:
        x, term = _sum_out(b, inputs[0], terms[0], set(output))
        return _arrange(b, x, term, output)
    if len(inputs) != 2:
        raise Unsupported(f"einsum {equation!r}: {len(inputs)} operands (at most 2)")
    (a, ta), (c, tc) = (_sum_out(b, x, t, set(output) | set(other)) for x, t, other in
                        ((inputs[0], terms[0], terms[1]), (inputs[1], terms[1], terms[0])))
    batch = "".join(ch for ch in output if ch in ta and ch in tc)
    contract = "".join(ch for ch in ta if ch in tc and ch not in output)
    rows = "".join(ch for ch in ta if ch not in tc)
    cols = "".join(ch for ch in tc if ch not in ta)
    sizes_a, sizes_c = dict(zip(ta, b.shape(a))), dict(zip(tc, b.shape(c)))
    if any(sizes_a[ch] != sizes_c[ch] for ch in batch + contract):
        raise Invalid(f"einsum {equation!r}: a letter of both operands differs in size")
    size = {**sizes_a, **sizes_c}
    dims = [int(np.prod([size[ch] for ch in g])) for g in (batch, rows, contract, cols)]
    left = b.reshape(_arrange(b, a, ta, batch + rows + contract), (dims[0], dims[1], dims[2]))
    right = b.reshape(_arrange(b, c, tc, batch + contract + cols), (dims[0], dims[2], dims[3]))
    product = b.op(OpType.BATCH_MATMUL, [left, right], BatchMatMulParams())
    full = batch + rows + cols
    product = b.reshape(product, tuple(size[ch] for ch in full))
    return _arrange(b, product, full, output)


# --- losses ----------------------------------------------------------------------------------
Reduction = Literal["none", "sum", "mean"]


def _class_mask(b: Builder, x: str, target: str) -> str:
    """[N, C, d...] bool: true where the class index along dim 1 equals target [N, d...]."""
    dims, labels = b.shape(x), b.shape(target)
    if b.rank(x) < 2 or labels != dims[:1] + dims[2:]:
        raise Invalid(f"target {list(labels)} must be the input's shape {list(dims)} without "
                      f"its class dim 1")
    index_type = b.dtype(target).numpy
    b.reserve((dims[1],), index_type)
    classes = np.arange(dims[1], dtype=index_type).reshape((-1,) + (1,) * (len(dims) - 2))
    spread = b.reshape(target, dims[:1] + (1,) + dims[2:])
    return b.op(OpType.EQUAL, [b.const(classes, name="classes"), spread], dtype=DType.BOOL)


def _loss_weights(b: Builder, target: str, weight: str | None, ignore_index: int | None
                  ) -> str | None:
    """Each element's weight [N, d...]: weight[target] (0 where target is ignore_index, whose
    index may lie outside the weights), or 1 / 0 for kept / ignored without weights."""
    if ignore_index is None:
        return None if weight is None else b.op(OpType.GATHER, [weight, target],
                                                 GatherParams(0))
    index_type = b.dtype(target).numpy
    ignored = b.op(OpType.EQUAL, [target, b.const(np.array(ignore_index, index_type),
                                                   name="ignore_index")], dtype=DType.BOOL)
    if weight is None:
        return b.op(OpType.WHERE, [ignored, b.scalar(0.0), b.scalar(1.0)], dtype=DType.FLOAT32)
    zero = b.const(np.array(0, index_type), name="zero")
    safe = b.op(OpType.WHERE, [ignored, zero, target], dtype=b.dtype(target))
    picked = b.op(OpType.GATHER, [weight, safe], GatherParams(0))
    return b.op(OpType.WHERE, [ignored, b.scalar(0.0), picked], dtype=DType.FLOAT32)


def _total(b: Builder, x: str) -> str:
    return b.op(OpType.SUM, [x], ReduceParams(tuple(range(b.rank(x)))), shapes=[()])


def negative_log_likelihood_loss(b: Builder, x: str, target: Indices, weight: str | None = None,
                                 *, ignore_index: int | None = None,
                                 reduction: Reduction = "mean") -> str:
    """-x[n, target[n, d...], d...] per element, times its class weight; summed, or averaged
    over the weights (the count of elements not ignored without them)."""
    if weight is not None and b.shape(weight) != b.shape(x)[1:2]:
        raise Invalid(f"weight {list(b.shape(weight))} must have one value per class "
                      f"(input {list(b.shape(x))}, classes along dim 1)")
    mask = _class_mask(b, x, target)
    chosen = b.op(OpType.WHERE, [mask, x, b.scalar(0.0)], dtype=DType.FLOAT32)
    keep = b.shape(target)
    loss = b.op(OpType.NEG, [b.op(OpType.SUM, [chosen], ReduceParams((1,)), shapes=[keep])])
    scale = _loss_weights(b, target, weight, ignore_index)
    if scale is not None:
        loss = _binary(b, OpType.MUL, loss, scale)
    if reduction == "none":
        return loss
    total = _total(b, loss)
    if reduction == "sum":
        return total
    if scale is None:
        return _binary(b, OpType.DIV, total, b.scalar(float(np.prod(keep))))
    return _binary(b, OpType.DIV, total, _total(b, scale))


def softmax_cross_entropy_loss(b: Builder, x: str, target: Indices, weight: str | None = None,
                               *, ignore_index: int | None = None,
                               reduction: Reduction = "mean") -> list[str]:
    """The loss and log_prob: NegativeLogLikelihoodLoss of LogSoftmax over the classes."""
    if b.rank(x) < 2:
        raise Invalid(f"scores must have rank >= 2 (N, C, d...), got {list(b.shape(x))}")
    log_prob = b.op(OpType.LOG_SOFTMAX, [x], SoftmaxParams(1))
    loss = negative_log_likelihood_loss(b, log_prob, target, weight, ignore_index=ignore_index,
                                        reduction=reduction)
    return [loss, log_prob]


COMPOSED_OPS = {
    ("LayerNormalization", 17): layer_normalization,
    ("RMSNormalization", 23): rms_normalization,
    "InstanceNormalization": instance_normalization,
    ("GroupNormalization", 21): group_normalization,
    "BatchNormalization": batch_normalization,
    "Clip": clip_6,
    ("Clip", 11): clip_11,
    "Sum": sum_,
    "Mean": mean,
    "Max": max_,
    "Min": min_,
    "Softsign": softsign,
    "Sinh": sinh,
    "Cosh": cosh,
    "Tan": tan,
    "Asinh": asinh,
    "Acosh": acosh,
    "Atanh": atanh,
    "PRelu": prelu,
    ("Swish", 24): swish,
    "Celu": celu,
    "ThresholdedRelu": thresholded_relu,
    "Shrink": shrink,
    "IsNaN": is_nan,
    "IsInf": is_inf,
    ("Hardmax", 13): hardmax,
    "ArgMax": arg_max,
    "ArgMin": arg_min,
    "LpNormalization": lp_normalization,
    "Expand": expand,
    "Tile": tile,
    ("Attention", 23): attention,
    ("RotaryEmbedding", 23): rotary_embedding,
    ("Trilu", 14): trilu,
    "DepthToSpace": depth_to_space,
    "SpaceToDepth": space_to_depth,
    "Einsum": einsum,
    ("NegativeLogLikelihoodLoss", 12): negative_log_likelihood_loss,
    ("SoftmaxCrossEntropyLoss", 12): softmax_cross_entropy_loss,
}
