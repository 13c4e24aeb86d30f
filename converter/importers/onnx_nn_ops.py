"""ONNX_OPS entries for the weighted and windowed ops: Conv, ConvTranspose, Gemm, MatMul,
BatchNormalization, MaxPool, AveragePool (see onnx_ops.py for the signature conventions)."""
from __future__ import annotations

import numpy as np

from ..ir import TO_NCHW, TO_NHWC, DType
from ..ops import OpType
from ..ops.arg_max import ArgParams
from ..ops.batch_matmul import BatchMatMulParams
from ..ops.binary import BinaryParams
from ..ops.concatenation import ConcatenationParams
from ..ops.conv2d import Conv2DParams
from ..ops.depthwise_conv2d import DepthwiseConv2DParams
from ..ops.fully_connected import FullyConnectedParams
from ..ops.gather import GatherParams
from ..ops.pad import PadParams
from ..ops.pool2d import Pool2DParams
from ..ops.slice import SliceParams
from ..ops.transpose_conv2d import TransposeConv2DParams
from .graph_builder import Builder, Invalid, Unsupported, check_rank
from .onnx_signature import AutoPad, Numeric

Pair = tuple[int, int]


def _pair(values: list[int] | None, default: int, what: str, lowest: int = 1) -> Pair:
    if values is None:
        return default, default
    if len(values) != 2:
        raise Unsupported(f"only 2D windows are supported, got {what}={list(values)}")
    if min(values) < lowest:
        raise Invalid(f"{what} must be >= {lowest}, got {list(values)}")
    return int(values[0]), int(values[1])


def _same_pads(size: int, kernel: int, stride: int, dilation: int, upper: bool) -> Pair:
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    small = total // 2
    return (small, total - small) if upper else (total - small, small)


def _window_pads(auto_pad: str, pads: list[int] | None, size: Pair, kernel: Pair,
                 strides: Pair, dilations: Pair) -> tuple[int, int, int, int]:
    """ONNX pads/auto_pad -> (top, left, bottom, right)."""
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        upper = auto_pad == "SAME_UPPER"
        top, bottom = _same_pads(size[0], kernel[0], strides[0], dilations[0], upper)
        left, right = _same_pads(size[1], kernel[1], strides[1], dilations[1], upper)
        return top, left, bottom, right
    if auto_pad == "VALID" or pads is None:
        return 0, 0, 0, 0
    if len(pads) != 4:
        raise Invalid(f"pads must have 4 entries for a 2D window, got {list(pads)}")
    if min(pads) < 0:
        raise Unsupported(f"negative pads {list(pads)} are not supported")
    top, left, bottom, right = (int(p) for p in pads)
    return top, left, bottom, right


# --- 1-D windows, run as 2-D ones of height 1 -----------------------------------------------
def _tall(values: list[int] | None, fill: int) -> list[int] | None:
    """A 1-D window attribute (kernel, strides, dilations, output padding) as the 2-D one."""
    return None if values is None else [fill, *values]


def _tall_pads(pads: list[int] | None) -> list[int] | None:
    if pads is None:
        return None
    if len(pads) != 2:
        raise Invalid(f"pads must have 2 entries for a 1D window, got {list(pads)}")
    return [0, pads[0], 0, pads[1]]


def _lift(b: Builder, x: str) -> str:
    """[N, C, L] -> [N, C, 1, L]."""
    n, c, length = b.shape(x)
    return b.reshape(x, (n, c, 1, length))


def _drop_height(b: Builder, y: str) -> str:
    n, c, _, length = b.shape(y)
    return b.reshape(y, (n, c, length))


# --- convolutions -------------------------------------------------------------------------
# Convolution windows of real models are at most a few thousand taps (51x51 in large-kernel
# CNNs, a few thousand in learned audio filterbanks); every output pixel (every input pixel
# of a transposed one) reads the whole window, so one as long as its signal makes the work
# grow with the square of the signal (the fuzzer's ran for minutes).
MAX_WINDOW_TAPS = 4096


