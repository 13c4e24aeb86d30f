"""The TFLite op table: BuiltinOperator -> a function emitting IR nodes.

Each function takes an op context `c` (inputs by position, the operator's options, the
builder) and returns one entry per TFLite output: an IR tensor name, or a numpy array for
a value known at import time. TFLite is NHWC with OHWI filters like the IR, so weights are
used as they are; SAME/VALID padding becomes explicit pads computed as TFLite does.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from tflite.ActivationFunctionType import ActivationFunctionType as Act
from tflite.BuiltinOperator import BuiltinOperator as Op
from tflite.Padding import Padding
from tflite.TensorType import TensorType

from ..ir import DType
from ..ops import FusedActivation, OpType
from ..ops.arg_max import ArgParams
from ..ops.batch_matmul import BatchMatMulParams
from ..ops.binary import BinaryParams
from ..ops.clamp import ClampParams
from ..ops.concatenation import ConcatenationParams
from ..ops.conv2d import Conv2DParams
from ..ops.depthwise_conv2d import DepthwiseConv2DParams
from ..ops.fully_connected import FullyConnectedParams
from ..ops.gather import GatherParams
from ..ops.leaky_relu import LeakyReluParams
from ..ops.lookup_table import int8_lookup_table, sigmoid_f32, tanh_f32
from ..ops.math_unary import EluParams, GeluParams
from ..ops.mean import ReduceParams
from ..ops.pad import PadMode, PadParams
from ..ops.pool2d import Pool2DParams
from ..ops.resize import CoordinateTransform, ResizeMode, ResizeParams
from ..ops.resize import NearestRounding as Rounding
from ..ops.slice import SliceParams
from ..ops.softmax import SoftmaxParams
from ..ops.split import SplitParams
from ..ops.transpose import TransposeParams
from ..ops.transpose_conv2d import TransposeConv2DParams, full_size
from .graph_builder import Invalid, Unsupported, axis_index, check_indices

from .tflite_index_ops import INDEX_OPS
from .tflite_op import Ctx, Result, TFLiteOp
from .tflite_quantized import type_name
from .tflite_recurrent_ops import bidirectional_sequence_lstm, unidirectional_sequence_lstm
from .tflite_bitwise_ops import BITWISE_OPS
from .tflite_select_ops import SELECT_OPS
from .tflite_spectral_ops import SPECTRAL_OPS

_ACTIVATIONS = {Act.NONE: FusedActivation.NONE, Act.RELU: FusedActivation.RELU,
                Act.RELU6: FusedActivation.RELU6, Act.RELU_N1_TO_1: FusedActivation.RELU_N1_TO_1,
                Act.TANH: FusedActivation.NONE}


_INDEX_TYPES = (TensorType.INT32, TensorType.INT64)
# Ops that only move values move int32 and int64 ones too (indices fed as graph inputs).
_MOVE_TYPES = (TensorType.FLOAT32, *_INDEX_TYPES)
_MOVES: dict[str, Any] = {"in_types": _MOVE_TYPES, "out_types": _MOVE_TYPES}
_CAST_TYPES = (TensorType.FLOAT32, TensorType.INT8, TensorType.INT32, TensorType.INT64,
               TensorType.BOOL)
# Comparisons read two tensors of one of these types and write BOOL; SELECT picks between two.
_COMPARED_TYPES = (*_MOVE_TYPES, TensorType.BOOL)
_COMPARES: dict[str, Any] = {"in_types": _COMPARED_TYPES, "out_types": (TensorType.BOOL,)}
_LOGIC: dict[str, Any] = {"in_types": (TensorType.BOOL,), "out_types": (TensorType.BOOL,)}
_IR_TYPES = {TensorType.FLOAT32: DType.FLOAT32, TensorType.INT8: DType.INT8,
             TensorType.INT32: DType.INT32, TensorType.INT64: DType.INT64,
             TensorType.BOOL: DType.BOOL}


def fused_activation_problem(options: Any) -> str:
    get = getattr(options, "FusedActivationFunction", None)
    if get is None or get() in _ACTIVATIONS:
        return ""
    return f"fused activation {get()} is not supported"


def _opt(c: Ctx, field: str, default: Any) -> Any:
    get = getattr(c.options, field, None)
    return default if get is None else get()


def _activated(c: Ctx, y: str) -> str:
    """Applies a fused TANH, the one TFLite fused activation the IR does not fuse."""
    if _opt(c, "FusedActivationFunction", Act.NONE) == Act.TANH:
        return c.b.op(OpType.TANH, [y])
    return y


def _act(c: Ctx) -> FusedActivation:
    return _ACTIVATIONS[_opt(c, "FusedActivationFunction", Act.NONE)]



def same_pads(size: int, kernel: int, stride: int, dilation: int,
              padding: int) -> tuple[int, int]:
    """(before, after) as TFLite computes them for SAME (half, extra one after) or VALID."""
    if stride < 1 or dilation < 1:
        raise Invalid(f"stride {stride} and dilation {dilation} must be >= 1")
    if padding == Padding.VALID:
        return 0, 0
    if padding != Padding.SAME:
        raise Unsupported(f"padding {padding} is not supported")
    effective = (kernel - 1) * dilation + 1
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def _window(c: Ctx, x: str, kh: int, kw: int, dilation: tuple[int, int]) -> dict[str, int]:
    _, h, w, _ = c.b.shape(x)
    sh, sw = _opt(c, "StrideH", 1), _opt(c, "StrideW", 1)
    padding = _opt(c, "Padding", Padding.SAME)
    top, bottom = same_pads(h, kh, sh, dilation[0], padding)
    left, right = same_pads(w, kw, sw, dilation[1], padding)
    return dict(stride_h=sh, stride_w=sw, pad_top=top, pad_bottom=bottom, pad_left=left,
                pad_right=right)


def _rank4(c: Ctx, pos: int) -> None:
    if len(c.in_shape(pos)) != 4:
        raise Invalid(f"input {pos} must be 4D, got {c.in_shape(pos)}")


# --- convolutions and matrix products -------------------------------------------------------
def conv_2d(c: Ctx) -> Result:
    _rank4(c, 0)
    _rank4(c, 1)
    x, w = c.input(0), c.input(1)
    dil = (_opt(c, "DilationHFactor", 1), _opt(c, "DilationWFactor", 1))
    cin = c.b.shape(x)[3]
    cin_group = c.b.shape(w)[3]
    if cin_group < 1 or cin % cin_group:
        raise Invalid(f"filter input channels {cin_group} do not divide input channels {cin}")
    p = Conv2DParams(dilation_h=dil[0], dilation_w=dil[1], groups=cin // cin_group,
                     activation=_act(c), **_window(c, x, *c.b.shape(w)[1:3], dil))
    return [_activated(c, c.b.op(OpType.CONV2D, [x, w, c.optional(2)], p))]


def depthwise_conv_2d(c: Ctx) -> Result:
    _rank4(c, 0)
    _rank4(c, 1)
    x, w = c.input(0), c.input(1)
    dil = (_opt(c, "DilationHFactor", 1), _opt(c, "DilationWFactor", 1))
    cin, cout = c.b.shape(x)[3], c.b.shape(w)[3]
    if cin < 1 or cout % cin:
        raise Invalid(f"filter channels {cout} are not a multiple of input channels {cin}")
    p = DepthwiseConv2DParams(dilation_h=dil[0], dilation_w=dil[1], depth_multiplier=cout // cin,
                              activation=_act(c), **_window(c, x, *c.b.shape(w)[1:3], dil))
    return [_activated(c, c.b.op(OpType.DEPTHWISE_CONV2D, [x, w, c.optional(2)], p))]


def check_filter_type(c: Ctx, x: str, w: str) -> None:
    """A transposed convolution's filter has its input's type (the kernels take no other
    pair)."""
    if c.b.dtype(w) != c.b.dtype(x):
        raise Unsupported(f"a {c.b.dtype(w).name.lower()} filter with a "
                          f"{c.b.dtype(x).name.lower()} input: they must be of one type")


def transpose_conv(c: Ctx) -> Result:
    # Inputs: output shape, filter [Cout, KH, KW, Cin], input, optional bias.
    _rank4(c, 1)
    _rank4(c, 2)
    out = tuple(int(d) for d in c.const(0).reshape(-1))
    x, w = c.input(2), c.input(1)
    check_filter_type(c, x, w)
    _, kh, kw, _ = c.b.shape(w)
    sh, sw = _opt(c, "StrideH", 1), _opt(c, "StrideW", 1)
    if len(out) != 4 or min(sh, sw) < 1:
        raise Invalid(f"output shape {out} must be 4D and strides {sh}, {sw} >= 1")
    same = _opt(c, "Padding", Padding.SAME) == Padding.SAME
    pads = []
    for size, k, s, o in ((c.b.shape(x)[1], kh, sh, out[1]), (c.b.shape(x)[2], kw, sw, out[2])):
        # TFLite crops what the scattered output has beyond the declared size, half before.
        total = max(full_size(size, k, s, 1) - o, 0) if same else 0
        pads.append((total // 2, total - total // 2))
    p = TransposeConv2DParams(stride_h=sh, stride_w=sw, pad_top=pads[0][0],
                              pad_bottom=pads[0][1], pad_left=pads[1][0], pad_right=pads[1][1],
                              activation=_act(c))
    bias = c.optional(3)
    return [_activated(c, c.b.op(OpType.TRANSPOSE_CONV2D, [x, w, bias], p, shapes=[out]))]


def fully_connected(c: Ctx) -> Result:
    x, w = c.input(0), c.input(1)
    if len(c.b.shape(w)) != 2:
        raise Invalid(f"weights must be 2D, got {c.b.shape(w)}")
    k = c.b.shape(w)[1]
    if not _opt(c, "KeepNumDims", False) and len(c.b.shape(x)) != 2:
        size = math.prod(c.b.shape(x))
        if size % k:
            raise Invalid(f"input {c.b.shape(x)} does not flatten into rows of {k}")
        x = c.b.reshape(x, (size // k, k))
    y = c.b.op(OpType.FULLY_CONNECTED, [x, w, c.optional(2)], FullyConnectedParams(_act(c)))
    return [_activated(c, y)]


def batch_matmul(c: Ctx) -> Result:
    p = BatchMatMulParams(adj_a=bool(_opt(c, "AdjX", False)), adj_b=bool(_opt(c, "AdjY", False)))
    return [c.b.op(OpType.BATCH_MATMUL, [c.input(0), c.input(1)], p)]


# --- elementwise --------------------------------------------------------------------------
def _binary(op: OpType) -> Callable[[Ctx], Result]:
    def convert(c: Ctx) -> Result:
        return [_activated(c, c.b.op(op, [c.input(0), c.input(1)], BinaryParams(_act(c))))]
    return convert


def _unfused(op: OpType) -> Callable[[Ctx], Result]:
    """MAXIMUM, MINIMUM: two inputs, no options."""
    def convert(c: Ctx) -> Result:
        return [c.b.op(op, [c.input(0), c.input(1)])]
    return convert


def _unary(op: OpType, params: Any = None) -> Callable[[Ctx], Result]:
    def convert(c: Ctx) -> Result:
        return [c.b.op(op, [c.input(0)], params)]
    return convert


def gelu(c: Ctx) -> Result:
    return [c.b.op(OpType.GELU, [c.input(0)], GeluParams(bool(_opt(c, "Approximate", False))))]


def _to_bool(op: OpType, inputs: int) -> Callable[[Ctx], Result]:
    """The comparisons and LOGICAL_*: a BOOL output."""
    def convert(c: Ctx) -> Result:
        return [c.b.op(op, [c.input(i) for i in range(inputs)], dtype=DType.BOOL)]
    return convert


def select(c: Ctx) -> Result:
    return [c.b.op(OpType.WHERE, [c.input(0), c.input(1), c.input(2)], dtype=c.b.dtype(c.input(1)))]


def _lookup(op: OpType, fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[Ctx], Result]:
    """SIGMOID and TANH; on int8 tensors with the 256-entry table LiteRT would build at
    Prepare, built here once from the file's scales and zero points (input 1)."""
    def convert(c: Ctx) -> Result:
        x = c.input(0)
        if c.b.dtype(x) != DType.INT8:
            return [c.b.op(op, [x])]
        quant = c.out_quant()
        table = c.b.const(int8_lookup_table(fn, c.in_quant(0), quant), name="table")
        c.b.graph.tensors[table].quant = quant  # the entries are output values
        return [c.b.op(op, [x, table])]
    return convert


