"""Full-int8 rewrite: a float graph (after the passes) plus calibrated activation ranges becomes
a graph whose every float tensor is int8, as the int8 kernels expect (csrc/kernels/quant.h):

- weights of CONV2D / DEPTHWISE_CONV2D / FULLY_CONNECTED: int8, symmetric per output channel
  (axis 0, depthwise: the last axis), scale max|w| / 127, zero point 0;
- their bias: int32, scale input_scale x weight_scale of the channel, zero point 0;
- activations (graph inputs and outputs included): int8 asymmetric per tensor from the range.

Ops that only move or select values (pools, reshape, transpose, slice, split, pad, gather) and
CONCATENATION need the same params on input and output, so those tensors are grouped and each
group is quantized from one range covering every member. With io="int8" the graph inputs and
outputs stay int8 (users read their params from the tensor details); with io="float" they stay
float32 and a QUANTIZE after each input and a DEQUANTIZE before each output convert them.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import QuantizationError
from ..ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from ..ops import OpType
from .ranges import asymmetric_int8_params

INT8_OPS = frozenset({
    OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.FULLY_CONNECTED, OpType.ADD,
    OpType.MAX_POOL2D, OpType.AVERAGE_POOL2D, OpType.RESHAPE, OpType.TRANSPOSE,
    OpType.CONCATENATION, OpType.SLICE, OpType.SPLIT, OpType.GATHER, OpType.PAD,
})
# Ops whose int8 kernels require their value input (input 0) and every output to share params.
SAME_PARAMS_OPS = frozenset({
    OpType.MAX_POOL2D, OpType.AVERAGE_POOL2D, OpType.RESHAPE, OpType.TRANSPOSE, OpType.SLICE,
    OpType.SPLIT, OpType.GATHER, OpType.PAD,
})
# Weight input (index 1) of each weighted op -> the axis of its output channels.
WEIGHT_AXIS = {OpType.CONV2D: 0, OpType.DEPTHWISE_CONV2D: 3, OpType.FULLY_CONNECTED: 0}
# The scale given to an all-zero weight channel: any positive scale quantizes it to zeros.
ZERO_CHANNEL_SCALE = 1e-8
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def quantize_int8(graph: Graph, ranges: dict[str, tuple[float, float]],
                  method: str, io: str = "int8") -> Graph:
    """A full-int8 copy of `graph`; `ranges` holds the calibrated (lo, hi) of every float
    activation tensor (calibrate()), `method` the calibration method (kept as metadata), `io`
    the type of the graph inputs and outputs: "int8" or "float"."""
    if io not in ("int8", "float"):
        raise QuantizationError(f"quantize io must be 'int8' or 'float', got {io!r}")
    check_int8_ops(graph)
    g = graph.copy()
    activation = _activation_params(g, ranges)
    for name, params in activation.items():
        t = g.tensors[name]
        data = None if t.data is None else constant_array(_quantize(t.data, params))
        g.tensors[name] = dataclasses.replace(t, dtype=DType.INT8, data=data, quant=params)
    done: dict[tuple, str] = {}
    for node in g.nodes:
        if node.op in WEIGHT_AXIS:
            _quantize_weights(g, graph, node.inputs, WEIGHT_AXIS[node.op], done)
    if io == "float":
        _float_io(g)
    g.metadata["quantization"] = "int8"
    g.metadata["quantization.method"] = method
    return g


def _float_io(g: Graph) -> None:
    """Keeps the user's names on float32 graph inputs and outputs; the int8 tensors behind
    them get fresh names, fed by QUANTIZE or read by DEQUANTIZE."""
    both = set(g.inputs) & set(g.outputs)
    if both:
        raise QuantizationError(f"io='float' needs graph inputs and outputs to differ, but "
                                f"{sorted(both)} are both")
    head, tail = [], []
    for name in g.inputs:
        inner = _rename_int8(g, name)
        head.append(Node(OpType.QUANTIZE, g.unique_name(f"{name}/quantize"), [name], [inner]))
    for name in g.outputs:
        inner = _rename_int8(g, name)
        tail.append(Node(OpType.DEQUANTIZE, g.unique_name(f"{name}/dequantize"), [inner], [name]))
    g.nodes[:0] = head
    g.nodes.extend(tail)


def _rename_int8(g: Graph, name: str) -> str:
    """Moves int8 tensor `name` (and every node's use of it) to a fresh name and puts a float32
    tensor of the same shape under `name`; returns the fresh name."""
    t = g.tensors[name]
    inner = g.unique_name(f"{name}/int8")
    g.tensors[inner] = dataclasses.replace(t, name=inner)
    g.tensors[name] = Tensor(name, DType.FLOAT32, t.shape)
    for node in g.nodes:
        node.inputs = [inner if n == name else n for n in node.inputs]
        node.outputs = [inner if n == name else n for n in node.outputs]
    return inner


def check_int8_ops(graph: Graph) -> None:
    """One QuantizationError listing every node whose op has no int8 kernel."""
    unsupported = [(n.name, n.op.name) for n in graph.nodes if n.op not in INT8_OPS]
    if unsupported:
        listing = "\n".join(f"  {name or '<unnamed>'} ({op})" for name, op in unsupported)
        raise QuantizationError(
            f"{len(unsupported)} node(s) have no int8 kernel:\n{listing}\n"
            "keeping them in float between QUANTIZE/DEQUANTIZE ops is not supported yet")


def _activation_params(g: Graph, ranges: dict[str, tuple[float, float]]
                       ) -> dict[str, QuantParams]:
    """Params of every float tensor that is not a weight or bias, shared within groups."""
    weights = {name for node in g.nodes if node.op in WEIGHT_AXIS for name in node.inputs[1:]}
    floats = [name for name in g.tensor_order()
              if g.tensors[name].dtype == DType.FLOAT32 and name not in weights]
    missing = [n for n in floats if not g.tensors[n].is_constant and n not in ranges]
    if missing:
        raise QuantizationError(f"no calibrated range for tensor(s) {missing}")
    parent = {name: name for name in floats}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    def join(names: list[str]) -> None:
        members = [root(n) for n in names if n in parent]
        for other in members[1:]:
            parent[other] = members[0]

    for node in g.nodes:
        if node.op in SAME_PARAMS_OPS:
            join(node.inputs[:1] + node.outputs)
        elif node.op == OpType.CONCATENATION:
            join(node.inputs + node.outputs)
    bounds: dict[str, tuple[float, float]] = {}
    for name in floats:
        t = g.tensors[name]
        lo, hi = ranges[name] if not t.is_constant else (float(np.min(t.data, initial=0.0)),
                                                         float(np.max(t.data, initial=0.0)))
        r = root(name)
        old_lo, old_hi = bounds.get(r, (0.0, 0.0))
        bounds[r] = (min(old_lo, lo), max(old_hi, hi))
    params = {}
    for name in floats:
        scale, zero_point = asymmetric_int8_params(*bounds[root(name)])
        params[name] = QuantParams((scale,), (zero_point,))
    return params


def _quantize(x: np.ndarray, q: QuantParams) -> np.ndarray:
    """Per-tensor asymmetric int8 (numpy rounds half to even)."""
    v = np.round(np.asarray(x, np.float32) / np.float32(q.scale[0])) + q.zero_point[0]
    return np.clip(v, -128, 127).astype(np.int8)


def _quantize_weights(g: Graph, source: Graph, inputs: list[str], axis: int,
                      done: dict[tuple, str]) -> None:
    """Weights (inputs[1]) per channel along `axis`, then the bias (inputs[2]) from them.

    `source` holds the float values; `done` maps (constant, form) to the quantized tensor, so
    a constant shared by ops that need it in different forms (another axis, a bias under
    another input scale) gets one tensor per form."""
    w = source.tensors[inputs[1]]
    if not w.is_constant or w.dtype != DType.FLOAT32:
        raise QuantizationError(f"weights {inputs[1]!r} must be float constants to quantize")
    data = np.asarray(w.data, np.float32)
    moved = np.moveaxis(data, axis, 0).reshape(data.shape[axis], -1)
    amax = np.max(np.abs(moved), axis=1, initial=0.0)
    w_scale = np.where(amax > 0, amax / np.float32(127), ZERO_CHANNEL_SCALE).astype(np.float32)
    shape = [1] * data.ndim
    shape[axis] = -1
    q = np.clip(np.round(data / w_scale.reshape(shape)), -127, 127).astype(np.int8)
    inputs[1] = _store(g, inputs[1], ("weights", axis), q, DType.INT8,
                       QuantParams(tuple(float(s) for s in w_scale), (0,) * len(w_scale), axis),
                       done)
    if len(inputs) < 3 or not inputs[2]:
        return
    b = source.tensors[inputs[2]]
    if not b.is_constant or b.dtype != DType.FLOAT32:
        raise QuantizationError(f"bias {inputs[2]!r} must be a float constant to quantize")
    # float32 products, as the kernels' check (and LiteRT) compute the expected bias scale
    scale = (np.float32(g.tensors[inputs[0]].quant.scale[0]) * w_scale).astype(np.float32)
    v = np.round(np.asarray(b.data, np.float64) / scale.astype(np.float64))
    q = np.clip(v, INT32_MIN, INT32_MAX).astype(np.int32)
    scales = tuple(float(s) for s in scale)
    inputs[2] = _store(g, inputs[2], ("bias", scales), q, DType.INT32,
                       QuantParams(scales, (0,) * len(scales), 0), done)


def _store(g: Graph, name: str, how: tuple, data: np.ndarray, dtype: DType,
           quant: QuantParams, done: dict[tuple, str]) -> str:
    """The name of constant `name` quantized `how`: in place for its first form, a fresh
    tensor for each other form."""
    key = (name, how)
    if key not in done:
        first = not any(n == name for n, _ in done)
        stored = name if first else g.unique_name(name)
        g.tensors[stored] = Tensor(stored, dtype, tuple(data.shape), constant_array(data), quant)
        done[key] = stored
    return done[key]
