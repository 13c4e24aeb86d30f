"""fuse_activations: RELU/RELU6/CLAMP after a fusible op become its fused activation."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.ir import QuantParams
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.passes.fuse_activations import fuse_activations
from tests.converter.ir_builder import GraphBuilder, assert_equivalent, ops

rng = np.random.default_rng(3)
ACTIVATIONS = [(OpType.RELU, None, FusedActivation.RELU),
               (OpType.RELU6, None, FusedActivation.RELU6),
               (OpType.CLAMP, ClampParams(0.0, 6.0), FusedActivation.RELU6),
               (OpType.CLAMP, ClampParams(-1.0, 1.0), FusedActivation.RELU_N1_TO_1),
               (OpType.CLAMP, ClampParams(0.0, float("inf")), FusedActivation.RELU)]


def producer(b: GraphBuilder, kind: OpType, x: str) -> str:
    if kind in (OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.TRANSPOSE_CONV2D):
        shape = (1, 3, 3, 3) if kind == OpType.DEPTHWISE_CONV2D else (3, 3, 3, 3)
        return b.node(kind, [x, b.const("w", rng.standard_normal(shape).astype(np.float32))])
    if kind == OpType.FULLY_CONNECTED:
        return b.node(kind, [x, b.const("w", rng.standard_normal((4, 3)).astype(np.float32))])
    if kind in (OpType.MAX_POOL2D, OpType.AVERAGE_POOL2D):
        return b.node(kind, [x], Pool2DParams(2, 2))
    if kind == OpType.CONCATENATION:
        return b.node(kind, [x, x], ConcatenationParams(3))
    return b.node(kind, [x, b.const("c", rng.standard_normal(3).astype(np.float32) * 3)])


PRODUCERS = [OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.TRANSPOSE_CONV2D,
             OpType.FULLY_CONNECTED, OpType.ADD, OpType.SUB, OpType.MUL, OpType.DIV,
             OpType.CONCATENATION, OpType.MAX_POOL2D, OpType.AVERAGE_POOL2D]


@pytest.mark.parametrize("kind", PRODUCERS, ids=lambda k: k.name)
@pytest.mark.parametrize("act,params,fused", ACTIVATIONS, ids=lambda a: str(a))
def test_fuses(kind, act, params, fused):
    b = GraphBuilder()
    x = b.input("x", (1, 5, 4, 3))
    y = b.node(act, [producer(b, kind, x)], params)
    b.output(y)
    before = b.build()
    after = fuse_activations(before)
    assert ops(after) == [kind]
    assert after.nodes[0].params.activation == fused and after.nodes[0].outputs == [y]
    assert_equivalent(before, after)


def test_does_not_fuse_shared_other_clamps_or_already_fused():
    b = GraphBuilder()
    x = b.input("x", (1, 5, 4, 3))
    w = b.const("w", rng.standard_normal((3, 1, 1, 3)).astype(np.float32))
    shared = b.node(OpType.CONV2D, [x, w])
    b.output(b.node(OpType.RELU, [shared]), shared)
    odd = b.node(OpType.CLAMP, [b.node(OpType.CONV2D, [x, w])], ClampParams(0.0, 5.0))
    fused = b.node(OpType.CONV2D, [x, w], Conv2DParams(activation=FusedActivation.RELU6))
    b.output(odd, b.node(OpType.RELU, [fused]))
    before = b.build()
    after = fuse_activations(before)
    assert ops(after) == ops(before)
    assert_equivalent(before, after)


@pytest.mark.parametrize("same_quant", [True, False])
def test_int8_fuses_only_an_activation_that_keeps_the_quantization(same_quant: bool):
    # An int8 RELU that requantizes rounds twice; fused into the producer it would round once.
    b = GraphBuilder()
    x = b.input("x", (1, 5, 4, 3))
    w = b.const("w", rng.standard_normal((3, 1, 1, 3)).astype(np.float32))
    conv = b.node(OpType.CONV2D, [x, w])
    y = b.node(OpType.RELU, [conv])
    b.output(y)
    graph = b.build()
    graph.tensors[conv].quant = QuantParams((0.05,), (-3,))
    graph.tensors[y].quant = QuantParams((0.05,), (-3,)) if same_quant else \
        QuantParams((0.03,), (-128,))
    after = fuse_activations(graph)
    assert ops(after) == ([OpType.CONV2D] if same_quant else [OpType.CONV2D, OpType.RELU])