def _logistic_check(options: Any, tensors: list, op: Any) -> str:
    # LiteRT's int8 LOGISTIC refuses any other output quantization at Prepare.
    out = tensors[op.outputs[0]]
    if out.quant is None or out.type != TensorType.INT8:
        return ""
    if out.quant.scale[0] != 1.0 / 256 or out.quant.zero_point[0] != -128:
        return (f"int8 output {out.name!r} must have scale 1/256 and zero point -128 (as "
                f"LiteRT requires), got {out.quant.scale[0]!r} and {out.quant.zero_point[0]}")
    return ""


def prelu(c: Ctx) -> Result:
    return [c.b.op(OpType.PRELU, [c.input(0), c.input(1)])]


def cast(c: Ctx) -> Result:
    return [c.b.op(OpType.CAST, [c.input(0)], dtype=_IR_TYPES[c.out_type()])]


def l2_normalization(c: Ctx) -> Result:
    return [c.b.op(OpType.L2_NORMALIZATION, [c.input(0)])]


def _no_activation(options: Any, tensors: list, op: Any) -> str:
    get = getattr(options, "FusedActivationFunction", None)
    if get is not None and get() != Act.NONE:
        return f"fused activation {get()} is not supported on this op"
    return ""


def log_softmax(c: Ctx) -> Result:
    x = c.input(0)
    return [c.b.op(OpType.LOG_SOFTMAX, [x], SoftmaxParams(axis=len(c.b.shape(x)) - 1))]


