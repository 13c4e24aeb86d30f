"""ONNX GridSample, CumProd, Acos, Asin, Atan and EyeLike (format 9's GRID_SAMPLE, CUM_PROD,
ACOS, ASIN and ATAN; EyeLike of a known shape is a constant), and LRN and Det composed of
existing ops (LRN: squares summed over a window of channels by slices of the padded squares;
Det of 1x1, 2x2 and 3x3 matrices by its cofactor formula; Col2Im of 1-D and 2-D images as a
grouped transposed convolution whose filters pick one block position each; ReverseSequence and
TensorScatter, whose lengths and write positions are run-time values, as a GATHER_ELEMENTS of
indices computed from them; DeformConv as a GRID_SAMPLE per offset group and kernel position
followed by a 1x1 convolution, or a batched matrix product for a run-time filter), in the
conventions of onnx_ops.py (annotations are the contract the importer's pre-scan reads).
"""
from __future__ import annotations

from typing import Callable, Literal

import numpy as np
from onnx import helper

from ..ir import DType
from ..ops import OpType
from ..ops.batch_matmul import BatchMatMulParams
from ..ops.binary import BinaryParams
from ..ops.cum_sum import CumSumParams
from ..ops.gather import GatherParams
from ..ops.grid_sample import GridSampleMode, GridSampleParams, GridSamplePadding
from ..ops.mod import ModParams
from ..ops.pad import PadParams
from ..ops.slice import SliceParams
from .graph_builder import Builder, Invalid, Unsupported, axis_index
from .onnx_nn_ops import conv, conv_transpose
from .onnx_signature import AnyTensor, Compared, Indices, Operand

_MODES = {"linear": GridSampleMode.LINEAR, "bilinear": GridSampleMode.LINEAR,
          "nearest": GridSampleMode.NEAREST, "cubic": GridSampleMode.CUBIC,
          "bicubic": GridSampleMode.CUBIC}
_PADDING = {"zeros": GridSamplePadding.ZEROS, "border": GridSamplePadding.BORDER,
            "reflection": GridSamplePadding.REFLECTION}


def _grid_sample(b: Builder, x: str, grid: str, mode: str, padding_mode: str,
                 align_corners: int) -> str:
    rank = b.rank(x)
    if rank not in (4, 5):
        raise Unsupported(f"input X of rank {rank}: 4-D (N, C, H, W) and 5-D (N, C, D, H, W) "
                          f"are supported")
    shape, grid_shape = b.shape(x), b.shape(grid)
    if len(grid_shape) != rank or grid_shape[0] != shape[0] or grid_shape[-1] != rank - 2:
        raise Invalid(f"grid must be (N, ..., {rank - 2}) with X's rank and batch {shape[0]}, "
                      f"got {list(grid_shape)} for X {list(shape)}")
    params = GridSampleParams(_MODES[mode], _PADDING[padding_mode], bool(align_corners))
    return b.op(OpType.GRID_SAMPLE, [x, grid], params,
                shapes=[(shape[0], shape[1], *grid_shape[1:-1])])


def grid_sample_16(b: Builder, x: str, grid: str, *, align_corners: int = 0,
                   mode: Literal["bilinear", "nearest", "bicubic"] = "bilinear",
                   padding_mode: Literal["zeros", "border", "reflection"] = "zeros") -> str:
    return _grid_sample(b, x, grid, mode, padding_mode, align_corners)


def grid_sample_20(b: Builder, x: str, grid: str, *, align_corners: int = 0,
                   mode: Literal["linear", "nearest", "cubic"] = "linear",
                   padding_mode: Literal["zeros", "border", "reflection"] = "zeros") -> str:
    return _grid_sample(b, x, grid, mode, padding_mode, align_corners)


def cum_prod(b: Builder, x: Compared, axis: Operand, *, exclusive: int = 0,
             reverse: int = 0) -> str:
    if b.dtype(x).name not in ("FLOAT32", "FLOAT64", "INT32", "INT64"):
        raise Unsupported(f"input x of type {b.dtype(x).name.lower()}: float32, float64, "
                          f"int32 and int64 are supported")
    if b.rank(x) == 0:
        raise Invalid("input x is a scalar: CumProd needs an axis")
    if isinstance(axis, str):  # the output is x's shape whatever the axis: read at invoke
        if b.dtype(axis) not in (DType.INT32, DType.INT64) or b.rank(axis) > 1 or \
                int(np.prod(b.shape(axis))) != 1:
            raise Invalid(f"axis must be one int32 or int64, got {b.dtype(axis).name.lower()} "
                          f"of shape {list(b.shape(axis))}")
        return b.op(OpType.CUM_PROD, [x, axis], CumSumParams(0, bool(exclusive), bool(reverse)))
    if axis.size != 1 or not np.issubdtype(axis.dtype, np.integer):
        raise Invalid(f"axis must be one integer, got {axis.dtype} of shape "
                      f"{list(axis.shape)}")
    a = axis_index(int(axis.reshape(-1)[0]), b.rank(x))
    return b.op(OpType.CUM_PROD, [x], CumSumParams(a, bool(exclusive), bool(reverse)))


