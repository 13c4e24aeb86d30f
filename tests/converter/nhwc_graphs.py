"""Graphs in the importer's NCHW convention (NHWC ops bracketed by transposes) for the layout
pass tests (test_to_nhwc.py) and the pass property tests (test_passes_common.py): random
constants, convolutions, batch norms and a torchvision-like CNN."""
from __future__ import annotations

import numpy as np

from emberlite.converter.ir import TO_NCHW, TO_NHWC
from emberlite.converter.ops import OpType
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.ops.transpose import TransposeParams
from tests.converter.ir_builder import GraphBuilder

rng = np.random.default_rng(1)


def const(b: GraphBuilder, base: str, *shape: int, positive: bool = False) -> str:
    value = rng.standard_normal(shape).astype(np.float32)
    return b.const(b.graph.unique_name(base), np.abs(value) + 0.5 if positive else value)


def nhwc_op(b: GraphBuilder, x: str, op: OpType, inputs: list[str], params: object) -> str:
    """The importer's wrapping of an NHWC op applied to an NCHW tensor."""
    t = b.node(OpType.TRANSPOSE, [x], TransposeParams(TO_NHWC))
    y = b.node(op, [t] + inputs, params)
    return b.node(OpType.TRANSPOSE, [y], TransposeParams(TO_NCHW))


def conv(b: GraphBuilder, x: str, cin: int, cout: int, k: int = 3, stride: int = 1,
         bias: bool = True) -> str:
    pad = k // 2
    inputs = [const(b, "w", cout, k, k, cin)] + ([const(b, "b", cout)] if bias else [])
    return nhwc_op(b, x, OpType.CONV2D, inputs, Conv2DParams(stride, stride, 1, 1, pad, pad,
                                                             pad, pad))


def depthwise(b: GraphBuilder, x: str, c: int) -> str:
    return nhwc_op(b, x, OpType.DEPTHWISE_CONV2D, [const(b, "dw", 1, 3, 3, c)],
                   DepthwiseConv2DParams(1, 1, 1, 1, 1, 1, 1, 1))


def batchnorm(b: GraphBuilder, x: str, c: int) -> str:
    y = b.node(OpType.MUL, [x, const(b, "bn_scale", c, 1, 1, positive=True)])
    return b.node(OpType.ADD, [y, const(b, "bn_shift", c, 1, 1)])


def torchvision_like_cnn() -> GraphBuilder:
    """conv-bn-relu stem, max pool, a residual block, a depthwise-separable block with RELU6,
    global average pool, flatten and a fully connected classifier, as the importer emits it."""
    b = GraphBuilder()
    x = b.input("image", (2, 3, 16, 16))
    h = b.node(OpType.RELU, [batchnorm(b, conv(b, x, 3, 8, stride=2, bias=False), 8)])
    h = nhwc_op(b, h, OpType.MAX_POOL2D, [], Pool2DParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1))
    r = b.node(OpType.RELU, [batchnorm(b, conv(b, h, 8, 8, bias=False), 8)])
    r = batchnorm(b, conv(b, r, 8, 8, bias=False), 8)
    h = b.node(OpType.RELU, [b.node(OpType.ADD, [r, h])])
    h = b.node(OpType.CLAMP, [batchnorm(b, depthwise(b, h, 8), 8)], ClampParams(0.0, 6.0))
    h = b.node(OpType.RELU6, [batchnorm(b, conv(b, h, 8, 16, k=1, bias=False), 16)])
    h = b.node(OpType.MEAN, [h], ReduceParams((2, 3)))
    h = b.node(OpType.RESHAPE, [h], shapes=[(2, 16)])
    logits = b.node(OpType.FULLY_CONNECTED, [h, const(b, "fc_w", 10, 16), const(b, "fc_b", 10)])
    b.output(logits)
    return b