def leaky_relu(c: Ctx) -> Result:
    return [c.b.op(OpType.LEAKY_RELU, [c.input(0)], LeakyReluParams(_opt(c, "Alpha", 0.2)))]


def softmax(c: Ctx) -> Result:
    x = c.input(0)
    p = SoftmaxParams(axis=len(c.b.shape(x)) - 1, beta=_opt(c, "Beta", 1.0))
    return [c.b.op(OpType.SOFTMAX, [x], p)]


# --- pooling and reductions ---------------------------------------------------------------
def _pool(op: OpType) -> Callable[[Ctx], Result]:
    def convert(c: Ctx) -> Result:
        _rank4(c, 0)
        x = c.input(0)
        kh, kw = _opt(c, "FilterHeight", 1), _opt(c, "FilterWidth", 1)
        p = Pool2DParams(filter_h=kh, filter_w=kw, activation=_act(c),
                         **_window(c, x, kh, kw, (1, 1)))
        return [_activated(c, c.b.op(op, [x], p))]
    return convert


def _reduce(op: OpType) -> Callable[[Ctx], Result]:
    def convert(c: Ctx) -> Result:
        x = c.input(0)
        rank = len(c.b.shape(x))
        axes = tuple(sorted({axis_index(int(a), rank) for a in c.const(1).reshape(-1)}))
        if not axes:
            return [c.b.reshape(x, c.out_shape())]  # nothing reduced: a copy
        return [c.b.op(op, [x], ReduceParams(axes), shapes=[c.out_shape()])]
    return convert


