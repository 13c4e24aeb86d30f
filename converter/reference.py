"""A plain numpy evaluator of the IR: the converter's oracle.

Constant folding uses it, and tests of the importers and passes compare graphs with it. It
favours obviously-correct code over speed: float ops compute in float64 and round once to the
output tensor's type, so it is at least as accurate as any kernel it checks.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable

import ml_dtypes
import numpy as np

from .errors import EmberError, ShapeError
from .ir import DType, Graph, Node, QuantParams
from .ops import OPS, FusedActivation, OpType
from .ops.bitwise import reference as bitwise_reference
from .ops.grid_sample import reference as grid_sample_reference
from .ops.pad import PadMode
from .ops.quantize_linear import reference as quantize_linear_reference
from .ops.resize import CoordinateTransform, NearestRounding, ResizeMode
from .ops.transpose_conv2d import full_size

Values = dict[str, np.ndarray]


class EvaluationError(EmberError):
    """A value from tensor data is out of range (e.g. a gather index)."""


def evaluate(graph: Graph, inputs: dict[str, np.ndarray]) -> Values:
    """Runs the graph; returns every tensor's value (constants and inputs included)."""
    values: Values = {name: t.data for name, t in graph.tensors.items() if t.data is not None}
    for name in graph.inputs:
        if name not in inputs:
            raise ShapeError(f"no value given for graph input {name!r}")
        tensor = graph.tensors[name]
        value = np.asarray(inputs[name])
        if tensor.shape is not None and tuple(value.shape) != tuple(tensor.shape):
            raise ShapeError(f"graph input {name!r}: expected shape {tensor.shape}, "
                             f"got {value.shape}")
        values[name] = value.astype(tensor.dtype.numpy, copy=False)
    for node in graph.nodes:
        for name, value in zip(node.outputs, evaluate_node(node, graph, values)):
            values[name] = value
    return values


def evaluate_node(node: Node, graph: Graph, values: Values) -> list[np.ndarray]:
    """The node's outputs, computed from `values` (its inputs by tensor name)."""
    args = [values[name] if name else None for name in node.inputs]
    if node.op in (OpType.CONV2D, OpType.FULLY_CONNECTED):
        args = _hybrid_weights(node, graph, args)
    if node.params is None and OPS[node.op].params_cls is not None:
        node = dataclasses.replace(node, params=OPS[node.op].params_cls())
    results = REFERENCE_OPS[node.op](node, args, graph)
    out = []
    for name, result in zip(node.outputs, results):
        tensor = graph.tensors[name]
        result = np.asarray(result)
        if tensor.shape is not None and tuple(result.shape) != tuple(tensor.shape):
            raise ShapeError(f"node {node.name!r} ({node.op.name.lower()}): output {name!r} "
                             f"computed shape {result.shape}, declared {tensor.shape}")
        with np.errstate(over="ignore"):  # float64 beyond float32's range is inf, as in C
            out.append(result.astype(tensor.dtype.numpy))
    return out


def _hybrid_weights(node: Node, graph: Graph, args: list) -> list:
    """A float32 node with int8 weights (dynamic range computing in int8) computes with the
    weights' real values: per output channel scale x int8 value."""
    w = graph.tensors[node.inputs[1]]
    if w.dtype != DType.INT8 or graph.tensors[node.inputs[0]].dtype != DType.FLOAT32:
        return args
    scale = np.asarray(w.quant.scale, np.float64)
    if scale.size > 1:
        shape = [1] * w.data.ndim
        shape[w.quant.axis] = -1
        scale = scale.reshape(shape)
    return [args[0], np.asarray(args[1], np.float64) * scale, *args[2:]]


def _out_shape(node: Node, graph: Graph, i: int = 0) -> tuple[int, ...]:
    shape = graph.tensors[node.outputs[i]].shape
    if shape is None:
        raise ShapeError(f"node {node.name!r} ({node.op.name.lower()}): output {i} has no shape")
    return tuple(shape)


def apply_activation(x: np.ndarray, activation: FusedActivation) -> np.ndarray:
    if activation == FusedActivation.RELU:
        return np.maximum(x, 0)
    if activation == FusedActivation.RELU6:
        return np.clip(x, 0, 6)
    if activation == FusedActivation.RELU_N1_TO_1:
        return np.clip(x, -1, 1)
    if activation == FusedActivation.SILU:
        return x * _sigmoid(x, None)
    if activation == FusedActivation.HARD_SWISH:
        return _hard_swish(x, None)
    return x


