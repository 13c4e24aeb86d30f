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
- MaxUnpooling2D: refused (its window offsets come from a float tensor at run time).
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
from ..ops.pad import PadMode, PadParams
from ..ops.pool2d import Pool2DParams
from ..ops.slice import SliceParams
from ..ops.transpose_conv2d import TransposeConv2DParams
from .graph_builder import Invalid, Unsupported
from .tflite_ops import TFLiteOp, same_pads

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
    raise Unsupported("MaxUnpooling2D is not supported: the position each value goes to is "
                      "read from a float tensor at run time (a SCATTER_ND of indices computed "
                      "from it is not lowered yet)")


CUSTOM_OPS = {
    "Convolution2DTransposeBias": TFLiteOp(convolution_2d_transpose_bias, 3,
                                           const_inputs=(1, 2)),
    "MaxPoolingWithArgmax2D": TFLiteOp(max_pooling_with_argmax_2d, 1),
    "MaxUnpooling2D": TFLiteOp(max_unpooling_2d, 2),
}