def _arg(op: OpType) -> Callable[[Ctx], Result]:
    def convert(c: Ctx) -> Result:
        x = c.input(0)
        axes = c.const(1).reshape(-1)
        if len(axes) != 1:
            raise Invalid(f"expected one axis, got {axes.tolist()}")
        p = ArgParams(axis_index(int(axes[0]), len(c.b.shape(x))))
        return [c.b.op(op, [x], p, shapes=[c.out_shape()], dtype=_IR_TYPES[c.out_type()])]
    return convert


# --- shapes and data movement -------------------------------------------------------------
def reshape(c: Ctx) -> Result:
    """RESHAPE, SQUEEZE and EXPAND_DIMS: the output tensor carries the static shape."""
    return [c.b.reshape(c.input(0), c.out_shape())]


def transpose(c: Ctx) -> Result:
    perm = tuple(int(p) for p in c.const(1).reshape(-1))
    return [c.b.op(OpType.TRANSPOSE, [c.input(0)], TransposeParams(perm))]


def concatenation(c: Ctx) -> Result:
    inputs = [c.input(i) for i in range(len(c.op.inputs))]
    axis = axis_index(_opt(c, "Axis", 0), len(c.b.shape(inputs[0])))
    p = ConcatenationParams(axis=axis, activation=_act(c))
    return [_activated(c, c.b.op(OpType.CONCATENATION, inputs, p))]


def pack(c: Ctx) -> Result:
    """PACK (tf.stack): each input gets a size-1 axis, then one CONCATENATION."""
    inputs = [c.input(i) for i in range(len(c.op.inputs))]
    shape = c.b.shape(inputs[0])
    axis = axis_index(_opt(c, "Axis", 0), len(shape) + 1)
    if any(c.b.shape(x) != shape for x in inputs):
        raise Invalid(f"inputs must share one shape, got {[c.b.shape(x) for x in inputs]}")
    expanded = [c.b.reshape(x, shape[:axis] + (1,) + shape[axis:]) for x in inputs]
    if len(expanded) == 1:
        return expanded
    return [c.b.op(OpType.CONCATENATION, expanded, ConcatenationParams(axis=axis))]