def _f64(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


# --- convolutions and pooling (NHWC) --------------------------------------------------------

def _pad_hw(x: np.ndarray, p, value: float) -> np.ndarray:
    return np.pad(x, ((0, 0), (p.pad_top, p.pad_bottom), (p.pad_left, p.pad_right), (0, 0)),
                  constant_values=value)


def _windows(xp: np.ndarray, kh: int, kw: int, p, out_h: int, out_w: int):
    """Yields (ky, kx, view): view[n, oy, ox, c] = xp[n, oy*sh + ky*dh, ox*sw + kx*dw, c]."""
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * p.dilation_h, kx * p.dilation_w
            yield ky, kx, xp[:, y0:y0 + p.stride_h * (out_h - 1) + 1:p.stride_h,
                             x0:x0 + p.stride_w * (out_w - 1) + 1:p.stride_w, :]


def _bias(args: list, cout: int) -> np.ndarray:
    return _f64(args[2]) if len(args) > 2 and args[2] is not None else np.zeros(cout)


def _conv2d(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    p = node.params
    x, w = _f64(args[0]), _f64(args[1])
    n, oh, ow, cout = _out_shape(node, graph)
    g = p.groups
    cin_g = w.shape[3]
    wg = w.reshape(g, cout // g, w.shape[1], w.shape[2], cin_g)
    acc = np.zeros((n, oh, ow, g, cout // g))
    for ky, kx, view in _windows(_pad_hw(x, p, 0.0), w.shape[1], w.shape[2], p, oh, ow):
        acc += np.einsum("nhwgc,goc->nhwgo", view.reshape(n, oh, ow, g, cin_g),
                         wg[:, :, ky, kx, :])
    y = acc.reshape(n, oh, ow, cout) + _bias(args, cout)
    if len(args) > 3 and args[3] is not None:
        y = y + _f64(args[3])
    return [apply_activation(y, p.activation)]


def _depthwise_conv2d(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    p = node.params
    x = np.repeat(_f64(args[0]), p.depth_multiplier, axis=3)
    w = _f64(args[1])
    n, oh, ow, cout = _out_shape(node, graph)
    acc = np.zeros((n, oh, ow, cout))
    for ky, kx, view in _windows(_pad_hw(x, p, 0.0), w.shape[1], w.shape[2], p, oh, ow):
        acc += view * w[0, ky, kx, :]
    return [apply_activation(acc + _bias(args, cout), p.activation)]


def _transpose_conv2d(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    p = node.params
    x, w = _f64(args[0]), _f64(args[1])
    n, h, wd, _ = x.shape
    cout, kh, kw, cin_g = w.shape
    g = p.groups
    fh = full_size(h, kh, p.stride_h, p.dilation_h)
    fw = full_size(wd, kw, p.stride_w, p.dilation_w)
    _, oh, ow, _ = _out_shape(node, graph)
    # Room for the output padding rows/columns past the scattered region (they get only bias).
    full = np.zeros((n, max(fh, p.pad_top + oh), max(fw, p.pad_left + ow), g, cout // g))
    xg = x.reshape(n, h, wd, g, cin_g)
    wg = w.reshape(g, cout // g, kh, kw, cin_g)
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * p.dilation_h, kx * p.dilation_w
            full[:, y0:y0 + p.stride_h * (h - 1) + 1:p.stride_h,
                 x0:x0 + p.stride_w * (wd - 1) + 1:p.stride_w] += np.einsum(
                     "nhwgc,goc->nhwgo", xg, wg[:, :, ky, kx, :])
    y = full[:, p.pad_top:p.pad_top + oh, p.pad_left:p.pad_left + ow].reshape(n, oh, ow, cout)
    return [apply_activation(y + _bias(args, cout), p.activation)]


def _pool2d(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    p = node.params
    x = _f64(args[0])
    _, oh, ow, _ = _out_shape(node, graph)
    if node.op == OpType.MAX_POOL2D:
        y = np.full((x.shape[0], oh, ow, x.shape[3]), -np.inf)
        for _, _, view in _windows(_pad_hw(x, p, -np.inf), p.filter_h, p.filter_w, p, oh, ow):
            y = np.maximum(y, view)
    else:
        total = np.zeros((x.shape[0], oh, ow, x.shape[3]))
        count = np.zeros((1, oh, ow, 1))
        ones = _pad_hw(np.ones((1,) + x.shape[1:3] + (1,)), p, 0.0)
        for _, _, view in _windows(_pad_hw(x, p, 0.0), p.filter_h, p.filter_w, p, oh, ow):
            total += view
        for _, _, view in _windows(ones, p.filter_h, p.filter_w, p, oh, ow):
            count += view
        if p.count_include_pad:
            count = np.full_like(count, p.filter_h * p.filter_w)
        y = total / count
    return [apply_activation(y, p.activation)]


# --- dense and elementwise ------------------------------------------------------------------

def _fully_connected(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    w = _f64(args[1])
    y = _f64(args[0]) @ w.T + _bias(args, w.shape[0])
    return [apply_activation(y, node.params.activation)]


def _batch_matmul(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    a, b = _f64(args[0]), _f64(args[1])
    if node.params.adj_a:
        a = np.swapaxes(a, -1, -2)
    if node.params.adj_b:
        b = np.swapaxes(b, -1, -2)
    return [a @ b]


def _binary(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    a, b = args
    if np.issubdtype(np.asarray(a).dtype, np.integer):
        return [_integer_binary(node.op, np.asarray(a), np.asarray(b))]
    a, b = _f64(a), _f64(b)
    if node.op == OpType.ADD:
        y = a + b
    elif node.op == OpType.SUB:
        y = a - b
    elif node.op == OpType.MUL:
        y = a * b
    else:
        y = a / b
    return [apply_activation(y, node.params.activation)]


def _integer_binary(op: OpType, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plain int32/int64 arithmetic in the inputs' type, the kernels' rules: +, - and * wrap;
    DIV truncates toward zero (C's and ONNX Runtime's /, not numpy's floor //), x / 0 is 0 and
    INT_MIN / -1 wraps to INT_MIN (csrc/kernels/div.c)."""
    a, b = np.broadcast_arrays(a, b)
    with np.errstate(over="ignore"):
        if op == OpType.ADD:
            return a + b
        if op == OpType.SUB:
            return a - b
        if op == OpType.MUL:
            return a * b
        safe = np.where((b == 0) | (b == -1), 1, b).astype(a.dtype)
        q = a // safe
        q = q + ((a - q * safe != 0) & ((a < 0) != (safe < 0))).astype(a.dtype)
        q = np.where(b == -1, np.negative(a), q)
    return np.where(b == 0, 0, q).astype(a.dtype)


def _unary(fn: Callable[[np.ndarray, object], np.ndarray]):
    def run(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
        return [fn(_f64(args[0]), node.params)]
    return run


def _sigmoid(x: np.ndarray, _) -> np.ndarray:
    # Split by sign so neither branch overflows exp().
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _lookup_table(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    """int8 x through the 256-entry table: entry i for the byte i."""
    return [args[1][args[0].astype(np.int8).view(np.uint8)]]


def _reduce_axes(node: Node, args: list, graph: Graph) -> tuple[int, ...]:
    """A reduction's axes: the params', or (format 9) input 1's read at run time, which must
    be in range, distinct and give the stored output shape, as the kernel checks."""
    if len(args) < 2 or args[1] is None:
        return tuple(node.params.axes)
    rank, where = np.ndim(args[0]), f"node {node.name!r} ({node.op.name.lower()})"
    given = [int(a) for a in np.asarray(args[1]).reshape(-1)]
    axes = tuple(a + rank if a < 0 else a for a in given)
    if not axes or any(not 0 <= a < rank for a in axes) or len(set(axes)) != len(axes):
        raise EvaluationError(f"{where}: run-time axes {given} are not distinct axes of rank "
                              f"{rank}")
    shape, out = np.shape(args[0]), _out_shape(node, graph)
    if out not in (tuple(1 if i in axes else d for i, d in enumerate(shape)),
                   tuple(d for i, d in enumerate(shape) if i not in axes)):
        raise EvaluationError(f"{where}: run-time axes {given} do not give the output {out}")
    return tuple(sorted(axes))


def _mean(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    y = np.mean(_f64(args[0]), axis=_reduce_axes(node, args, graph), keepdims=True)
    return [y.reshape(_out_shape(node, graph))]


def _softmax(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    z = _f64(args[0]) * node.params.beta
    e = np.exp(z - np.max(z, axis=node.params.axis, keepdims=True))
    return [e / np.sum(e, axis=node.params.axis, keepdims=True)]


# --- data movement (any dtype) --------------------------------------------------------------

def _reshape(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    return [np.reshape(args[0], _out_shape(node, graph))]


def _transpose(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    return [np.transpose(args[0], node.params.perm)]


def _concatenation(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    y = np.concatenate(args, axis=node.params.axis)
    return [apply_activation(y, node.params.activation)]


def _split(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    axis = node.params.axis
    sizes = [_out_shape(node, graph, i)[axis] for i in range(len(node.outputs))]
    return np.split(args[0], np.cumsum(sizes)[:-1], axis=axis)


def _slice(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    y = args[0]
    if len(args) > 1:  # run-time ONNX starts, ends, axes, steps: Python's slices clamp alike
        starts, ends = (np.asarray(a).reshape(-1) for a in args[1:3])
        axes = range(len(starts)) if len(args) < 4 or args[3] is None else args[3]
        steps = [1] * len(starts) if len(args) < 5 or args[4] is None else args[4]
        picks = [slice(None)] * y.ndim
        for a, s, e, st in zip(np.asarray(axes).reshape(-1), starts, ends,
                               np.asarray(steps).reshape(-1)):
            picks[int(a)] = slice(int(s), int(e), int(st))
        return [y[tuple(picks)]]
    for axis, (begin, step, count) in enumerate(zip(node.params.begin, node.params.step,
                                                    _out_shape(node, graph))):
        y = np.take(y, begin + step * np.arange(count), axis=axis)
    return [y]


def _pad(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    p = node.params
    x = args[0]
    rank = x.ndim
    before, after = p.pads[:rank], p.pads[rank:]
    if len(args) > 1:  # run-time pads, constant and axes (ONNX's inputs 1..3)
        pads = np.asarray(args[1]).reshape(-1).tolist()
        axes = range(rank) if len(args) < 4 or args[3] is None else \
            [int(a) % rank for a in np.asarray(args[3]).reshape(-1)]
        before, after = [0] * rank, [0] * rank
        for k, a in enumerate(axes):
            before[a], after[a] = pads[k], pads[k + len(pads) // 2]
        if len(args) > 2 and args[2] is not None:
            p = dataclasses.replace(p, value=np.asarray(args[2]).reshape(-1)[0])
    # Negative pads crop first; the rest pads.
    x = x[tuple(slice(-min(b, 0), x.shape[i] + min(a, 0))
                for i, (b, a) in enumerate(zip(before, after)))]
    widths = [(max(b, 0), max(a, 0)) for b, a in zip(before, after)]
    if p.mode == PadMode.CONSTANT:
        value = p.value
        q = graph.tensors[node.outputs[0]].quant
        if graph.tensors[node.outputs[0]].dtype == DType.INT8 and q is not None:
            value = float(_quantized(np.float32(p.value), q))  # int8 pads with a real value
        return [np.pad(x, widths, mode="constant", constant_values=value)]
    return [np.pad(x, widths, mode="reflect" if p.mode == PadMode.REFLECT else "edge")]


def _gather(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    data, indices = args
    axis = node.params.axis
    size = data.shape[axis]
    if np.any((indices < -size) | (indices >= size)):
        raise EvaluationError(f"node {node.name!r} (gather): index out of range [-{size}, {size})")
    return [np.take(data, np.where(indices < 0, indices + size, indices), axis=axis)]



def _positions(node: Node, indices: np.ndarray, sizes: np.ndarray | int) -> np.ndarray:
    """Indices in [-size, size) as positions (negative ones count from the end); one outside
    is an EvaluationError, as the kernels' evaluation error."""
    indices = indices.astype(np.int64)
    if np.any((indices < -sizes) | (indices >= sizes)):
        raise EvaluationError(f"node {node.name!r} ({node.op.name.lower()}): index out of "
                              f"range")
    return np.where(indices < 0, indices + sizes, indices)


def _elements_at(data: np.ndarray, indices: np.ndarray, axis: int) -> tuple:
    """The numpy index of the cells GATHER_ELEMENTS / SCATTER_ELEMENTS address."""
    grid = list(np.indices(indices.shape, sparse=True))
    grid[axis] = indices
    return tuple(grid)


def _gather_elements(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    data, indices = args
    axis = node.params.axis
    return [data[_elements_at(data, _positions(node, indices, data.shape[axis]), axis)]]


def _nd_positions(node: Node, data: np.ndarray, indices: np.ndarray, first: int) -> tuple:
    """Index tuples [..., k] of GATHER_ND / SCATTER_ND (into data dims [first, first + k)) as
    a tuple of k position arrays."""
    k = indices.shape[-1]
    pos = _positions(node, indices, np.array(data.shape[first:first + k], np.int64))
    return tuple(np.moveaxis(pos, -1, 0))


def _gather_nd(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    data, indices = args
    b = node.params.batch_dims
    pos = _nd_positions(node, data, indices, b)
    batch = tuple(np.indices(indices.shape[:-1], sparse=True)[:b])
    return [data[batch + pos]]


_SCATTER_UFUNCS = {1: np.add, 2: np.multiply, 3: np.maximum, 4: np.minimum}


def _scatter(out: np.ndarray, where: tuple, updates: np.ndarray, reduction: int) -> None:
    """Combines each update into its cell in index order (np.ufunc.at folds duplicates one by
    one; plain assignment lets the last duplicate win)."""
    if reduction == 0:
        out[where] = updates
    else:
        _SCATTER_UFUNCS[int(reduction)].at(out, where, updates)


def _scatter_nd(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    data, indices, updates = args
    out = data.copy()
    _scatter(out, _nd_positions(node, data, indices, 0), updates, node.params.reduction)
    return [out]


def _scatter_elements(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    data, indices, updates = args
    axis = node.params.axis
    out = data.copy()
    where = _elements_at(data, _positions(node, indices, data.shape[axis]), axis)
    _scatter(out, tuple(np.broadcast_to(w, indices.shape) for w in where), updates,
             node.params.reduction)
    return [out]

def _source_coords(out_len: int, in_len: int, scale: float,
                   transform: CoordinateTransform) -> np.ndarray:
    """Input coordinate of each output index along one axis (ONNX Resize)."""
    i = np.arange(out_len, dtype=np.float64)
    if transform == CoordinateTransform.ALIGN_CORNERS:
        return i * (in_len - 1) / (out_len - 1) if out_len > 1 else np.zeros(out_len)
    if transform == CoordinateTransform.ASYMMETRIC:
        return i / scale
    if transform == CoordinateTransform.PYTORCH_HALF_PIXEL and out_len == 1:
        return np.zeros(out_len)
    return (i + 0.5) / scale - 0.5


def _nearest(coords: np.ndarray, rounding: NearestRounding, in_len: int) -> np.ndarray:
    if rounding == NearestRounding.ROUND_PREFER_FLOOR:
        idx = np.ceil(coords - 0.5)
    elif rounding == NearestRounding.ROUND_PREFER_CEIL:
        idx = np.floor(coords + 0.5)
    elif rounding == NearestRounding.FLOOR:
        idx = np.floor(coords)
    else:
        idx = np.ceil(coords)
    return np.clip(idx, 0, in_len - 1).astype(np.int64)


def _linear_axis(x: np.ndarray, coords: np.ndarray, axis: int) -> np.ndarray:
    in_len = x.shape[axis]
    c = np.clip(coords, 0, in_len - 1)
    lo = np.floor(c).astype(np.int64)
    hi = np.minimum(lo + 1, in_len - 1)
    frac = (c - lo).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
    return np.take(x, lo, axis=axis) * (1 - frac) + np.take(x, hi, axis=axis) * frac


def _resize(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    p = node.params
    x = args[0]
    if (len(args) > 1 or p.mode > ResizeMode.LINEAR or p.antialias
            or p.coordinate_transform > CoordinateTransform.PYTORCH_HALF_PIXEL):
        # tests/kernels/test_resize_family.py checks these against ONNX Runtime instead
        raise EvaluationError(f"node {node.name!r} (resize): the reference has no cubic, "
                              f"antialias, format 9 transforms or run-time scales")
    _, oh, ow, _ = _out_shape(node, graph)
    ch = _source_coords(oh, x.shape[1], p.scale_h, p.coordinate_transform)
    cw = _source_coords(ow, x.shape[2], p.scale_w, p.coordinate_transform)
    if p.mode == ResizeMode.NEAREST:
        y = np.take(x, _nearest(ch, p.nearest_rounding, x.shape[1]), axis=1)
        return [np.take(y, _nearest(cw, p.nearest_rounding, x.shape[2]), axis=2)]
    return [_linear_axis(_linear_axis(_f64(x), ch, 1), cw, 2)]


def _clamp(x: np.ndarray, p) -> np.ndarray:
    return np.minimum(np.maximum(x, p.min), p.max)


def _hard_swish(x: np.ndarray, _) -> np.ndarray:
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _quantize(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    out = graph.tensors[node.outputs[0]]
    x = np.asarray(args[0], dtype=np.float32)
    if graph.tensors[node.inputs[0]].dtype in (DType.INT8, DType.UINT8):
        # Requantization by its real value; the kernel's fixed-point multiply can round a
        # value that lands near a tie differently (by 1).
        x = np.float32(_dequantize(node, args, graph)[0])
    info = np.iinfo(out.dtype.numpy)  # int8, or uint8 at a graph's edge
    return [_quantized(x, out.quant, info.min, info.max)]


def _quantized(x: np.ndarray, q: QuantParams, lo: int = -128, hi: int = 127) -> np.ndarray:
    # LiteRT divides in float32 and rounds ties away from zero; round-half-even would differ.
    x = x / np.float32(q.scale[0])
    rounded = np.sign(x) * np.floor(np.abs(_f64(x)) + 0.5)
    return np.clip(rounded + q.zero_point[0], lo, hi)


def _dequantize(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    """int8 with one scale and zero point, or one per channel along the axis; float16."""
    x = np.asarray(args[0])
    if x.dtype == np.float16:
        return [x.astype(np.float32)]
    q = graph.tensors[node.inputs[0]].quant
    shape = [1] * x.ndim
    if len(q.scale) > 1:
        shape[q.axis] = -1
    scale = np.asarray(q.scale, np.float32).astype(np.float64).reshape(shape)
    zero_point = np.asarray(q.zero_point, np.float64).reshape(shape)
    return [(_f64(x) - zero_point) * scale]


def _maximum_minimum(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    fn = np.maximum if node.op == OpType.MAXIMUM else np.minimum
    return [fn(args[0], args[1])]


def _prelu(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    x, alpha = _f64(args[0]), _f64(args[1])
    return [np.where(x >= 0, x, alpha * x)]


def _sum(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    y = np.sum(_f64(args[0]), axis=_reduce_axes(node, args, graph), keepdims=True)
    return [y.reshape(_out_shape(node, graph))]


_FOLDS = {OpType.REDUCE_MAX: np.max, OpType.REDUCE_MIN: np.min, OpType.REDUCE_PROD: np.prod}
_EMPTY_FOLD = {OpType.REDUCE_MAX: -np.inf, OpType.REDUCE_MIN: np.inf, OpType.REDUCE_PROD: 1.0}


def _reduce_fold(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    """In the input's own type: int8 MAX/MIN compare stored values, bool MAX/MIN are any/all."""
    x = np.asarray(args[0])
    axes = _reduce_axes(node, args, graph)
    if x.size == 0 or any(x.shape[a] == 0 for a in axes):
        # bool MAX of nothing is false, MIN true (-inf and +inf would both cast to true)
        empty = _EMPTY_FOLD[node.op] > 0 if x.dtype == np.bool_ else _EMPTY_FOLD[node.op]
        y = np.full([1 if i in axes else d for i, d in enumerate(x.shape)], empty)
    else:
        y = _FOLDS[node.op](x if x.dtype in (np.int8, np.bool_) else _f64(x), axis=axes,
                            keepdims=True)
    return [y.reshape(_out_shape(node, graph))]


def _arg(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    # numpy's argmax/argmin return the first index of a tie, as LiteRT does.
    fn = np.argmax if node.op == OpType.ARG_MAX else np.argmin
    return [fn(args[0], axis=node.params.axis).reshape(_out_shape(node, graph))]


def _e8m0_up(x: np.ndarray, saturate: bool) -> np.ndarray:
    """FLOAT8E8M0 as ONNX's Cast with round_mode "up": float32's exponent field, plus one when
    a fraction bit is set (not past 0xFE when saturating); infinity and NaN give 0xFF."""
    b = x.view(np.uint32)
    e = ((b >> 23) & 0xFF).astype(np.uint16)
    up = ((b & 0x7FFFFF) != 0) & (e != 0xFF) & ~((e == 0xFE) & saturate)
    return (e + up).astype(np.uint8).view(DType.FLOAT8E8M0.numpy)


def _cast(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    # C casts (csrc/kernels/cast.c): float -> integer truncates toward zero, saturated where C
    # leaves it undefined (to the int32 range, int64 for UINT32 and 64-bit outputs, and
    # [0, 2^64) for positive UINT64 ones), then wraps; integer -> narrower integer wraps;
    # to a narrower float rounds to nearest even, float8 saturating unless CastParams say not.
    x = np.asarray(args[0])
    to = graph.tensors[node.outputs[0]].dtype
    if to == DType.FLOAT8E8M0 and x.dtype != to.numpy:
        return [_e8m0_up(_f64(x).astype(np.float32), node.params.saturate)]
    if to.name.startswith("FLOAT8") and x.dtype != to.numpy:
        # ml_dtypes does not saturate: beyond the range gives infinity or NaN.
        top = float(ml_dtypes.finfo(to.numpy).max)
        f = np.clip(_f64(x), -top, top) if node.params.saturate else _f64(x)
        return [f.astype(to.numpy)]
    if DType.from_numpy(x.dtype) not in _FLOAT_DTYPES:
        return [x.astype(to.numpy)]
    f = _f64(x)
    if to == DType.BOOL:
        return [f != 0]
    if to in _FLOAT_DTYPES or to in _SUB_BYTE_INTS:
        # ml_dtypes' casts are the sub-byte types' definition: FLOAT4E2M1 saturates, a float
        # to a 4- or 2-bit integer truncates and gives 0 out of range.
        return [f.astype(to.numpy)]
    t = np.nan_to_num(np.trunc(f), nan=0.0)
    wide = np.iinfo(np.int64 if to in (DType.INT64, DType.UINT64, DType.UINT32) else np.int32)
    # float(2^63 - 1) is 2^63, beyond int64: the largest double below it is 2^63 - 1024.
    bits = np.where(t >= 2.0**63, wide.max,
                    np.clip(t, wide.min, min(wide.max, 2.0**63 - 1024)).astype(np.int64))
    if to == DType.UINT64:
        top = np.clip(t, 0, 2.0**64 - 2048).astype(np.uint64)
        big = np.where(t >= 2.0**64, np.iinfo(np.uint64).max, top)
        return [np.where(t >= 0, big, bits.view(np.uint64))]
    return [bits.astype(to.numpy)]


_FLOAT_DTYPES = frozenset({DType.FLOAT32, DType.FLOAT16, DType.FLOAT64, DType.BFLOAT16,
                           DType.FLOAT8E4M3FN, DType.FLOAT8E4M3FNUZ, DType.FLOAT8E5M2,
                           DType.FLOAT8E5M2FNUZ, DType.FLOAT4E2M1})
_SUB_BYTE_INTS = frozenset({DType.INT4, DType.UINT4, DType.INT2, DType.UINT2})


def _l2_normalization(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    x = _f64(args[0])
    norm = np.sqrt(np.sum(x * x, axis=-1, keepdims=True))
    return [x / np.maximum(norm, 1e-6)]


def _log_softmax(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    z = _f64(args[0]) * node.params.beta
    z = z - np.max(z, axis=node.params.axis, keepdims=True)
    return [z - np.log(np.sum(np.exp(z), axis=node.params.axis, keepdims=True))]


# --- element-wise math (format 7) -----------------------------------------------------------
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _math(fn: Callable[[np.ndarray], np.ndarray]):
    """A params-free math op; IEEE results (NaN, inf) outside a function's domain, silently."""
    def run(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            return [fn(_f64(args[0]))]
    return run


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _elu(x: np.ndarray, p) -> np.ndarray:
    gamma = getattr(p, "gamma", 1.0)  # SELU scales ELU by gamma
    return gamma * np.where(x > 0, x, p.alpha * np.expm1(np.minimum(x, 0.0)))


def _gelu(x: np.ndarray, p) -> np.ndarray:
    if p.approximate:
        phi = 1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))
    else:
        phi = 1.0 + _erf(x / math.sqrt(2.0))
    with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, as the C loops give
        return 0.5 * x * phi


def _pow(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    """In double, as ONNX Runtime's std::pow; an integer base's power truncated toward zero,
    the type's minimum where it does not fit or is not a number (csrc/kernels/pow.c)."""
    with np.errstate(all="ignore"):
        y = np.power(_f64(args[0]), _f64(args[1]))
    base = np.asarray(args[0]).dtype
    if not np.issubdtype(base, np.integer):
        return [y]
    info = np.iinfo(base)
    fits = (y >= float(info.min)) & (y < -float(info.min))
    return [np.where(fits, np.trunc(np.where(fits, y, 0.0)).astype(base), base.type(info.min))]


def _signed(fn: Callable[[np.ndarray], np.ndarray]):
    """ABS, NEG, SIGN: float32 in float64; int32/int64 in their own type (-INT_MIN and
    |INT_MIN| wrap to INT_MIN, as numpy and the kernels give them)."""
    def run(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
        x = np.asarray(args[0])
        if np.issubdtype(x.dtype, np.integer):
            with np.errstate(over="ignore"):
                return [fn(x)]
        return [fn(_f64(x))]
    return run


# --- comparisons, logic, selection (format 7) -------------------------------------------------
_COMPARE = {OpType.EQUAL: np.equal, OpType.NOT_EQUAL: np.not_equal, OpType.LESS: np.less,
            OpType.LESS_EQUAL: np.less_equal, OpType.GREATER: np.greater,
            OpType.GREATER_EQUAL: np.greater_equal, OpType.LOGICAL_AND: np.logical_and,
            OpType.LOGICAL_OR: np.logical_or, OpType.LOGICAL_XOR: np.logical_xor}


def _compare(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    """In the inputs' own type (int64 beyond 2^53 must not pass through float64)."""
    return [_COMPARE[node.op](np.asarray(args[0]), np.asarray(args[1]))]


def _logical_not(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    return [np.logical_not(args[0])]


def _where(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    return [np.where(np.asarray(args[0], bool), args[1], args[2])]


def _top_k(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    # A stable ascending sort keeps tied values in index order and puts NaN last; the largest
    # first is the stable sort of the reversed run, read backwards (ties still in index order).
    p, x = node.params, np.moveaxis(np.asarray(args[0]), node.params.axis, -1)
    k = graph.tensors[node.outputs[0]].shape[p.axis]
    n = x.shape[-1]
    if p.largest:
        order = n - 1 - np.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1]
    else:
        order = np.argsort(x, axis=-1, kind="stable")
    order = order[..., :k]
    values = np.take_along_axis(x, order, axis=-1)
    index_type = graph.tensors[node.outputs[1]].dtype.numpy
    return [np.moveaxis(values, -1, p.axis), np.moveaxis(order, -1, p.axis).astype(index_type)]


def _running(scan: Callable[..., np.ndarray], first: Callable[..., np.ndarray]
             ) -> Callable[[Node, list, Graph], list[np.ndarray]]:
    """CUM_SUM (np.cumsum, after a 0) or CUM_PROD (np.cumprod, after a 1): computed in the
    input's type in order along the axis (float32 as the kernel does it; integers wrap); the
    exclusive results are the inclusive ones shifted by one, after `first`."""
    def run(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
        p, x = node.params, np.asarray(args[0])
        if len(args) > 1 and args[1] is not None:  # a run-time axis
            p = dataclasses.replace(p, axis=int(np.asarray(args[1]).reshape(-1)[0]) % x.ndim)
        if p.reverse:
            x = np.flip(x, p.axis)
        with np.errstate(over="ignore"):
            y = scan(x, axis=p.axis, dtype=x.dtype)
        if p.exclusive:
            head = first(np.take(x, [0], p.axis))
            y = np.concatenate([head, np.take(y, range(x.shape[p.axis] - 1), p.axis)], p.axis)
        return [np.flip(y, p.axis) if p.reverse else y]
    return run


_cum_sum = _running(np.cumsum, np.zeros_like)
_cum_prod = _running(np.cumprod, np.ones_like)


def _grid_sample(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    return [grid_sample_reference(np.asarray(args[0], np.float32),
                                  np.asarray(args[1], np.float32), node.params)]


def _one_hot(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    p, indices, values = node.params, np.asarray(args[0]).astype(np.int64), np.asarray(args[1])
    depth = graph.tensors[node.outputs[0]].shape[p.axis]
    if p.negative_from_end:
        indices = np.where(indices < 0, indices + depth, indices)
    positions = np.arange(depth).reshape((depth,) + (1,) * (indices.ndim - p.axis))
    hot = np.expand_dims(indices, p.axis) == positions
    off, on = values.reshape(-1)
    return [np.where(hot, on, off).astype(values.dtype)]


def _mod(node: Node, args: list, graph: Graph) -> list[np.ndarray]:
    a, b = np.asarray(args[0]), np.asarray(args[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.fmod(a, b) if node.params.fmod else np.mod(a, b)
    if np.issubdtype(a.dtype, np.integer):
        y = np.where(b == 0, 0, y)  # numpy gives 0 already; the kernel's rule stated here
    return [y.astype(a.dtype)]


REFERENCE_OPS: dict[OpType, Callable[[Node, list, Graph], list[np.ndarray]]] = {
    OpType.CONV2D: _conv2d,
    OpType.DEPTHWISE_CONV2D: _depthwise_conv2d,
    OpType.TRANSPOSE_CONV2D: _transpose_conv2d,
    OpType.FULLY_CONNECTED: _fully_connected,
    OpType.BATCH_MATMUL: _batch_matmul,
    OpType.ADD: _binary,
    OpType.SUB: _binary,
    OpType.MUL: _binary,
    OpType.DIV: _binary,
    OpType.RELU: _unary(lambda x, _: np.maximum(x, 0.0)),
    OpType.RELU6: _unary(lambda x, _: np.clip(x, 0.0, 6.0)),
    OpType.CLAMP: _unary(_clamp),
    OpType.LEAKY_RELU: _unary(lambda x, p: np.where(x >= 0, x, p.alpha * x)),
    OpType.SIGMOID: _unary(_sigmoid),
    OpType.TANH: _unary(lambda x, _: np.tanh(x)),
    OpType.LOOKUP_TABLE: _lookup_table,
    OpType.HARD_SIGMOID: _unary(lambda x, p: np.clip(p.alpha * x + p.beta, 0.0, 1.0)),
    OpType.HARD_SWISH: _unary(_hard_swish),
    OpType.MAX_POOL2D: _pool2d,
    OpType.AVERAGE_POOL2D: _pool2d,
    OpType.MEAN: _mean,
    OpType.RESHAPE: _reshape,
    OpType.TRANSPOSE: _transpose,
    OpType.CONCATENATION: _concatenation,
    OpType.SPLIT: _split,
    OpType.SLICE: _slice,
    OpType.PAD: _pad,
    OpType.SOFTMAX: _softmax,
    OpType.GATHER: _gather,
    OpType.RESIZE: _resize,
    OpType.QUANTIZE: _quantize,
    OpType.DEQUANTIZE: _dequantize,
    OpType.MAXIMUM: _maximum_minimum,
    OpType.MINIMUM: _maximum_minimum,
    OpType.PRELU: _prelu,
    OpType.SUM: _sum,
    OpType.ARG_MAX: _arg,
    OpType.ARG_MIN: _arg,
    OpType.CAST: _cast,
    OpType.L2_NORMALIZATION: _l2_normalization,
    OpType.LOG_SOFTMAX: _log_softmax,
    OpType.ABS: _signed(np.abs),
    OpType.NEG: _signed(np.negative),
    OpType.SQRT: _math(np.sqrt),
    OpType.RSQRT: _math(lambda x: 1.0 / np.sqrt(x)),
    OpType.EXP: _math(np.exp),
    OpType.LOG: _math(np.log),
    OpType.FLOOR: _math(np.floor),
    OpType.CEIL: _math(np.ceil),
    OpType.ROUND: _math(np.round),  # halves to even
    OpType.SIGN: _signed(np.sign),
    OpType.SIN: _math(np.sin),
    OpType.COS: _math(np.cos),
    OpType.ACOS: _math(np.arccos),
    OpType.ASIN: _math(np.arcsin),
    OpType.ATAN: _math(np.arctan),
    OpType.RECIPROCAL: _math(lambda x: 1.0 / x),
    OpType.ERF: _math(_erf),
    OpType.SOFTPLUS: _math(_softplus),
    OpType.MISH: _math(lambda x: x * np.tanh(_softplus(x))),
    OpType.SQUARE: _math(np.square),
    OpType.ELU: _unary(_elu),
    OpType.SELU: _unary(_elu),
    OpType.GELU: _unary(_gelu),
    OpType.POW: _pow,
    OpType.EQUAL: _compare,
    OpType.NOT_EQUAL: _compare,
    OpType.LESS: _compare,
    OpType.LESS_EQUAL: _compare,
    OpType.GREATER: _compare,
    OpType.GREATER_EQUAL: _compare,
    OpType.LOGICAL_AND: _compare,
    OpType.LOGICAL_OR: _compare,
    OpType.LOGICAL_XOR: _compare,
    OpType.LOGICAL_NOT: _logical_not,
    OpType.WHERE: _where,
    OpType.REDUCE_MAX: _reduce_fold,
    OpType.REDUCE_MIN: _reduce_fold,
    OpType.REDUCE_PROD: _reduce_fold,
    OpType.GATHER_ELEMENTS: _gather_elements,
    OpType.GATHER_ND: _gather_nd,
    OpType.SCATTER_ND: _scatter_nd,
    OpType.SCATTER_ELEMENTS: _scatter_elements,
    OpType.TOP_K: _top_k,
    OpType.CUM_SUM: _cum_sum,
    OpType.CUM_PROD: _cum_prod,
    OpType.GRID_SAMPLE: _grid_sample,
    OpType.ONE_HOT: _one_hot,
    OpType.MOD: _mod,
    OpType.BITWISE_AND: bitwise_reference,
    OpType.BITWISE_OR: bitwise_reference,
    OpType.BITWISE_XOR: bitwise_reference,
    OpType.BITWISE_NOT: bitwise_reference,
    OpType.BIT_SHIFT: bitwise_reference,
    OpType.QUANTIZE_LINEAR: quantize_linear_reference,
    OpType.DEQUANTIZE_LINEAR: quantize_linear_reference,
}
