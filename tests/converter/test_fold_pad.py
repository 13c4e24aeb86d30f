"""fold_pad: a zero PAD of H and W read only by a convolution becomes its padding."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.ir import QuantParams
from emberlite.converter.ops import OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.pad import PadMode, PadParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.passes.fold_pad import fold_pad
from tests.converter.ir_builder import GraphBuilder, assert_equivalent, ops

rng = np.random.default_rng(5)


def nhwc_pads(top: int, left: int, bottom: int, right: int) -> tuple[int, ...]:
    return (0, top, left, 0, 0, bottom, right, 0)


def conv(b: GraphBuilder, kind: OpType, x: str, params: object) -> str:
    shape = (1, 3, 3, 4) if kind == OpType.DEPTHWISE_CONV2D else (5, 3, 3, 4)
    w = b.const(b.graph.unique_name("w"), rng.standard_normal(shape).astype(np.float32))
    return b.node(kind, [x, w], params)


@pytest.mark.parametrize("kind,params", [
    (OpType.CONV2D, Conv2DParams(stride_h=2, stride_w=2)),
    (OpType.CONV2D, Conv2DParams(pad_top=1, pad_left=0, pad_bottom=2, pad_right=1)),
    (OpType.DEPTHWISE_CONV2D, DepthwiseConv2DParams(stride_h=2, stride_w=1, dilation_h=2)),
], ids=["conv_s2", "conv_own_pads", "depthwise_dilated"])
def test_folds_into_the_convolution(kind, params):
    b = GraphBuilder()
    x = b.input("x", (2, 9, 8, 4))
    padded = b.node(OpType.PAD, [x], PadParams(nhwc_pads(1, 2, 0, 1)))
    b.output(conv(b, kind, padded, params))
    before = b.build()
    after = fold_pad(before)
    assert ops(after) == [kind] and after.nodes[0].inputs[0] == x
    p = after.nodes[0].params
    assert (p.pad_top, p.pad_left, p.pad_bottom, p.pad_right) == (
        params.pad_top + 1, params.pad_left + 2, params.pad_bottom, params.pad_right + 1)
    assert_equivalent(before, after)


def pad_then(b: GraphBuilder, pad: PadParams, reader: str = "conv") -> None:
    x = b.input("x", (1, 6, 6, 4))
    padded = b.node(OpType.PAD, [x], pad)
    if reader == "pool":
        b.output(b.node(OpType.MAX_POOL2D, [padded], Pool2DParams(3, 3)))
    else:
        b.output(conv(b, OpType.CONV2D, padded, Conv2DParams()))
    if reader == "shared":
        b.output(padded)


@pytest.mark.parametrize("pad,reader", [
    (PadParams(nhwc_pads(1, 1, 1, 1), value=0.5), "conv"),
    (PadParams((1, 1, 1, 0, 0, 1, 1, 0)), "conv"),
    (PadParams(nhwc_pads(1, 1, 1, 1), mode=PadMode.REFLECT), "conv"),
    (PadParams(nhwc_pads(1, -1, 1, 1)), "conv"),
    (PadParams(nhwc_pads(1, 1, 1, 1)), "pool"),
    (PadParams(nhwc_pads(1, 1, 1, 1)), "shared"),
], ids=["nonzero_value", "batch_pad", "reflect", "crop", "max_pool", "pad_is_an_output"])
def test_keeps_what_is_not_a_zero_spatial_pad_of_a_convolution(pad, reader):
    b = GraphBuilder()
    pad_then(b, pad, reader)
    before = b.build()
    after = fold_pad(before)
    assert ops(after) == ops(before)


def test_keeps_a_pad_that_requantizes():
    b = GraphBuilder()
    pad_then(b, PadParams(nhwc_pads(1, 1, 1, 1)))
    graph = b.build()
    pad = graph.nodes[0]
    graph.tensors[pad.inputs[0]].quant = QuantParams((0.1,), (3,))
    graph.tensors[pad.outputs[0]].quant = QuantParams((0.2,), (3,))
    assert ops(fold_pad(graph)) == ops(graph)