def unpack(c: Ctx) -> Result:
    """UNPACK (tf.unstack): a SPLIT into size-1 pieces, each reshaped without the axis."""
    x = c.input(0)
    shape = c.b.shape(x)
    axis = axis_index(_opt(c, "Axis", 0), len(shape))
    if shape[axis] != len(c.op.outputs):
        raise Invalid(f"{len(c.op.outputs)} outputs for {shape[axis]} slices along {axis}")
    dropped = shape[:axis] + shape[axis + 1:]
    if shape[axis] == 1:
        return [c.b.reshape(x, dropped)]
    piece = shape[:axis] + (1,) + shape[axis + 1:]
    parts = c.b.node(OpType.SPLIT, [x], SplitParams(axis), shapes=[piece] * shape[axis],
                     outputs=shape[axis])
    return [c.b.reshape(y, dropped) for y in parts]


def _split_into(c: Ctx, x: str, axis: int) -> Result:
    shapes = [c.out_shape(i) for i in range(len(c.op.outputs))]
    return c.b.node(OpType.SPLIT, [x], SplitParams(axis_index(axis, len(c.b.shape(x)))),
                    shapes=shapes, outputs=len(shapes))


def split(c: Ctx) -> Result:
    return _split_into(c, c.input(1), int(c.const(0).reshape(-1)[0]))


def split_v(c: Ctx) -> Result:
    return _split_into(c, c.input(0), int(c.const(2).reshape(-1)[0]))


def _slice(c: Ctx, x: str, ranges: list[range], out: tuple[int, ...]) -> str:
    if min((len(r) for r in ranges), default=1) < 1:
        raise Unsupported("the slice is empty")
    counts = tuple(len(r) for r in ranges)
    if all(r.step == 1 and len(r) == size for r, size in zip(ranges, c.b.shape(x))):
        y = x
    else:
        p = SliceParams(begin=tuple(r.start for r in ranges), step=tuple(r.step for r in ranges))
        y = c.b.op(OpType.SLICE, [x], p, shapes=[counts])
    return c.b.reshape(y, out)


def strided_slice(c: Ctx) -> Result:
    x = c.input(0)
    shape = c.b.shape(x)
    begin, end, strides = (c.const(i).reshape(-1) for i in (1, 2, 3))
    if not len(begin) == len(end) == len(strides) <= len(shape):
        raise Invalid(f"begin, end and strides must have equal length <= rank {len(shape)}")
    bmask, emask = _opt(c, "BeginMask", 0), _opt(c, "EndMask", 0)
    shrink = _opt(c, "ShrinkAxisMask", 0)
    ranges = []
    for axis, size in enumerate(shape):
        if axis >= len(begin):
            ranges.append(range(size))
            continue
        step = int(strides[axis])
        if step == 0:
            raise Invalid(f"axis {axis}: stride 0")
        if shrink >> axis & 1:
            i = int(begin[axis])
            if not -size <= i < size:
                raise Invalid(f"axis {axis}: index {i} out of range for size {size}")
            ranges.append(range(i % size, i % size + 1))
            continue
        b = None if bmask >> axis & 1 else int(begin[axis])
        e = None if emask >> axis & 1 else int(end[axis])
        ranges.append(range(size)[slice(b, e, step)])
    return [_slice(c, x, ranges, c.out_shape())]


def slice_(c: Ctx) -> Result:
    x = c.input(0)
    shape = c.b.shape(x)
    begin, size = c.const(1).reshape(-1), c.const(2).reshape(-1)
    if not len(begin) == len(size) == len(shape):
        raise Invalid(f"begin and size must have the input's rank {len(shape)}")
    ranges = []
    for axis, (dim, b, n) in enumerate(zip(shape, begin, size)):
        stop = dim if n == -1 else int(b) + int(n)
        if not 0 <= b <= stop <= dim:
            raise Invalid(f"axis {axis}: begin {b} size {n} leave [0, {dim})")
        ranges.append(range(int(b), stop))
    return [_slice(c, x, ranges, c.out_shape())]


def reverse_v2(c: Ctx) -> Result:
    """A SLICE of step -1 along each reversed axis (Keras' Bidirectional reverses its input
    and its backward layer's output with it)."""
    x = c.input(0)
    shape = c.b.shape(x)
    axes = {axis_index(int(a), len(shape)) for a in c.const(1).reshape(-1)}
    ranges = [range(size)[::-1] if axis in axes else range(size)
              for axis, size in enumerate(shape)]
    return [_slice(c, x, ranges, shape)]


