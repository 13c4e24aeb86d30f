"""fold_batchnorm: a MUL/DIV by, or ADD/SUB of, a per-output-channel constant that is the sole
reader of a CONV2D, DEPTHWISE_CONV2D or FULLY_CONNECTED output is folded into the filter and
bias (a bias is created when absent). This is how BatchNormalization (imported as MUL then
ADD) disappears once to_nhwc has moved the channel to the last axis.

Per channel means: broadcasting against the [..., C] output only along the last axis, i.e.
shape [], [1], [C], [1,1,1,C] and the like. A fused activation on the folded node moves to
the producer.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..ir import DType, Graph, Node, Tensor, constant_array
from ..ops import FusedActivation, OpType
from .rewrite import only_consumer

PRODUCERS = {OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.FULLY_CONNECTED}
FOLDABLE = {OpType.ADD, OpType.SUB, OpType.MUL, OpType.DIV}


def per_channel(graph: Graph, node: Node, channels: int, rank: int) -> np.ndarray | None:
    """The [C] float64 vector a MUL/ADD/SUB/DIV applies with its constant operand, or None."""
    tensor = graph.tensors[node.inputs[1]]
    if not tensor.is_constant or tensor.dtype != DType.FLOAT32 or tensor.quant is not None:
        return None
    shape = tensor.data.shape
    if len(shape) > rank or any(d != 1 for d in shape[:-1]) or (
            shape and shape[-1] not in (1, channels)):
        return None
    return np.broadcast_to(tensor.data.astype(np.float64).reshape(-1), (channels,))


def _constant(graph: Graph, base: str, value: np.ndarray) -> str:
    name = graph.unique_name(base)
    arr = constant_array(value, np.float32)
    graph.tensors[name] = Tensor(name, DType.FLOAT32, arr.shape, arr)
    return name


def _fold(graph: Graph, conv: Node, op: Node, vec: np.ndarray) -> None:
    filt = graph.tensors[conv.inputs[1]].data.astype(np.float64)
    cout = vec.shape[0]
    has_bias = len(conv.inputs) > 2 and bool(conv.inputs[2])
    bias = graph.tensors[conv.inputs[2]].data.astype(np.float64) if has_bias else np.zeros(cout)
    if op.op in (OpType.MUL, OpType.DIV):
        scale = vec if op.op == OpType.MUL else 1.0 / vec
        # The output channel is axis 0 of OHWI and [N, K] filters, the last of depthwise ones.
        axis_shape = (1, 1, 1, cout) if conv.op == OpType.DEPTHWISE_CONV2D else (
            (cout,) + (1,) * (filt.ndim - 1))
        filt = filt * scale.reshape(axis_shape)
        conv.inputs[1] = _constant(graph, f"{conv.name}_filter", filt)
        bias = bias * scale
    else:
        bias = bias + vec if op.op == OpType.ADD else bias - vec
    conv.inputs = conv.inputs[:2] + [_constant(graph, f"{conv.name}_bias", bias)]
    conv.params = dataclasses.replace(conv.params, activation=op.params.activation)
    del graph.tensors[conv.outputs[0]]
    conv.outputs[0] = op.outputs[0]
    graph.nodes.remove(op)


def _candidate(graph: Graph, op: Node, producers: dict[str, Node]) -> Node | None:
    if op.op not in FOLDABLE:
        return None
    # MUL and ADD commute; put a constant operand second.
    if op.op in (OpType.MUL, OpType.ADD) and graph.tensors[op.inputs[0]].is_constant:
        op.inputs = [op.inputs[1], op.inputs[0]]
    conv = producers.get(op.inputs[0])
    if conv is None or conv.op not in PRODUCERS or not only_consumer(graph, op.inputs[0], op):
        return None
    if conv.params.activation != FusedActivation.NONE:
        return None
    filt = graph.tensors[conv.inputs[1]]
    has_bias = len(conv.inputs) > 2 and bool(conv.inputs[2])
    if not filt.is_constant or filt.dtype != DType.FLOAT32 or filt.quant is not None or (
            has_bias and not graph.tensors[conv.inputs[2]].is_constant):
        return None
    out_shape = graph.tensors[conv.outputs[0]].shape
    if tuple(graph.tensors[op.outputs[0]].shape) != tuple(out_shape):
        return None
    return conv


def fold_batchnorm(graph: Graph) -> Graph:
    g = graph.copy()
    changed = True
    while changed:
        changed = False
        producers = g.producers()
        for op in list(g.nodes):
            conv = _candidate(g, op, producers)
            if conv is None:
                continue
            out_shape = g.tensors[conv.outputs[0]].shape
            vec = per_channel(g, op, out_shape[-1], len(out_shape))
            if vec is None or (op.op == OpType.DIV and not np.all(vec != 0)):
                continue
            _fold(g, conv, op, vec)
            changed = True
            break
    return g
