"""fold_batchnorm: per-channel MUL/ADD (and SUB/DIV) after conv/depthwise/FC fold into the
filter and bias."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.passes.fold_batchnorm import fold_batchnorm
from tests.converter.ir_builder import GraphBuilder, assert_equivalent, ops

rng = np.random.default_rng(4)


def r(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def producer(b: GraphBuilder, kind: OpType, bias: bool) -> tuple[str, int]:
    x = b.input("x", (2, 6, 5, 4))
    if kind == OpType.CONV2D:
        inputs, params, c = [x, b.const("w", r(6, 3, 3, 2))], Conv2DParams(groups=2), 6
    elif kind == OpType.DEPTHWISE_CONV2D:
        inputs, params, c = [x, b.const("w", r(1, 3, 3, 8))], DepthwiseConv2DParams(
            depth_multiplier=2, pad_top=1, pad_bottom=1), 8
    else:
        inputs, params, c = [x, b.const("w", r(7, 4))], None, 7
    if bias:
        inputs.append(b.const("b", r(c)))
    return b.node(kind, inputs, params), c


@pytest.mark.parametrize("kind", [OpType.CONV2D, OpType.DEPTHWISE_CONV2D,
                                  OpType.FULLY_CONNECTED], ids=lambda k: k.name)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("chain", [
    [(OpType.MUL, "c"), (OpType.ADD, "1111c")],
    [(OpType.DIV, "1c"), (OpType.SUB, "scalar")],
    [(OpType.ADD, "c_left")],
    [(OpType.MUL, "scalar")],
])
def test_folds(kind, bias, chain):
    b = GraphBuilder()
    y, c = producer(b, kind, bias)
    rank = len(b.graph.tensors[y].shape)
    for op, form in chain:
        value = {"c": r(c), "1c": np.abs(r(1, c)) + 0.5, "c_left": r(c), "scalar": np.float32(1.7),
                 "1111c": r(*((1,) * (rank - 1)), c)}[form]
        k = b.const(b.graph.unique_name("k"), value)
        y = b.node(op, [k, y] if form == "c_left" else [y, k])
    b.output(y)
    before = b.build()
    after = fold_batchnorm(before)
    assert ops(after) == [kind]
    node = after.nodes[0]
    assert node.outputs == [y] and len(node.inputs) == 3
    assert after.tensors[node.inputs[2]].shape == (c,)
    assert_equivalent(before, after, tol=1e-5)


def test_moves_fused_activation_and_skips_non_foldable():
    b = GraphBuilder()
    x = b.input("x", (1, 4, 4, 3))
    w = b.const("w", r(5, 1, 1, 3))
    ok = b.node(OpType.ADD, [b.node(OpType.CONV2D, [x, w]), b.const("k", r(5))],
                BinaryParams(FusedActivation.RELU))
    spatial = b.node(OpType.MUL, [b.node(OpType.CONV2D, [x, w]), b.const("s", r(1, 4, 1, 1))])
    shared = b.node(OpType.CONV2D, [x, w])
    used_twice = b.node(OpType.MUL, [shared, b.const("t", r(5))])
    fused = b.node(OpType.CONV2D, [x, w], Conv2DParams(activation=FusedActivation.RELU))
    after_act = b.node(OpType.MUL, [fused, b.const("u", r(5))])
    var_filter = b.node(OpType.ADD, [b.node(OpType.CONV2D, [x, b.input("wv", (5, 1, 1, 3))]),
                                     b.const("v", r(5))])
    b.output(ok, spatial, used_twice, shared, after_act, var_filter)
    before = b.build()
    after = fold_batchnorm(before)
    assert ops(after).count(OpType.ADD) + ops(after).count(OpType.MUL) == 4
    assert after.nodes[0].op == OpType.CONV2D
    assert after.nodes[0].params.activation == FusedActivation.RELU
    assert_equivalent(before, after)
