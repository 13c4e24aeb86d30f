"""fuse_activations: RELU, RELU6 or an equivalent CLAMP that is the sole reader of an op with a
fused-activation field (left at NONE) becomes that field, and the activation node goes.
An int8 activation is fused only where its output is quantized as its input: otherwise it
requantizes, and folding that into the producer's requantization would round differently."""
from __future__ import annotations

import dataclasses
import math

from ..ir import Graph, Node
from ..ops import FusedActivation, OpType
from .rewrite import only_consumer

FUSIBLE = {OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.TRANSPOSE_CONV2D,
           OpType.FULLY_CONNECTED, OpType.ADD, OpType.SUB, OpType.MUL, OpType.DIV,
           OpType.CONCATENATION, OpType.MAX_POOL2D, OpType.AVERAGE_POOL2D}

CLAMP_RANGES = {(0.0, 6.0): FusedActivation.RELU6, (-1.0, 1.0): FusedActivation.RELU_N1_TO_1,
                (0.0, math.inf): FusedActivation.RELU}


def activation_of(node: Node) -> FusedActivation | None:
    if node.op == OpType.RELU:
        return FusedActivation.RELU
    if node.op == OpType.RELU6:
        return FusedActivation.RELU6
    if node.op == OpType.CLAMP:
        return CLAMP_RANGES.get((float(node.params.min), float(node.params.max)))
    return None


def fuse_activations(graph: Graph) -> Graph:
    g = graph.copy()
    producers = g.producers()
    for act in list(g.nodes):
        fused = activation_of(act)
        src = producers.get(act.inputs[0])
        if (fused is None or src is None or src.op not in FUSIBLE
                or src.params.activation != FusedActivation.NONE
                or not only_consumer(g, act.inputs[0], act)
                or g.tensors[act.inputs[0]].quant != g.tensors[act.outputs[0]].quant):
            continue
        src.params = dataclasses.replace(src.params, activation=fused)
        del g.tensors[src.outputs[0]]
        src.outputs[0] = act.outputs[0]
        producers[act.outputs[0]] = src
        g.nodes.remove(act)
    return g