def pad(c: Ctx) -> Result:
    x = c.input(0)
    rank = len(c.b.shape(x))
    pads = c.const(1).astype(np.int64)
    if pads.shape != (rank, 2) or pads.min(initial=0) < 0:
        raise Invalid(f"paddings must be [{rank}, 2] and >= 0, got {pads.tolist()}")
    value = float(c.const(2).reshape(-1)[0]) if c.has(2) else 0.0
    if c.b.dtype(x) == DType.INT8:
        # LiteRT pads with the stored int8 constant (PAD: the zero point); the IR holds its
        # real value in the output's quantization, which the kernel quantizes back exactly.
        q = c.out_quant()
        value = float(np.float32(q.scale[0]) * np.float32(value - q.zero_point[0])) \
            if c.has(2) else 0.0
    p = PadParams(pads=tuple(int(v) for v in (*pads[:, 0], *pads[:, 1])), mode=PadMode.CONSTANT,
                  value=value)
    return [c.b.op(OpType.PAD, [x], p)]


def gather(c: Ctx) -> Result:
    if _opt(c, "BatchDims", 0) != 0:
        raise Unsupported("batch_dims != 0 is not supported")
    x = c.input(0)
    axis = axis_index(_opt(c, "Axis", 0), len(c.in_shape(0)))
    indices = c.input(1)
    check_indices(c.b, x, indices, axis)
    return [c.b.op(OpType.GATHER, [x, indices], GatherParams(axis))]


def _resize(mode: ResizeMode) -> Callable[[Ctx], Result]:
    def convert(c: Ctx) -> Result:
        _rank4(c, 0)
        x = c.input(0)
        _, h, w, _ = c.b.shape(x)
        out = c.out_shape()
        align, half = bool(_opt(c, "AlignCorners", False)), bool(_opt(c, "HalfPixelCenters",
                                                                      False))
        if align and half:
            raise Unsupported("align_corners together with half_pixel_centers")
        # TFLite's nearest neighbour takes floor(coordinate + 0.5) when it centres pixels or
        # aligns corners (its round() on non-negative values), else floor(coordinate).
        if align:
            transform, rounding = CoordinateTransform.ALIGN_CORNERS, Rounding.ROUND_PREFER_CEIL
        elif half:
            transform, rounding = CoordinateTransform.HALF_PIXEL, Rounding.ROUND_PREFER_CEIL
        else:
            transform, rounding = CoordinateTransform.ASYMMETRIC, Rounding.FLOOR
        p = ResizeParams(mode=mode, coordinate_transform=transform, nearest_rounding=rounding,
                         scale_h=out[1] / h, scale_w=out[2] / w)
        return [c.b.op(OpType.RESIZE, [x], p, shapes=[out])]
    return convert


def shape(c: Ctx) -> Result:
    dtype = np.int64 if c.out_shape() and _opt(c, "OutType", 2) == 4 else np.int32
    return [np.array(c.in_shape(0), dtype=dtype)]


def _quantize_check(options: Any, tensors: list, op: Any) -> str:
    # A QUANTIZE writing a quantized integer tensor takes the int8 or 16x8 checks; one that
    # reaches the float checks writes something else, which no kernel makes.
    if len(op.outputs) != 1:
        return f"expected 1 output, got {len(op.outputs)}"
    out = tensors[op.outputs[0]]
    quantized = "with" if out.quant is not None else "without"
    return (f"a QUANTIZE must write an int8, uint8 or int16 tensor with one scale and zero "
            f"point; output {out.name!r} is {type_name(out.type).lower()} {quantized} "
            f"quantization")


def quantize(c: Ctx) -> Result:
    # To int8 or int16, or to uint8 at a uint8 model output (the problem checks allow nothing
    # else).
    dtype = {TensorType.UINT8: DType.UINT8, TensorType.INT16: DType.INT16}.get(c.out_type(),
                                                                              DType.INT8)
    return [c.b.op(OpType.QUANTIZE, [c.input(0)], dtype=dtype)]


def dequantize(c: Ctx) -> Result:
    # The problem check lets through constant float16 weights, widened here at import, and
    # run-time int8 activations, which become a DEQUANTIZE node.
    try:
        weights = c.const(0)
    except Unsupported:
        return [c.b.op(OpType.DEQUANTIZE, [c.input(0)], dtype=DType.FLOAT32)]
    return [weights.astype(np.float32)]


def _strided_slice_check(options: Any, tensors: list, op: Any) -> str:
    if options is None:
        return ""
    if options.EllipsisMask() or options.NewAxisMask():
        return "ellipsis_mask and new_axis_mask are not supported"
    if getattr(options, "Offset", lambda: False)():
        return "offset=True is not supported"
    return ""


