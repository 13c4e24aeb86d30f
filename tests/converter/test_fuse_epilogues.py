"""fuse_epilogues: a residual ADD, SiLU spelt SIGMOID + MUL, and HARD_SWISH become part of the
float32 convolution (or FC) that produces their input, only where nothing else reads what
disappears; the numpy reference computes the same outputs before and after."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.ir import DType, QuantParams
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.passes.fuse_epilogues import fuse_epilogues
from tests.converter.ir_builder import GraphBuilder, assert_equivalent, ops, snapshot

rng = np.random.default_rng(11)
X = (1, 6, 5, 4)


def weights(b: GraphBuilder, kind: OpType, cout: int = 4) -> list[str]:
    shape = {OpType.CONV2D: (cout, 3, 3, 4), OpType.DEPTHWISE_CONV2D: (1, 3, 3, 4),
             OpType.FULLY_CONNECTED: (cout, 4)}[kind]
    w = b.const(b.graph.unique_name("w"), rng.standard_normal(shape).astype(np.float32))
    units = 4 if kind == OpType.DEPTHWISE_CONV2D else shape[0]
    c = b.const(b.graph.unique_name("b"), rng.standard_normal(units).astype(np.float32))
    return [w, c]


def producer(b: GraphBuilder, kind: OpType, x: str, params: object = None) -> str:
    if kind == OpType.CONV2D and params is None:
        params = Conv2DParams(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1)
    return b.node(kind, [x, *weights(b, kind)], params)


def silu(b: GraphBuilder, x: str, swap: bool = False) -> str:
    s = b.node(OpType.SIGMOID, [x])
    return b.node(OpType.MUL, [s, x] if swap else [x, s])


KINDS = [OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.FULLY_CONNECTED]


@pytest.mark.parametrize("swap", [False, True], ids=["x_times_s", "s_times_x"])
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_silu_fuses(kind: OpType, swap: bool) -> None:
    b = GraphBuilder()
    y = silu(b, producer(b, kind, b.input("x", X)), swap)
    b.output(y)
    before = b.build()
    after = fuse_epilogues(before)
    assert ops(after) == [kind]
    assert after.nodes[0].params.activation == FusedActivation.SILU
    assert after.nodes[0].outputs == [y] and len(after.tensors) == len(before.tensors) - 2
    assert_equivalent(before, after)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_hard_swish_fuses(kind: OpType) -> None:
    b = GraphBuilder()
    y = b.node(OpType.HARD_SWISH, [producer(b, kind, b.input("x", X))])
    b.output(y)
    before = b.build()
    after = fuse_epilogues(before)
    assert ops(after) == [kind]
    assert after.nodes[0].params.activation == FusedActivation.HARD_SWISH
    assert_equivalent(before, after)


@pytest.mark.parametrize("act", [FusedActivation.NONE, FusedActivation.RELU,
                                 FusedActivation.RELU6, FusedActivation.RELU_N1_TO_1],
                         ids=lambda a: a.name)
@pytest.mark.parametrize("conv_first", [True, False], ids=["conv_r", "r_conv"])
def test_residual_fuses(conv_first: bool, act: FusedActivation) -> None:
    b = GraphBuilder()
    x = b.input("x", X)
    r = b.input("r", X)
    c = producer(b, OpType.CONV2D, x)
    y = b.node(OpType.ADD, [c, r] if conv_first else [r, c], BinaryParams(act))
    b.output(y)
    before = b.build()
    after = fuse_epilogues(before)
    assert ops(after) == [OpType.CONV2D]
    conv = after.nodes[0]
    assert conv.inputs[3] == r and conv.outputs == [y] and conv.params.activation == act
    assert_equivalent(before, after)


def test_residual_then_silu_and_no_bias() -> None:
    """The residual goes first, so a SiLU after the ADD fuses as well; a conv without bias gets
    an omitted input 2."""
    b = GraphBuilder()
    x = b.input("x", X)
    w = b.const("w", rng.standard_normal((4, 1, 1, 4)).astype(np.float32))
    c = b.node(OpType.CONV2D, [x, w])
    y = silu(b, b.node(OpType.ADD, [c, x]))
    b.output(y)
    before = b.build()
    after = fuse_epilogues(before)
    assert ops(after) == [OpType.CONV2D]
    assert after.nodes[0].inputs == [x, w, "", x]
    assert after.nodes[0].params.activation == FusedActivation.SILU
    assert_equivalent(before, after)


def test_residual_goes_to_the_conv_that_runs_later() -> None:
    """ResNet's downsampling blocks: ADD(main, shortcut) with the shortcut conv stored after the
    main branch's. Only the later conv can read the other's output, so it takes the residual."""
    b = GraphBuilder()
    x = b.input("x", X)
    main = producer(b, OpType.CONV2D, x)
    shortcut = b.node(OpType.CONV2D, [x, b.const("ws", rng.standard_normal((4, 1, 1, 4))
                                                 .astype(np.float32))])
    y = b.node(OpType.ADD, [main, shortcut], BinaryParams(FusedActivation.RELU))
    b.output(y)
    before = b.build()
    after = fuse_epilogues(before)
    assert ops(after) == [OpType.CONV2D, OpType.CONV2D]
    assert after.nodes[1].inputs[3] == main and after.nodes[1].outputs == [y]
    assert_equivalent(before, after)


def _unchanged(before) -> None:
    assert snapshot(fuse_epilogues(before)) == snapshot(before)


def test_shared_or_visible_tensors_stay() -> None:
    """Nothing fuses when a tensor that would disappear is read elsewhere or is an output."""
    b = GraphBuilder()
    x = b.input("x", X)
    c1 = producer(b, OpType.CONV2D, x)
    y1 = silu(b, c1)
    other = b.node(OpType.RELU, [c1])                 # c1 read by a third node
    c2 = producer(b, OpType.CONV2D, x)
    s2 = b.node(OpType.SIGMOID, [c2])
    y2 = b.node(OpType.MUL, [c2, s2])                 # the sigmoid is a graph output
    c3 = producer(b, OpType.CONV2D, x)
    y3 = b.node(OpType.HARD_SWISH, [c3])              # c3 is a graph output
    c4 = producer(b, OpType.CONV2D, x)
    y4 = b.node(OpType.ADD, [c4, x])                  # c4 is a graph output
    c5 = producer(b, OpType.CONV2D, x)
    y5 = b.node(OpType.ADD, [c5, c5])                 # c5 + c5: no other operand
    b.output(y1, other, y2, s2, y3, c3, y4, c4, y5)
    _unchanged(b.build())


def test_not_an_epilogue() -> None:
    b = GraphBuilder()
    x = b.input("x", X)
    c1 = producer(b, OpType.CONV2D, x,
                  Conv2DParams(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1,
                               activation=FusedActivation.RELU))
    y1 = silu(b, c1)                                  # already has an activation
    c2 = producer(b, OpType.CONV2D, x)
    y2 = b.node(OpType.MUL, [c2, b.node(OpType.SIGMOID, [x])])   # c2 * sigmoid(another)
    c3 = producer(b, OpType.CONV2D, x)
    bias = b.const("c", rng.standard_normal(4).astype(np.float32))
    y3 = b.node(OpType.ADD, [c3, bias])               # broadcast: not a residual
    c4 = producer(b, OpType.DEPTHWISE_CONV2D, x,
                  DepthwiseConv2DParams(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1))
    y4 = b.node(OpType.ADD, [c4, x])                  # only CONV2D takes a residual
    y5 = silu(b, b.node(OpType.AVERAGE_POOL2D, [x], Pool2DParams(1, 1)))   # not a conv
    b.output(y1, y2, y3, y4, y5)
    _unchanged(b.build())


def test_residual_must_exist_before_the_conv() -> None:
    """ADD(conv, r) where r is computed after the conv (from the conv's own input) stays."""
    b = GraphBuilder()
    x = b.input("x", X)
    c = producer(b, OpType.CONV2D, x)
    r = b.node(OpType.RELU, [x])
    y = b.node(OpType.ADD, [c, r])
    b.output(y)
    _unchanged(b.build())


def test_quantized_graph_is_left_alone() -> None:
    """An int8 convolution has neither the residual nor these activations in the runtime."""
    b = GraphBuilder()
    q = QuantParams((0.05,), (0,), 0)
    x = b.input("x", X, DType.INT8)
    b.graph.tensors[x].quant = q
    w = b.const("w", rng.integers(-127, 128, (4, 1, 1, 4)).astype(np.int8))
    b.graph.tensors[w].quant = QuantParams((0.01,), (0,), 0)
    c = b.node(OpType.CONV2D, [x, w])
    b.graph.tensors[c].quant = q
    y = b.node(OpType.HARD_SWISH, [c])
    b.graph.tensors[y].quant = q
    r = b.node(OpType.ADD, [b.node(OpType.CONV2D, [x, w]), x])
    b.output(y, r)
    _unchanged(b.build())