def eye_like(b: Builder, x: AnyTensor, *, dtype: int | None = None, k: int = 0) -> np.ndarray:
    shape = b.shape(x)
    if len(shape) != 2:
        raise Invalid(f"input must be 2-D, got shape {list(shape)}")
    if dtype is None:
        out = b.dtype(x).numpy
    else:
        try:
            out = helper.tensor_dtype_to_np_dtype(dtype)
        except (KeyError, ValueError, TypeError):
            raise Invalid(f"dtype {dtype} is not an ONNX element type") from None
    return np.eye(shape[0], shape[1], k, dtype=out)


def _binary(b: Builder, op: OpType, x: str, y: str) -> str:
    return b.op(op, [x, y], BinaryParams())


def _window(b: Builder, x: str, begin: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """The block of x of `shape` at `begin`."""
    return b.op(OpType.SLICE, [x], SliceParams(begin, (1,) * len(begin)), shapes=[shape])


def lrn(b: Builder, x: str, *, size: int, alpha: float = 1e-4, beta: float = 0.75,
        bias: float = 1.0) -> str:
    """x / (bias + alpha / size * (the sum of x^2 over `size` channels around each))^beta;
    the window runs from c - floor((size - 1) / 2) to c + ceil((size - 1) / 2), clipped."""
    dims = b.shape(x)
    if len(dims) < 3:
        raise Invalid(f"input must be (N, C, ...), got shape {list(dims)}")
    if size < 1:
        raise Invalid(f"size must be at least 1, got {size}")
    before, after = (size - 1) // 2, size // 2
    squares = b.op(OpType.SQUARE, [x])
    pads = [0] * (2 * len(dims))
    pads[1], pads[len(dims) + 1] = before, after
    padded = b.op(OpType.PAD, [squares], PadParams(tuple(pads)))
    total = None
    for i in range(size):
        begin = (0, i) + (0,) * (len(dims) - 2)
        part = _window(b, padded, begin, dims)
        total = part if total is None else _binary(b, OpType.ADD, total, part)
    scaled = _binary(b, OpType.MUL, total, b.const(np.float32(alpha / size), name="alpha"))
    base = _binary(b, OpType.ADD, scaled, b.const(np.float32(bias), name="bias"))
    denominator = b.op(OpType.POW, [base, b.const(np.float32(beta), name="beta")])
    return _binary(b, OpType.DIV, x, denominator)


def det(b: Builder, x: str) -> str:
    """The determinant of each trailing square matrix by the cofactor formula: exact in the
    sense of ONNX Runtime's LU within float32 rounding, for matrices up to 3x3."""
    dims = b.shape(x)
    if len(dims) < 2 or dims[-1] != dims[-2]:
        raise Invalid(f"input must be (..., M, M), got shape {list(dims)}")
    n, lead = dims[-1], dims[:-2]
    if n > 3:
        raise Unsupported(f"{n}x{n} matrices: Det is composed for 1x1, 2x2 and 3x3 only")
    one = lead + (1, 1)

    def at(i: int, j: int) -> str:
        return _window(b, x, (0,) * len(lead) + (i, j), one)

    def minor2(r0: int, r1: int, c0: int, c1: int) -> str:
        return _binary(b, OpType.SUB, _binary(b, OpType.MUL, at(r0, c0), at(r1, c1)),
                       _binary(b, OpType.MUL, at(r0, c1), at(r1, c0)))

    if n == 1:
        d = at(0, 0)
    elif n == 2:
        d = minor2(0, 1, 0, 1)
    else:
        terms = [_binary(b, OpType.MUL, at(0, c), minor2(1, 2, *[k for k in range(3) if k != c]))
                 for c in range(3)]
        d = _binary(b, OpType.ADD, _binary(b, OpType.SUB, terms[0], terms[1]), terms[2])
    return b.reshape(d, lead)


def _positive_ints(value: np.ndarray, what: str) -> list[int]:
    if value.ndim != 1 or not np.issubdtype(value.dtype, np.integer) or np.any(value < 1):
        raise Invalid(f"{what} must be a vector of positive integers, got {value.tolist()}")
    return [int(v) for v in value]


def col2im(b: Builder, x: str, image_shape: np.ndarray, block_shape: np.ndarray, *,
           dilations: list[int] | None = None, pads: list[int] | None = None,
           strides: list[int] | None = None) -> str:
    """Sums the columns of x (N, C x prod(block), L) into images (N, C, *image_shape): the
    transposed convolution, in C groups, of x as (N, C x prod(block), L_1, ...) with a filter
    that puts input channel c x prod(block) + k at block position k of output channel c."""
    image = _positive_ints(image_shape, "image_shape")
    block = _positive_ints(block_shape, "block_shape")
    n = len(image)
    if len(block) != n:
        raise Invalid(f"block_shape {block} and image_shape {image} differ in length")
    if n > 2:
        raise Unsupported(f"{n}-D images: Col2Im is composed for 1-D and 2-D images only")
    dims = b.shape(x)
    per_channel = int(np.prod(block))
    if len(dims) != 3 or dims[1] % per_channel:
        raise Invalid(f"input must be (N, C x {per_channel}, L), got shape {list(dims)}")
    dilation, stride = dilations or [1] * n, strides or [1] * n
    pad = pads or [0] * (2 * n)
    if len(dilation) != n or len(stride) != n or len(pad) != 2 * n:
        raise Invalid(f"dilations {dilation}, strides {stride} and pads {pad} must have {n}, "
                      f"{n} and {2 * n} entries")
    span = [d * (k - 1) + 1 for d, k in zip(dilation, block)]
    blocks = [(i + pad[a] + pad[a + n] - w) // s + 1
              for a, (i, w, s) in enumerate(zip(image, span, stride))]
    if min(blocks) < 1 or int(np.prod(blocks)) != dims[2]:
        raise Invalid(f"{dims[2]} columns do not match the {blocks} block positions of image "
                      f"{image} (block {block}, dilations {dilation}, pads {pad}, strides "
                      f"{stride})")
    channels = dims[1] // per_channel
    picks = np.zeros((dims[1], 1, *block), np.float32)
    for c in range(channels):
        for k, position in enumerate(np.ndindex(*block)):
            picks[(c * per_channel + k, 0, *position)] = 1.0
    # The image rows the last block position does not reach are zeros: output padding.
    extra = [i - ((m - 1) * s + w - pad[a] - pad[a + n])
             for a, (i, m, s, w) in enumerate(zip(image, blocks, stride, span))]
    columns = b.reshape(x, (dims[0], dims[1], *blocks))
    return conv_transpose(b, columns, b.const(picks, name="picks"), None, dilations=dilation,
                          group=channels, output_padding=extra, pads=pad, strides=stride)


def _along(rank: int, axis: int, values: np.ndarray) -> np.ndarray:
    """`values` laid along `axis` of a rank-`rank` array of 1s elsewhere (for broadcasting)."""
    shape = [1] * rank
    shape[axis] = values.size
    return values.reshape(shape)


def _lengths(b: Builder, x: str, rank: int, axis: int, what: str) -> str:
    """An int64 run-time or constant vector laid along `axis` of rank-`rank` arrays."""
    if b.rank(x) != 1:
        raise Invalid(f"{what} must be a vector, got shape {list(b.shape(x))}")
    if b.dtype(x) != DType.INT64:
        x = b.op(OpType.CAST, [x], dtype=DType.INT64)
    shape = [1] * rank
    shape[axis] = b.shape(x)[0]
    return b.reshape(x, tuple(shape))


def _gather_where(b: Builder, source: str, index: str, axis: int, shape: tuple[int, ...],
                  keep: str | None = None, fallback: str | None = None) -> str:
    """GATHER_ELEMENTS of `source` along `axis` at `index` broadcast to `shape`; where `keep`
    is false, `fallback` instead."""
    full = _binary(b, OpType.ADD, index, b.const(np.zeros(shape, np.int64), name="zeros"))
    y = b.op(OpType.GATHER_ELEMENTS, [source, full], GatherParams(axis), dtype=b.dtype(source))
    if keep is None:
        return y
    return b.op(OpType.WHERE, [keep, y, fallback], dtype=b.dtype(source))


def reverse_sequence(b: Builder, x: Compared, sequence_lens: Indices, *, batch_axis: int = 1,
                     time_axis: int = 0) -> str:
    """Position t of sequence b reads len[b] - 1 - t while t < len[b], else itself. Lengths
    past the time axis make the gather fail at invoke (EVAL_ERROR naming the node)."""
    dims = b.shape(x)
    if len(dims) < 2 or {batch_axis, time_axis} != {0, 1}:
        raise Invalid(f"batch_axis {batch_axis} and time_axis {time_axis} must be 0 and 1 "
                      f"(in either order) of an input of rank >= 2, got shape {list(dims)}")
    if b.shape(sequence_lens) != (dims[batch_axis],):
        raise Invalid(f"sequence_lens must hold one length per batch ({dims[batch_axis]}), got "
                      f"shape {list(b.shape(sequence_lens))}")
    lens = _lengths(b, sequence_lens, len(dims), batch_axis, "sequence_lens")
    t = b.const(_along(len(dims), time_axis, np.arange(dims[time_axis], dtype=np.int64)),
                name="time")
    inside = b.op(OpType.LESS, [t, lens], dtype=DType.BOOL)
    mirrored = _binary(b, OpType.SUB, _binary(b, OpType.SUB, lens, b.const(np.int64(1))), t)
    index = b.op(OpType.WHERE, [inside, mirrored, t], dtype=DType.INT64)
    return _gather_where(b, x, index, time_axis, dims)


def tensor_scatter(b: Builder, past_cache: Compared, update: Compared,
                   write_indices: Indices | None = None, *, axis: int = -2,
                   mode: Literal["linear", "circular"] = "linear") -> str:
    """Position s of batch b's cache takes update position s - write_indices[b] (modulo the
    cache's length when circular) where that lies in the update, else keeps the cache."""
    dims, upd = b.shape(past_cache), b.shape(update)
    rank = len(dims)
    a = axis_index(axis, rank)
    if a == 0 or len(upd) != rank or any(u != d for i, (u, d) in enumerate(zip(upd, dims))
                                         if i != a) or upd[a] > dims[a]:
        raise Invalid(f"update {list(upd)} must match past_cache {list(dims)} but along axis "
                      f"{a} (not the batch axis 0), where it may not be longer")
    if b.dtype(update) != b.dtype(past_cache):
        raise Invalid("past_cache and update must share one element type")
    if write_indices is None:
        start = b.const(np.zeros((dims[0],) + (1,) * (rank - 1), np.int64), name="start")
    else:
        if b.shape(write_indices) != (dims[0],):
            raise Invalid(f"write_indices must hold one index per batch ({dims[0]}), got "
                          f"shape {list(b.shape(write_indices))}")
        start = _lengths(b, write_indices, rank, 0, "write_indices")
    s = b.const(_along(rank, a, np.arange(dims[a], dtype=np.int64)), name="positions")
    j = _binary(b, OpType.SUB, s, start)
    if mode == "circular":
        j = b.op(OpType.MOD, [j, b.const(np.int64(dims[a]))], ModParams())
    inside = b.op(OpType.LOGICAL_AND, [
        b.op(OpType.GREATER_EQUAL, [j, b.const(np.int64(0))], dtype=DType.BOOL),
        b.op(OpType.LESS, [j, b.const(np.int64(upd[a]))], dtype=DType.BOOL)], dtype=DType.BOOL)
    clamped = b.op(OpType.MINIMUM, [b.op(OpType.MAXIMUM, [j, b.const(np.int64(0))]),
                                    b.const(np.int64(upd[a] - 1))])
    return _gather_where(b, update, clamped, a, dims, inside, past_cache)


def deform_conv(b: Builder, x: str, w: str, offset: str, bias: str | None = None,
                mask: str | None = None, *, dilations: list[int] | None = None, group: int = 1,
                kernel_shape: list[int] | None = None, offset_group: int = 1,
                pads: list[int] | None = None, strides: list[int] | None = None) -> str:
    """Each kernel position k of offset group g samples X's channels of g bilinearly (zeros off
    the image) at its place in the window moved by the offsets: a GRID_SAMPLE (align_corners
    0, so a 1-pixel dim needs no division by 0) of a grid made from the offsets; times the mask;
    the samples, ordered (channel, k), are the columns a 1x1 convolution in `group` groups
    turns into the output."""
    dims, wdims, odims = b.shape(x), b.shape(w), b.shape(offset)
    if len(dims) != 4 or len(wdims) != 4:
        raise Unsupported(f"DeformConv of input {list(dims)} and filter {list(wdims)}: 2-D "
                          f"(NCHW) only")
    n, c, h, wd = dims
    kh, kw = wdims[2:]
    taps = kh * kw
    if kernel_shape is not None and list(kernel_shape) != [kh, kw]:
        raise Invalid(f"kernel_shape {list(kernel_shape)} differs from filter {list(wdims)}")
    if group < 1 or offset_group < 1 or wdims[1] * group != c or wdims[0] % group or \
            c % offset_group:
        raise Invalid(f"filter {list(wdims)}, group {group} and offset_group {offset_group} "
                      f"do not fit {c} input channels")
    sh, sw = strides or [1, 1]
    dh, dw = dilations or [1, 1]
    top, left = (pads or [0, 0, 0, 0])[:2]
    if len(odims) != 4 or odims[:2] != (n, offset_group * taps * 2):
        raise Invalid(f"offset must be (N, {offset_group * taps * 2}, H_out, W_out), got "
                      f"{list(odims)}")
    oh, ow = odims[2:]
    if mask is not None and b.shape(mask) != (n, offset_group * taps, oh, ow):
        raise Invalid(f"mask must be {[n, offset_group * taps, oh, ow]}, got "
                      f"{list(b.shape(mask))}")
    rows = (np.arange(oh) * sh - top).reshape(1, oh, 1, 1).astype(np.float32)
    cols = (np.arange(ow) * sw - left).reshape(1, 1, ow, 1).astype(np.float32)
    per_group = c // offset_group
    groups = []
    for g in range(offset_group):
        image = _window(b, x, (0, g * per_group, 0, 0), (n, per_group, h, wd))
        samples = []
        for k, (i, j) in enumerate(np.ndindex(kh, kw)):
            at = (g * taps + k) * 2

            def channel(index: int, source: str = offset) -> str:
                part = _window(b, source, (0, index, 0, 0), (n, 1, oh, ow))
                return b.reshape(part, (n, oh, ow, 1))

            # GRID_SAMPLE without align_corners maps g to ((g + 1) * size - 1) / 2
            y = _binary(b, OpType.ADD, channel(at), b.const(rows + i * dh, name="rows"))
            xx = _binary(b, OpType.ADD, channel(at + 1), b.const(cols + j * dw, name="cols"))
            gy = _binary(b, OpType.ADD, _binary(b, OpType.MUL, y, b.scalar(2.0 / h)),
                         b.scalar(1.0 / h - 1.0))
            gx = _binary(b, OpType.ADD, _binary(b, OpType.MUL, xx, b.scalar(2.0 / wd)),
                         b.scalar(1.0 / wd - 1.0))
            grid = b.concat([gx, gy], 3)
            sample = b.op(OpType.GRID_SAMPLE, [image, grid], GridSampleParams(),
                          shapes=[(n, per_group, oh, ow)])
            if mask is not None:
                weight = b.reshape(channel(g * taps + k, mask), (n, 1, oh, ow))
                sample = _binary(b, OpType.MUL, sample, weight)
            samples.append(b.reshape(sample, (n, per_group, 1, oh, ow)))
        groups.append(b.concat(samples, 2))
    columns = b.reshape(b.concat(groups, 1), (n, c * taps, oh, ow))
    weights = b.value(w)
    if weights is not None:
        flat = b.const(weights.reshape(wdims[0], wdims[1] * taps, 1, 1), name="weights")
        return conv(b, columns, flat, bias, group=group)
    if group != 1:
        raise Unsupported("a run-time filter W with group > 1: DeformConv needs it constant")
    # A run-time filter: W as (out channels, C x taps) times the columns, batched over N.
    rows = b.reshape(columns, (n, c * taps, oh * ow))
    y = b.op(OpType.BATCH_MATMUL, [b.reshape(w, (1, wdims[0], c * taps)), rows],
             BatchMatMulParams(), shapes=[(n, wdims[0], oh * ow)])
    y = b.reshape(y, (n, wdims[0], oh, ow))
    if bias is not None:
        y = _binary(b, OpType.ADD, y, b.reshape(bias, (1, wdims[0], 1, 1)))
    return y


def _unary(op: OpType) -> Callable[..., str]:
    def convert(b: Builder, x: str) -> str:
        return b.op(op, [x])
    convert.__name__ = op.name.lower()
    return convert


EXTRA_OPS = {
    ("GridSample", 16): grid_sample_16,
    ("GridSample", 20): grid_sample_20,
    ("CumProd", 26): cum_prod,
    "EyeLike": eye_like,
    "LRN": lrn,
    "Det": det,
    ("Col2Im", 18): col2im,
    ("ReverseSequence", 10): reverse_sequence,
    ("TensorScatter", 24): tensor_scatter,
    ("DeformConv", 19): deform_conv,
    "Acos": _unary(OpType.ACOS),
    "Asin": _unary(OpType.ASIN),
    "Atan": _unary(OpType.ATAN),
}