TFLITE_OPS: dict[int, TFLiteOp] = {
    Op.CONV_2D: TFLiteOp(conv_2d, 2),
    Op.DEPTHWISE_CONV_2D: TFLiteOp(depthwise_conv_2d, 2),
    Op.TRANSPOSE_CONV: TFLiteOp(transpose_conv, 3, const_inputs=(0,)),
    Op.FULLY_CONNECTED: TFLiteOp(fully_connected, 2),
    Op.BATCH_MATMUL: TFLiteOp(batch_matmul, 2),
    Op.ADD: TFLiteOp(_binary(OpType.ADD), 2),
    Op.SUB: TFLiteOp(_binary(OpType.SUB), 2),
    Op.MUL: TFLiteOp(_binary(OpType.MUL), 2),
    Op.DIV: TFLiteOp(_binary(OpType.DIV), 2),
    Op.RELU: TFLiteOp(_unary(OpType.RELU)),
    Op.RELU6: TFLiteOp(_unary(OpType.RELU6)),
    Op.RELU_N1_TO_1: TFLiteOp(_unary(OpType.CLAMP, ClampParams(-1.0, 1.0))),
    Op.LEAKY_RELU: TFLiteOp(leaky_relu),
    Op.LOGISTIC: TFLiteOp(_lookup(OpType.SIGMOID, sigmoid_f32), check=_logistic_check),
    Op.TANH: TFLiteOp(_lookup(OpType.TANH, tanh_f32)),
    Op.HARD_SWISH: TFLiteOp(_unary(OpType.HARD_SWISH)),
    Op.MAX_POOL_2D: TFLiteOp(_pool(OpType.MAX_POOL2D)),
    Op.AVERAGE_POOL_2D: TFLiteOp(_pool(OpType.AVERAGE_POOL2D)),
    Op.MEAN: TFLiteOp(_reduce(OpType.MEAN), 2, const_inputs=(1,)),
    Op.SUM: TFLiteOp(_reduce(OpType.SUM), 2, const_inputs=(1,)),
    Op.REDUCE_MAX: TFLiteOp(_reduce(OpType.REDUCE_MAX), 2, const_inputs=(1,)),
    Op.REDUCE_MIN: TFLiteOp(_reduce(OpType.REDUCE_MIN), 2, const_inputs=(1,)),
    Op.REDUCE_PROD: TFLiteOp(_reduce(OpType.REDUCE_PROD), 2, const_inputs=(1,)),
    Op.MAXIMUM: TFLiteOp(_unfused(OpType.MAXIMUM), 2),
    Op.MINIMUM: TFLiteOp(_unfused(OpType.MINIMUM), 2),
    Op.PRELU: TFLiteOp(prelu, 2),
    Op.ARG_MAX: TFLiteOp(_arg(OpType.ARG_MAX), 2, const_inputs=(1,), out_types=_INDEX_TYPES),
    Op.ARG_MIN: TFLiteOp(_arg(OpType.ARG_MIN), 2, const_inputs=(1,), out_types=_INDEX_TYPES),
    Op.CAST: TFLiteOp(cast, in_types=_CAST_TYPES, out_types=_CAST_TYPES),
    Op.L2_NORMALIZATION: TFLiteOp(l2_normalization, check=_no_activation),
    Op.LOG_SOFTMAX: TFLiteOp(log_softmax),
    Op.PACK: TFLiteOp(pack, **_MOVES),
    Op.UNPACK: TFLiteOp(unpack, **_MOVES),
    Op.RESHAPE: TFLiteOp(reshape, 1, index_inputs=(1,), **_MOVES),
    Op.SQUEEZE: TFLiteOp(reshape, **_MOVES),
    Op.EXPAND_DIMS: TFLiteOp(reshape, 1, index_inputs=(1,), **_MOVES),
    Op.TRANSPOSE: TFLiteOp(transpose, 2, const_inputs=(1,), **_MOVES),
    Op.CONCATENATION: TFLiteOp(concatenation, **_MOVES),
    Op.SPLIT: TFLiteOp(split, 2, const_inputs=(0,), **_MOVES),
    Op.SPLIT_V: TFLiteOp(split_v, 3, const_inputs=(1, 2), **_MOVES),
    Op.STRIDED_SLICE: TFLiteOp(strided_slice, 4, const_inputs=(1, 2, 3),
                               check=_strided_slice_check, **_MOVES),
    Op.SLICE: TFLiteOp(slice_, 3, const_inputs=(1, 2), **_MOVES),
    Op.PAD: TFLiteOp(pad, 2, const_inputs=(1,)),
    Op.PADV2: TFLiteOp(pad, 3, const_inputs=(1, 2)),
    Op.SOFTMAX: TFLiteOp(softmax),
    Op.RESIZE_BILINEAR: TFLiteOp(_resize(ResizeMode.LINEAR), 2, index_inputs=(1,)),
    Op.RESIZE_NEAREST_NEIGHBOR: TFLiteOp(_resize(ResizeMode.NEAREST), 2, index_inputs=(1,)),
    Op.GATHER: TFLiteOp(gather, 2, index_inputs=(1,), **_MOVES),
    Op.SHAPE: TFLiteOp(shape),
    Op.DEQUANTIZE: TFLiteOp(dequantize, const_inputs=(0,)),
    Op.QUANTIZE: TFLiteOp(quantize, check=_quantize_check),
    Op.ABS: TFLiteOp(_unary(OpType.ABS)),
    Op.NEG: TFLiteOp(_unary(OpType.NEG)),
    Op.SQRT: TFLiteOp(_unary(OpType.SQRT)),
    Op.RSQRT: TFLiteOp(_unary(OpType.RSQRT)),
    Op.EXP: TFLiteOp(_unary(OpType.EXP)),
    Op.LOG: TFLiteOp(_unary(OpType.LOG)),
    Op.FLOOR: TFLiteOp(_unary(OpType.FLOOR)),
    Op.CEIL: TFLiteOp(_unary(OpType.CEIL)),
    Op.ROUND: TFLiteOp(_unary(OpType.ROUND)),
    Op.SIGN: TFLiteOp(_unary(OpType.SIGN)),
    Op.SIN: TFLiteOp(_unary(OpType.SIN)),
    Op.COS: TFLiteOp(_unary(OpType.COS)),
    Op.SQUARE: TFLiteOp(_unary(OpType.SQUARE)),
    Op.ELU: TFLiteOp(_unary(OpType.ELU, EluParams())),
    Op.GELU: TFLiteOp(gelu),
    Op.POW: TFLiteOp(_unfused(OpType.POW), 2),
    Op.EQUAL: TFLiteOp(_to_bool(OpType.EQUAL, 2), 2, **_COMPARES),
    Op.NOT_EQUAL: TFLiteOp(_to_bool(OpType.NOT_EQUAL, 2), 2, **_COMPARES),
    Op.LESS: TFLiteOp(_to_bool(OpType.LESS, 2), 2, **_COMPARES),
    Op.LESS_EQUAL: TFLiteOp(_to_bool(OpType.LESS_EQUAL, 2), 2, **_COMPARES),
    Op.GREATER: TFLiteOp(_to_bool(OpType.GREATER, 2), 2, **_COMPARES),
    Op.GREATER_EQUAL: TFLiteOp(_to_bool(OpType.GREATER_EQUAL, 2), 2, **_COMPARES),
    Op.LOGICAL_NOT: TFLiteOp(_to_bool(OpType.LOGICAL_NOT, 1), **_LOGIC),
    Op.LOGICAL_AND: TFLiteOp(_to_bool(OpType.LOGICAL_AND, 2), 2, **_LOGIC),
    Op.LOGICAL_OR: TFLiteOp(_to_bool(OpType.LOGICAL_OR, 2), 2, **_LOGIC),
    Op.SELECT: TFLiteOp(select, 3, in_types=_COMPARED_TYPES, out_types=_COMPARED_TYPES),
    Op.SELECT_V2: TFLiteOp(select, 3, in_types=_COMPARED_TYPES, out_types=_COMPARED_TYPES),
}


# Format 8's TOPK_V2, CUMSUM, ONE_HOT and FLOOR_MOD, GATHER_ND and SCATTER_ND live in modules
# of their own.
TFLITE_OPS.update(SELECT_OPS)
TFLITE_OPS.update(BITWISE_OPS)
TFLITE_OPS.update(SPECTRAL_OPS)
TFLITE_OPS.update(INDEX_OPS)

# Operators built out of several IR ops, none of them the operator's own (so no op's facts list
# them): REVERSE_V2 and the unrolled UNIDIRECTIONAL_SEQUENCE_LSTM and BIDIRECTIONAL_SEQUENCE_LSTM.
COMPOSED_OPS: dict[int, TFLiteOp] = {
    Op.REVERSE_V2: TFLiteOp(reverse_v2, 2, const_inputs=(1,), **_MOVES),
    Op.UNIDIRECTIONAL_SEQUENCE_LSTM: TFLiteOp(
        unidirectional_sequence_lstm, 20, const_inputs=(*range(1, 18), *range(20, 24))),
    Op.BIDIRECTIONAL_SEQUENCE_LSTM: TFLiteOp(
        bidirectional_sequence_lstm, 48, const_inputs=(*range(1, 35), *range(40, 48))),
}
