"""MediaPipe's custom TFLite ops as Emberlite built-ins, entries of the custom op table (by
custom code) in tflite_ops.py's conventions.

MediaPipe's kernels read their custom options as the C structs of TFLite's builtin params,
little-endian int32 fields: Convolution2DTransposeBias a TfLiteTransposeConvParams (padding,
stride_width, stride_height, ...), the pooling ops a TfLitePoolParams (padding, stride_width,
stride_height, filter_width, filter_height, activation, ...); padding 1 is SAME, 2 VALID.

- Convolution2DTransposeBias (input, OHWI weights, bias): a TRANSPOSE_CONV2D whose SAME output
  is stride * (in - 1) + kernel - p, p = max(0, kernel - (in - 1) % stride - 1), cropped p // 2
  before; VALID crops nothing.
- MaxPoolingWithArgmax2D (input -> values, indices): a MAX_POOL2D, and the float index in its
  window (y * filter_width + x, plus 0.1 as MediaPipe writes it) of each window's first
  largest value, from an ARG_MAX over the window's strided SLICEs of the input padded with
  -inf (padding never wins: MediaPipe clamps the window to the input).
- MaxUnpooling2D (values, float indices from the pool): each value written into zeros of
  in * filter per dim at its window origin (in * stride - pad) plus the truncated index's
  offset, by one SCATTER_ND whose positions come from GATHERs of constant offset tables.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ir import DType
from ..ops import FusedActivation, OpType
from ..ops.arg_max import ArgParams
from ..ops.binary import BinaryParams
from ..ops.concatenation import ConcatenationParams
from ..ops.gather import GatherParams
from ..ops.pad import PadMode, PadParams
from ..ops.pool2d import Pool2DParams
from ..ops.scatter_nd import ScatterParams, ScatterReduction
from ..ops.slice import SliceParams
from ..ops.transpose_conv2d import TransposeConv2DParams
from .graph_builder import Invalid, Unsupported
from .tflite_op import TFLiteOp
from .tflite_ops import check_filter_type, same_pads

if TYPE_CHECKING:
    from .tflite import _OpContext as Ctx
else:
    Ctx = Any

_SAME, _VALID = 1, 2
# TfLiteFusedActivation: none, relu, relu_n1_to_1, relu6 (tanh and the rest refused).
_ACTIVATIONS = {0: FusedActivation.NONE, 1: FusedActivation.RELU,
                2: FusedActivation.RELU_N1_TO_1, 3: FusedActivation.RELU6}
# The most window positions unrolled into SLICEs for MaxPoolingWithArgmax2D.
_MAX_WINDOW = 256


def _fields(c: Ctx, names: tuple[str, ...]) -> dict[str, int]:
    """The leading int32 fields of the custom options, by name."""
    data = c.op.custom_options
    need = 4 * len(names)
    if len(data) < need:
        raise Invalid(f"custom options of {len(data)} bytes: {need} needed for "
                      f"{', '.join(names)}")
    fields = dict(zip(names, struct.unpack_from(f"<{len(names)}i", data)))
    if fields["padding"] not in (_SAME, _VALID):
        raise Invalid(f"padding {fields['padding']} in the custom options: 1 (SAME) or 2 "
                      f"(VALID) expected")
    for name in names[1:5]:
        if name in fields and not 1 <= fields[name] <= 1 << 16:
            raise Invalid(f"{name} {fields[name]} in the custom options must be in "
                          f"[1, {1 << 16}]")
    return fields


def _nhwc(c: Ctx, pos: int) -> str:
    x = c.input(pos)
    if c.b.rank(x) != 4 or min(c.b.shape(x)) < 1:
        raise Invalid(f"input {pos} must be 4-D and not empty, got {list(c.b.shape(x))}")
    return x


def _declared(c: Ctx, pos: int, shape: tuple[int, ...]) -> None:
    if c.out_shape(pos) and tuple(c.out_shape(pos)) != shape:
        raise Invalid(f"output {pos} is declared {list(c.out_shape(pos))}, MediaPipe's kernel "
                      f"makes {list(shape)}")


def convolution_2d_transpose_bias(c: Ctx) -> list[str]:
    if len(c.op.inputs) != 3 or len(c.op.outputs) != 1:
        raise Invalid(f"{len(c.op.inputs)} inputs and {len(c.op.outputs)} outputs: 3 and 1 "
                      f"expected (input, weights, bias)")
    p = _fields(c, ("padding", "stride_width", "stride_height"))
    x = _nhwc(c, 0)
    check_filter_type(c, x, c.input(1))
    w, bias = c.const(1), c.const(2)
    if w.ndim != 4 or w.shape[3] != c.b.shape(x)[3] or bias.shape != (w.shape[0],):
        raise Invalid(f"weights {list(w.shape)} must be [out, h, w, {c.b.shape(x)[3]}] and "
                      f"bias {list(bias.shape)} [out]")
    n, h, wd, _ = c.b.shape(x)
    crops = []
    for size, k, s in ((h, w.shape[1], p["stride_height"]), (wd, w.shape[2], p["stride_width"])):
        total = max(0, k - (size - 1) % s - 1) if p["padding"] == _SAME else 0
        crops.append((total // 2, total - total // 2, s * (size - 1) + k - total))
    out = (n, crops[0][2], crops[1][2], w.shape[0])
    _declared(c, 0, out)
    params = TransposeConv2DParams(stride_h=p["stride_height"], stride_w=p["stride_width"],
                                   pad_top=crops[0][0], pad_bottom=crops[0][1],
                                   pad_left=crops[1][0], pad_right=crops[1][1])
    return [c.b.op(OpType.TRANSPOSE_CONV2D, [x, c.input(1), c.input(2)], params, shapes=[out])]


def max_pooling_with_argmax_2d(c: Ctx) -> list[str]:
    if len(c.op.inputs) != 1 or len(c.op.outputs) != 2:
        raise Invalid(f"{len(c.op.inputs)} inputs and {len(c.op.outputs)} outputs: 1 and 2 "
                      f"expected (values and indices)")
    p = _fields(c, ("padding", "stride_width", "stride_height", "filter_width",
                    "filter_height", "activation"))
    if p["activation"] not in _ACTIVATIONS:
        raise Unsupported(f"activation {p['activation']} in the custom options is not "
                          f"supported")
    b = c.b
    x = _nhwc(c, 0)
    n, h, w, ch = b.shape(x)
    kh, kw, sh, sw = p["filter_height"], p["filter_width"], p["stride_height"], p["stride_width"]
    if kh * kw > _MAX_WINDOW:
        raise Unsupported(f"a {kh}x{kw} window: at most {_MAX_WINDOW} positions are unrolled")
    padding = 0 if p["padding"] == _SAME else 1  # tflite.Padding: SAME 0, VALID 1
    top, bottom = same_pads(h, kh, sh, 1, padding)
    left, right = same_pads(w, kw, sw, 1, padding)
    oh, ow = (h + top + bottom - kh) // sh + 1, (w + left + right - kw) // sw + 1
    if oh < 1 or ow < 1:
        raise Invalid(f"a {kh}x{kw} window does not fit the {h}x{w} input")
    out = (n, oh, ow, ch)
    _declared(c, 0, out)
    _declared(c, 1, out)
    values = b.op(OpType.MAX_POOL2D, [x], Pool2DParams(
        filter_h=kh, filter_w=kw, stride_h=sh, stride_w=sw, pad_top=top, pad_bottom=bottom,
        pad_left=left, pad_right=right, activation=_ACTIVATIONS[p["activation"]]))
    padded = x
    if top or bottom or left or right:
        padded = b.op(OpType.PAD, [x], PadParams(pads=(0, top, left, 0, 0, bottom, right, 0),
                                                 mode=PadMode.CONSTANT, value=-np.inf))
    window = [b.reshape(b.op(OpType.SLICE, [padded], SliceParams((0, y, x_, 0), (1, sh, sw, 1)),
                             shapes=[out]), (n, oh, ow, 1, ch))
              for y in range(kh) for x_ in range(kw)]
    stacked = window[0] if len(window) == 1 else b.op(
        OpType.CONCATENATION, window, ConcatenationParams(3))
    index = b.op(OpType.ARG_MAX, [stacked], ArgParams(3), shapes=[out], dtype=DType.INT32)
    as_float = b.op(OpType.CAST, [index], dtype=DType.FLOAT32)
    return [values, b.op(OpType.ADD, [as_float, b.scalar(0.1)], BinaryParams())]


def max_unpooling_2d(c: Ctx) -> list[str]:
    """Each value written at its window's offset (the float index truncated, y = index //
    filter_width, x = index % filter_width) into zeros of in * filter per dim; a later write
    to the same place wins. The offsets are read through GATHERs of constant tables, so an
    index past the window fails at run time; the positions go to one SCATTER_ND."""
    if len(c.op.inputs) != 2 or len(c.op.outputs) != 1:
        raise Invalid(f"{len(c.op.inputs)} inputs and {len(c.op.outputs)} outputs: 2 and 1 "
                      f"expected (values and indices)")
    p = _fields(c, ("padding", "stride_width", "stride_height", "filter_width",
                    "filter_height", "activation"))
    b = c.b
    x, indices = _nhwc(c, 0), _nhwc(c, 1)
    if b.shape(indices) != b.shape(x) or b.dtype(indices) != DType.FLOAT32:
        raise Invalid(f"indices must be float32 of the values' shape {list(b.shape(x))}, got "
                      f"{b.dtype(indices).name.lower()} {list(b.shape(indices))}")
    n, h, w, ch = b.shape(x)
    kh, kw, sh, sw = p["filter_height"], p["filter_width"], p["stride_height"], p["stride_width"]
    oh, ow = h * kh, w * kw
    out = (n, oh, ow, ch)
    _declared(c, 0, out)
    b.reserve(out, np.float32)
    b.reserve((n, h, w, ch, 4), np.int32)
    # MediaPipe's padding: as a pool of the output's size would give the input's.
    top = max(((h - 1) * sh + kh - oh) // 2, 0)
    left = max(((w - 1) * sw + kw - ow) // 2, 0)
    window = b.op(OpType.CAST, [indices], dtype=DType.INT32)
    cells = np.arange(kh * kw, dtype=np.int32)
    parts = []
    for axis, table, base in ((0, None, None),
                              (1, cells // kw, np.arange(h) * sh - top),
                              (2, cells % kw, np.arange(w) * sw - left), (3, None, None)):
        if table is None:  # batch and channel: where the value is
            grid = np.indices((n, h, w, ch), np.int32)[axis]
            parts.append(b.const(grid[..., None], name="positions"))
            continue
        # In float32 (exact for these small integers: ADD has no int32 kernel), then int32.
        offset = b.op(OpType.GATHER, [b.const(table.astype(np.float32), name="offsets"),
                                      window], GatherParams(0))
        shape = [1, 1, 1, 1]
        shape[axis] = len(base)
        origin = b.const(base.astype(np.float32).reshape(shape), name="origins")
        position = b.op(OpType.CAST, [b.op(OpType.ADD, [offset, origin], BinaryParams())],
                        dtype=DType.INT32)
        parts.append(b.reshape(position, (n, h, w, ch, 1)))
    where = b.op(OpType.CONCATENATION, parts, ConcatenationParams(4))
    zeros = b.const(np.zeros(out, np.float32), name="zeros")
    return [b.op(OpType.SCATTER_ND, [zeros, where, x], ScatterParams(0, ScatterReduction.NONE))]


CUSTOM_OPS = {
    "Convolution2DTransposeBias": TFLiteOp(convolution_2d_transpose_bias, 3,
                                           const_inputs=(1, 2)),
    "MaxPoolingWithArgmax2D": TFLiteOp(max_pooling_with_argmax_2d, 1),
    "MaxUnpooling2D": TFLiteOp(max_unpooling_2d, 2),
}