def _check_window(kh: int, kw: int) -> None:
    if kh * kw > MAX_WINDOW_TAPS:
        raise Unsupported(f"a filter window of {kh}x{kw} = {kh * kw} taps: at most "
                          f"{MAX_WINDOW_TAPS} are supported")


def conv(b: Builder, x: str, w: str, bias: str | None = None, *, auto_pad: AutoPad = "NOTSET",
         dilations: list[int] | None = None, group: int = 1,
         kernel_shape: list[int] | None = None, pads: list[int] | None = None,
         strides: list[int] | None = None) -> str:
    if b.rank(w) == 3 and b.rank(x) == 3:
        y = conv(b, _lift(b, x), _lift(b, w), bias, auto_pad=auto_pad,
                 dilations=_tall(dilations, 1), group=group,
                 kernel_shape=_tall(kernel_shape, 1), pads=_tall_pads(pads),
                 strides=_tall(strides, 1))
        return _drop_height(b, y)
    if b.rank(w) != 4:
        raise Unsupported(f"only 1D and 2D convolution are supported, got filter shape "
                          f"{b.shape(w)}")
    check_rank(b, x, (4,), "input X (NCHW)")
    _, c, h, wd = b.shape(x)
    m, c_group, kh, kw = b.shape(w)
    if kernel_shape is not None and tuple(kernel_shape) != (kh, kw):
        raise Invalid(f"kernel_shape {list(kernel_shape)} differs from filter shape {b.shape(w)}")
    _check_window(kh, kw)
    if group < 1 or c_group * group != c or m % group:
        raise Invalid(f"filter {b.shape(w)} with group={group} does not fit {c} input channels")
    stride, dilation = _pair(strides, 1, "strides"), _pair(dilations, 1, "dilations")
    top, left, bottom, right = _window_pads(auto_pad, pads, (h, wd), (kh, kw), stride, dilation)
    window = dict(stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0],
                  dilation_w=dilation[1], pad_top=top, pad_left=left, pad_bottom=bottom,
                  pad_right=right)
    xt = b.transpose(x, TO_NHWC)
    if group == c and group > 1:
        # [C*mult, 1, KH, KW] -> [1, KH, KW, C*mult]; output channel order is the same.
        params = DepthwiseConv2DParams(**window, depth_multiplier=m // c)
        y = b.op(OpType.DEPTHWISE_CONV2D, [xt, b.transpose(w, (1, 2, 3, 0)), bias], params)
    else:
        params = Conv2DParams(**window, groups=group)
        y = b.op(OpType.CONV2D, [xt, b.transpose(w, (0, 2, 3, 1)), bias], params)
    return b.transpose(y, TO_NCHW)


def _transpose_filter(b: Builder, w: str, group: int) -> str:
    """ConvTranspose filter [Cin, Cout/g, KH, KW] -> [Cout, KH, KW, Cin/g]."""
    cin, cout_group, kh, kw = b.shape(w)
    if group == 1:
        return b.transpose(w, (1, 2, 3, 0))
    grouped = b.reshape(w, (group, cin // group, cout_group, kh, kw))
    moved = b.transpose(grouped, (0, 2, 3, 4, 1))
    return b.reshape(moved, (group * cout_group, kh, kw, cin // group))


def conv_transpose(b: Builder, x: str, w: str, bias: str | None = None, *,
                   auto_pad: AutoPad = "NOTSET", dilations: list[int] | None = None,
                   group: int = 1, kernel_shape: list[int] | None = None,
                   output_padding: list[int] | None = None,
                   output_shape: list[int] | None = None, pads: list[int] | None = None,
                   strides: list[int] | None = None) -> str:
    if b.rank(w) == 3 and b.rank(x) == 3:
        y = conv_transpose(b, _lift(b, x), _lift(b, w), bias, auto_pad=auto_pad,
                           dilations=_tall(dilations, 1), group=group,
                           kernel_shape=_tall(kernel_shape, 1),
                           output_padding=_tall(output_padding, 0),
                           output_shape=_tall(output_shape, 1), pads=_tall_pads(pads),
                           strides=_tall(strides, 1))
        return _drop_height(b, y)
    if b.rank(w) != 4:
        raise Unsupported(f"only 1D and 2D transposed convolution are supported, got filter shape "
                          f"{b.shape(w)}")
    check_rank(b, x, (4,), "input X (NCHW)")
    n, c, h, wd = b.shape(x)
    cin, cout_group, kh, kw = b.shape(w)
    if kernel_shape is not None and tuple(kernel_shape) != (kh, kw):
        raise Invalid(f"kernel_shape {list(kernel_shape)} differs from filter shape {b.shape(w)}")
    _check_window(kh, kw)
    if group < 1 or cin != c or c % group:
        raise Invalid(f"filter {b.shape(w)} with group={group} does not fit {c} input channels")
    stride, dilation = _pair(strides, 1, "strides"), _pair(dilations, 1, "dilations")
    extra = _pair(output_padding, 0, "output_padding", lowest=0)
    full = [(size - 1) * s + (k - 1) * d + 1 + e for size, s, k, d, e in
            zip((h, wd), stride, (kh, kw), dilation, extra)]
    if pads is None and (output_shape or auto_pad in ("SAME_UPPER", "SAME_LOWER")):
        # The output size is given (or stride x input for SAME_*): crop the surplus, the
        # odd cell at the end for SAME_UPPER, else at the start (ONNX's rule, which ONNX
        # Runtime follows); a shortfall is filled at the end, like output_padding.
        out = list(output_shape[-2:]) if output_shape else [h * stride[0], wd * stride[1]]
        totals = [max(f - o, 0) for f, o in zip(full, out)]
        begin = [t // 2 if auto_pad == "SAME_UPPER" else t - t // 2 for t in totals]
        end = [total - first for total, first in zip(totals, begin)]
    else:
        top, left, bottom, right = _window_pads("NOTSET", pads, (h, wd), (kh, kw), stride,
                                                dilation)
        begin, end = [top, left], [bottom, right]
        out = list(output_shape[-2:]) if output_shape else [f - p - q for f, p, q in
                                                             zip(full, begin, end)]
    params = TransposeConv2DParams(stride[0], stride[1], dilation[0], dilation[1], begin[0],
                                   begin[1], end[0], end[1], group)
    inputs = [b.transpose(x, TO_NHWC), _transpose_filter(b, w, group), bias]
    y = b.op(OpType.TRANSPOSE_CONV2D, inputs, params,
             shapes=[(n, out[0], out[1], cout_group * group)])
    return b.transpose(y, TO_NCHW)


# --- matrix products ------------------------------------------------------------------------
def _scaled(b: Builder, x: str, factor: float) -> str:
    if factor == 1.0:
        return x
    value = b.value(x)
    if value is not None:
        return b.const(value * np.asarray(factor, dtype=value.dtype), name="scaled")
    return b.op(OpType.MUL, [x, b.const(np.float32(factor))], BinaryParams())


def _broadcast(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    try:
        return np.broadcast_to(value, shape)
    except ValueError:
        raise Invalid(f"C of shape {value.shape} does not broadcast to {shape}") from None


def gemm(b: Builder, a: str, w: str, c: str | None = None, *, alpha: float = 1.0,
         beta: float = 1.0, transA: int = 0, transB: int = 0) -> str:
    check_rank(b, a, (2,), "input A")
    check_rank(b, w, (2,), "input B")
    if transA:
        a = b.transpose(a, (1, 0))
    weights = b.value(w)
    n = b.shape(w)[0] if transB else b.shape(w)[1]
    bias = None if c is None or beta == 0.0 else _scaled(b, c, beta)
    if weights is not None:
        # FULLY_CONNECTED wants [N, K] weights and an optional [N] bias.
        kernel = b.const((weights if transB else weights.T) * np.float32(alpha), name="weights")
        fc_bias = None
        bias_value = None if bias is None else b.value(bias)
        if bias_value is not None and (bias_value.ndim < 2 or bias_value.shape[0] == 1):
            # The same bias for every row: FULLY_CONNECTED's own [N] bias.
            row = _broadcast(bias_value, (1, n)).reshape(n)
            fc_bias, bias = b.const(row, name="bias"), None
        y = b.op(OpType.FULLY_CONNECTED, [a, kernel, fc_bias], FullyConnectedParams())
    else:
        y = b.op(OpType.BATCH_MATMUL, [a, w], BatchMatMulParams(adj_b=bool(transB)))
        y = _scaled(b, y, alpha)
    return y if bias is None else b.op(OpType.ADD, [y, bias], BinaryParams())


def matmul(b: Builder, a: str, w: str) -> str:
    weights = b.value(w)
    a_dims, w_dims = b.shape(a), b.shape(w)
    if weights is not None and weights.ndim <= 2:
        kernel = weights.T if weights.ndim == 2 else weights.reshape(1, -1)
        y = b.op(OpType.FULLY_CONNECTED, [a, b.const(kernel, name="weights")],
                 FullyConnectedParams())
        return y if weights.ndim == 2 else b.reshape(y, a_dims[:-1])
    # numpy matmul promotes 1D operands to matrices and drops the added dim afterwards.
    a2 = b.reshape(a, (1,) + a_dims) if len(a_dims) == 1 else a
    w2 = b.reshape(w, w_dims + (1,)) if len(w_dims) == 1 else w
    y = b.op(OpType.BATCH_MATMUL, [a2, w2], BatchMatMulParams())
    out = b.shape(y)
    if len(w_dims) == 1:
        out = out[:-1]
    if len(a_dims) == 1:
        out = out[:-2] + out[-1:] if len(w_dims) > 1 else out[:-1]
    return b.reshape(y, out)


# --- normalisation ---------------------------------------------------------------------------
def batch_normalization(b: Builder, x: str, scale: np.ndarray, bias: np.ndarray,
                        mean: np.ndarray, var: np.ndarray, *, epsilon: float = 1e-5,
                        momentum: float = 0.9, training_mode: int = 0,
                        spatial: int = 1) -> str:
    if training_mode:
        raise Unsupported("training_mode=1 is not supported (inference only)")
    if not spatial:
        raise Unsupported("spatial=0 (per-element statistics) is not supported")
    dims = b.shape(x)
    if len(dims) < 2 or any(v.shape != (dims[1],) for v in (scale, bias, mean, var)):
        raise Invalid(f"scale, B, mean and var must be [C] for input {dims}")
    # y = x * s + t with s = scale / sqrt(var + eps), t = B - mean * s; the passes fold this
    # into the preceding convolution when there is one.
    s = scale.astype(np.float64) / np.sqrt(var.astype(np.float64) + epsilon)
    t = bias.astype(np.float64) - mean.astype(np.float64) * s
    channel = (dims[1],) + (1,) * (len(dims) - 2)
    y = b.op(OpType.MUL, [x, b.const(s.reshape(channel), np.float32, "bn_scale")],
             BinaryParams())
    return b.op(OpType.ADD, [y, b.const(t.reshape(channel), np.float32, "bn_shift")],
                BinaryParams())


# --- pooling -------------------------------------------------------------------------------
def _ceil_extra(size: int, kernel: int, stride: int, dilation: int, begin: int,
                end: int) -> int:
    """Extra end padding that makes floor division give ONNX's ceil_mode output size."""
    span = (kernel - 1) * dilation + 1
    out = -(-(size + begin + end - span) // stride) + 1
    if (out - 1) * stride >= size + begin:
        out -= 1  # the last window must start inside the input or the begin padding
    return max((out - 1) * stride + span - (size + begin + end), 0)


def _pool(b: Builder, op: OpType, x: str, auto_pad: str, ceil_mode: int,
          dilations: list[int] | None, kernel_shape: list[int], pads: list[int] | None,
          strides: list[int] | None, count_include_pad: int = 0) -> str:
    if b.rank(x) == 3 and len(kernel_shape) == 1:
        y = _pool(b, op, _lift(b, x), auto_pad, ceil_mode, _tall(dilations, 1),
                  _tall(kernel_shape, 1), _tall_pads(pads), _tall(strides, 1),
                  count_include_pad)
        return _drop_height(b, y)
    if b.rank(x) == 5 and len(kernel_shape) == 3:
        return _pool_3d(b, op, x, auto_pad, ceil_mode, dilations, kernel_shape, pads, strides,
                        count_include_pad)
    if b.rank(x) != 4 or len(kernel_shape) != 2:
        raise Unsupported(f"only 1D, 2D and 3D pooling (on NCL, NCHW or NCDHW input) are "
                          f"supported, got input {b.shape(x)} and kernel_shape "
                          f"{list(kernel_shape)}")
    _, _, h, w = b.shape(x)
    kernel = _pair(kernel_shape, 1, "kernel_shape")
    stride, dilation = _pair(strides, 1, "strides"), _pair(dilations, 1, "dilations")
    top, left, bottom, right = _window_pads(auto_pad, pads, (h, w), kernel, stride, dilation)
    if ceil_mode:
        extra_h = _ceil_extra(h, kernel[0], stride[0], dilation[0], top, bottom)
        extra_w = _ceil_extra(w, kernel[1], stride[1], dilation[1], left, right)
        if count_include_pad and (extra_h or extra_w):
            # The average counts the padding but not the cells past it that ceil_mode adds:
            # the padding becomes real zeros, and the pool counts only the cells inside.
            return _pool_ceil_past_padding(b, op, x, kernel, stride, dilation,
                                           (top, left, bottom, right), (extra_h, extra_w))
        bottom, right = bottom + extra_h, right + extra_w
    params = Pool2DParams(kernel[0], kernel[1], stride[0], stride[1], dilation[0], dilation[1],
                          top, left, bottom, right, bool(count_include_pad))
    y = b.op(op, [b.transpose(x, TO_NHWC)], params)
    return b.transpose(y, TO_NCHW)


def _pool_ceil_past_padding(b: Builder, op: OpType, x: str, kernel: Pair, stride: Pair,
                            dilation: Pair, pads: tuple[int, int, int, int],
                            extra: Pair) -> str:
    """An average with count_include_pad=1 whose last ceil_mode window runs past the padding:
    the input padded with zeros, then pooled counting only the cells inside it."""
    top, left, bottom, right = pads
    nhwc = b.transpose(x, TO_NHWC)
    if any(pads):
        nhwc = b.op(OpType.PAD, [nhwc], PadParams((0, top, left, 0, 0, bottom, right, 0)))
    params = Pool2DParams(kernel[0], kernel[1], stride[0], stride[1], dilation[0], dilation[1],
                          0, 0, extra[0], extra[1], False)
    return b.transpose(b.op(op, [nhwc], params), TO_NCHW)


def _pool_3d(b: Builder, op: OpType, x: str, auto_pad: str, ceil_mode: int,
             dilations: list[int] | None, kernel_shape: list[int], pads: list[int] | None,
             strides: list[int] | None, count_include_pad: int) -> str:
    """A 3-D window is a box, so its max (or its average: the count of cells a box covers is
    the product of the counts along each dim) is the 2-D pool over (H, W) of every depth slice,
    then the pool over D of those results, run as a 2-D pool of width 1 on (D, H' x W')."""
    n, c, d, h, w = b.shape(x)
    kernel, stride = list(kernel_shape), list(strides or [1, 1, 1])
    dilation, pad = list(dilations or [1, 1, 1]), list(pads or [0] * 6)
    if len(stride) != 3 or len(dilation) != 3 or len(pad) != 6:
        raise Invalid(f"strides {stride}, dilations {dilation} and pads {pad} must have 3, 3 "
                      f"and 6 entries for a 3D window")
    planes = _pool(b, op, b.reshape(x, (n, c * d, h, w)), auto_pad, ceil_mode, dilation[1:],
                   kernel[1:], [pad[1], pad[2], pad[4], pad[5]], stride[1:], count_include_pad)
    hh, ww = b.shape(planes)[2:]
    deep = _pool(b, op, b.reshape(planes, (n, c, d, hh * ww)), auto_pad, ceil_mode,
                 [dilation[0], 1], [kernel[0], 1], [pad[0], 0, pad[3], 0], [stride[0], 1],
                 count_include_pad)
    return b.reshape(deep, (n, c, b.shape(deep)[2], hh, ww))


# The most window positions unrolled into SLICEs for MaxPool's indices.
_MAX_INDEX_WINDOW = 256


def _max_pool_indices(b: Builder, x: str, auto_pad: str, ceil_mode: int,
                      dilations: list[int] | None, kernel_shape: list[int],
                      pads: list[int] | None, strides: list[int] | None,
                      storage_order: int) -> str:
    """MaxPool's second output: the flat index into the NCHW input (row-major, or H fastest
    with storage_order=1) of each window's first largest value, ONNX Runtime's choice: an
    ARG_MAX over the window's strided SLICEs of the input padded with -inf (padding never
    wins over a real value), plus constant tables of the window origins and the offsets."""
    if b.rank(x) != 4 or len(kernel_shape) != 2:
        raise Unsupported(f"the indices output is supported for 2D pooling only, got input "
                          f"{list(b.shape(x))} and kernel_shape {list(kernel_shape)}")
    n, c, h, w = b.shape(x)
    kernel = _pair(kernel_shape, 1, "kernel_shape")
    stride, dilation = _pair(strides, 1, "strides"), _pair(dilations, 1, "dilations")
    if kernel[0] * kernel[1] > _MAX_INDEX_WINDOW:
        raise Unsupported(f"indices of a {kernel[0]}x{kernel[1]} window: at most "
                          f"{_MAX_INDEX_WINDOW} positions are unrolled")
    top, left, bottom, right = _window_pads(auto_pad, pads, (h, w), kernel, stride, dilation)
    if ceil_mode:
        bottom += _ceil_extra(h, kernel[0], stride[0], dilation[0], top, bottom)
        right += _ceil_extra(w, kernel[1], stride[1], dilation[1], left, right)
    oh = (h + top + bottom - (kernel[0] - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (w + left + right - (kernel[1] - 1) * dilation[1] - 1) // stride[1] + 1
    out = (n, oh, ow, c)
    padded = b.transpose(x, TO_NHWC)
    if top or bottom or left or right:
        padded = b.op(OpType.PAD, [padded], PadParams((0, top, left, 0, 0, bottom, right, 0),
                                                      value=-np.inf))
    window = [b.reshape(b.op(OpType.SLICE, [padded], SliceParams(
        (0, ky * dilation[0], kx * dilation[1], 0), (1, stride[0], stride[1], 1)),
        shapes=[out]), (n, oh, ow, 1, c)) for ky in range(kernel[0]) for kx in range(kernel[1])]
    stacked = window[0] if len(window) == 1 else b.op(
        OpType.CONCATENATION, window, ConcatenationParams(3))
    k = b.op(OpType.ARG_MAX, [stacked], ArgParams(3), shapes=[out], dtype=DType.INT64)
    ky, kx = np.divmod(np.arange(kernel[0] * kernel[1]), kernel[1])
    y0 = np.arange(oh)[:, None] * stride[0] - top
    x0 = np.arange(ow)[None, :] * stride[1] - left
    if storage_order:
        offsets, origin = kx * dilation[1] * h + ky * dilation[0], x0 * h + y0
    else:
        offsets, origin = ky * dilation[0] * w + kx * dilation[1], y0 * w + x0
    base = (np.arange(n)[:, None, None, None] * c + np.arange(c)) * (h * w) \
        + origin[None, :, :, None]
    b.reserve(out, np.int64)
    within = b.op(OpType.GATHER, [b.const(offsets.astype(np.int64), name="offsets"), k],
                  GatherParams(0), shapes=[out], dtype=DType.INT64)
    flat = b.op(OpType.ADD, [within, b.const(base.astype(np.int64), name="origins")],
                BinaryParams(), dtype=DType.INT64)
    return b.transpose(flat, TO_NCHW)


def pool_max(b: Builder, x: Numeric, *, auto_pad: AutoPad = "NOTSET", ceil_mode: int = 0,
             dilations: list[int] | None = None, kernel_shape: list[int],
             pads: list[int] | None = None, storage_order: int = 0,
             strides: list[int] | None = None) -> list[str]:
    """float32; plain int8 and uint8 (ONNX's integer types here) pool as float32, which holds
    each of their values exactly (a max picks one of its inputs: the CASTs are exact)."""
    dtype = b.dtype(x)
    plain = dtype != DType.FLOAT32 and b.graph.tensors[x].quant is None  # QDQ's int8 is not
    if plain:
        if dtype not in (DType.INT8, DType.UINT8):
            raise Unsupported(f"input of type {dtype.name.lower()}: float32, int8 and uint8 "
                              f"are supported")
        x = b.op(OpType.CAST, [x], dtype=DType.FLOAT32)
    y = _pool(b, OpType.MAX_POOL2D, x, auto_pad, ceil_mode, dilations, kernel_shape, pads,
              strides)
    y = b.op(OpType.CAST, [y], dtype=dtype) if plain else y
    if b.num_outputs < 2:
        return [y]
    return [y, _max_pool_indices(b, x, auto_pad, ceil_mode, dilations, kernel_shape, pads,
                                 strides, storage_order)]


def pool_average(b: Builder, x: str, *, auto_pad: AutoPad = "NOTSET", ceil_mode: int = 0,
                 count_include_pad: int = 0, dilations: list[int] | None = None,
                 kernel_shape: list[int], pads: list[int] | None = None,
                 strides: list[int] | None = None) -> str:
    return _pool(b, OpType.AVERAGE_POOL2D, x, auto_pad, ceil_mode, dilations, kernel_shape,
                 pads, strides, count_include_pad)


def lp_pool(b: Builder, x: str, *, auto_pad: AutoPad = "NOTSET", ceil_mode: int = 0,
            dilations: list[int] | None = None, kernel_shape: list[int], p: int = 2,
            pads: list[int] | None = None, strides: list[int] | None = None) -> str:
    """(sum over the window of |x|^p)^(1/p): the sum is an average pool counting the padded
    cells, times the window's size."""
    if p < 1:
        raise Invalid(f"p must be >= 1, got {p}")
    powered = b.op(OpType.POW, [b.op(OpType.ABS, [x]), b.scalar(float(p))])
    pooled = _pool(b, OpType.AVERAGE_POOL2D, powered, auto_pad, ceil_mode, dilations,
                   kernel_shape, pads, strides, count_include_pad=1)
    size = b.scalar(float(np.prod(kernel_shape)))
    total = b.op(OpType.MUL, [pooled, size], BinaryParams())
    return b.op(OpType.POW, [total, b.scalar(1.0 / p)])


def global_lp_pool(b: Builder, x: str, *, p: int = 2) -> str:
    check_rank(b, x, (3, 4), "input (N, C, L) or (N, C, H, W)")
    return lp_pool(b, x, kernel_shape=list(b.shape(x)[2:]), p=p)
