"""Runs every op on tensors that hold no element while their other dims are huge (2^31 - 1),
one case after another, in this process.

Run by tests/runtime/test_empty_tensors.py in a subprocess, so that a hang (a kernel looping
over the product of the non-zero dims) or a crash is caught by the parent. Usage:
empty_worker.py START. Before each case it prints "try <i> <name>", after it
"done <i> <seconds> ok", "done <i> <seconds> mismatch" or "done <i> <seconds> error <Class>:
<message>", flushing each line, so the parent knows exactly which case stalled. <seconds> is
the time of invoke alone (0 when the case failed before it).

Most cases have an empty output: allocate must commit almost nothing and invoke must return at
once. The cases named "*_filled" have an empty input but an output that holds elements (a sum
over an empty axis, padding of an empty tensor, a convolution over padding only), which must
come out right; the "*_refused" ones must be refused with a message.
"""
from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.arg_max import ArgParams
from emberlite.converter.ops.batch_matmul import BatchMatMulParams
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.bitwise import BitShiftParams, ShiftDirection
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.cum_sum import CumSumParams
from emberlite.converter.ops.grid_sample import (GridSampleMode, GridSampleParams,
                                                 GridSamplePadding)
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.gather_nd import GatherNDParams
from emberlite.converter.ops.hard_sigmoid import HardSigmoidParams
from emberlite.converter.ops.leaky_relu import LeakyReluParams
from emberlite.converter.ops.math_unary import EluParams, GeluParams, SeluParams
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.ops.mod import ModParams
from emberlite.converter.ops.one_hot import OneHotParams
from emberlite.converter.ops.pad import PadParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.ops.resize import ResizeMode, ResizeParams
from emberlite.converter.ops.scatter_nd import ScatterParams, ScatterReduction
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.softmax import SoftmaxParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.ops.top_k import TopKParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.ops.transpose_conv2d import TransposeConv2DParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize

B = 2**31 - 1  # the largest dim a model can declare
F32 = DType.FLOAT32
Q_IN = QuantParams((0.05,), (-3,))
Q16 = QuantParams((0.001,), (0,))
Q_W = 0.02


@dataclass
class Case:
    name: str
    op: OpType
    graph: Graph
    inputs: dict[str, np.ndarray] = field(default_factory=dict)  # non-empty graph inputs
    want: list[np.ndarray] | None = None  # outputs that hold elements, else all empty
    refused: str | None = None  # text the refusal's message must contain


def act(name: str, shape: tuple[int, ...], dtype: DType = F32,
        quant: QuantParams | None = None) -> Tensor:
    return Tensor(name, dtype, shape, quant=quant)


def const(name: str, shape: tuple[int, ...], dtype: DType = F32, data: np.ndarray | None = None,
          quant: QuantParams | None = None) -> Tensor:
    if data is None:
        data = np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape)
    return Tensor(name, dtype, shape, constant_array(np.asarray(data, dtype.numpy)), quant)


def q8(name: str, shape: tuple[int, ...], quant: QuantParams = Q_IN) -> Tensor:
    return Tensor(name, DType.INT8, shape, quant=quant)


def q16(name: str, shape: tuple[int, ...]) -> Tensor:
    return Tensor(name, DType.INT16, shape, quant=Q16)


def q_weights(name: str, shape: tuple[int, ...]) -> Tensor:
    """int8 weights of scale Q_W."""
    data = np.arange(int(np.prod(shape))).reshape(shape) % 7 - 3
    return const(name, shape, DType.INT8, data, QuantParams((Q_W,), (0,)))


def q_bias(name: str, n: int, dtype: DType, in_scale: float) -> Tensor:
    scale = float(np.float32(in_scale) * np.float32(Q_W))
    return const(name, (n,), dtype, np.arange(n), QuantParams((scale,), (0,)))


def graph(op: OpType, params: object, inputs: list[Tensor], outputs: list[Tensor]) -> Graph:
    node = Node(op, op.name.lower(), [t.name for t in inputs], [t.name for t in outputs],
                params)
    return Graph({t.name: t for t in inputs + outputs}, [node],
                 [t.name for t in inputs if t.data is None], [t.name for t in outputs])


def unary(op: OpType, params: object = None) -> Case:
    return Case(op.name.lower(), op, graph(op, params, [act("x", (B, B, 0))],
                                           [act("y", (B, B, 0))]))


def binary(op: OpType, params: object = None) -> Case:
    return Case(op.name.lower(), op, graph(op, params, [act("a", (B, B, 0)),
                                                        const("b", (B, 1, 0))],
                                           [act("y", (B, B, 0))]))


def to_bool(op: OpType, dtype: DType = F32) -> Case:
    """A comparison or LOGICAL_* of two `dtype` inputs, a BOOL output."""
    inputs = [act("a", (B, B, 0), dtype), const("b", (B, 1, 0), dtype)]
    if op == OpType.LOGICAL_NOT:
        inputs = inputs[:1]
    return Case(op.name.lower(), op, graph(op, None, inputs, [act("y", (B, B, 0), DType.BOOL)]))


def conv_cases() -> list[Case]:
    filled_bias = np.arange(4, dtype=np.float32)
    return [
        Case("conv2d", OpType.CONV2D, graph(OpType.CONV2D, Conv2DParams(), [
            act("x", (0, B, B, 4)), const("w", (6, 1, 1, 4)), const("b", (6,))],
            [act("y", (0, B, B, 6))])),
        # Height 0, padded: every window lies in the padding, so the output is the bias.
        Case("conv2d_filled", OpType.CONV2D, graph(OpType.CONV2D, Conv2DParams(
            pad_top=1, pad_bottom=1), [act("x", (1, 0, 3, 2)), const("w", (4, 1, 1, 2)),
                                       const("b", (4,), data=filled_bias)],
            [act("y", (1, 2, 3, 4))]),
            want=[np.broadcast_to(filled_bias, (1, 2, 3, 4))]),
        Case("depthwise_conv2d", OpType.DEPTHWISE_CONV2D, graph(
            OpType.DEPTHWISE_CONV2D, DepthwiseConv2DParams(depth_multiplier=2),
            [act("x", (0, B, B, 3)), const("w", (1, 1, 1, 6)), const("b", (6,))],
            [act("y", (0, B, B, 6))])),
        Case("transpose_conv2d", OpType.TRANSPOSE_CONV2D, graph(
            OpType.TRANSPOSE_CONV2D, TransposeConv2DParams(),
            [act("x", (0, B, B, 2)), const("w", (3, 1, 1, 2))], [act("y", (0, B, B, 3))])),
        Case("conv2d_i8", OpType.CONV2D, graph(OpType.CONV2D, Conv2DParams(), [
            q8("x", (0, B, B, 4)), q_weights("w", (6, 1, 1, 4)),
            q_bias("b", 6, DType.INT32, 0.05)], [q8("y", (0, B, B, 6))])),
        Case("conv2d_i16", OpType.CONV2D, graph(OpType.CONV2D, Conv2DParams(), [
            q16("x", (0, B, B, 4)), q_weights("w", (6, 1, 1, 4)),
            q_bias("b", 6, DType.INT64, 0.001)], [q16("y", (0, B, B, 6))])),
        Case("fully_connected_i8", OpType.FULLY_CONNECTED, graph(
            OpType.FULLY_CONNECTED, FullyConnectedParams(),
            [q8("x", (B, B, 0, 6)), q_weights("w", (4, 6)), q_bias("b", 4, DType.INT32, 0.05)],
            [q8("y", (B, B, 0, 4))])),
        Case("fully_connected_i16", OpType.FULLY_CONNECTED, graph(
            OpType.FULLY_CONNECTED, FullyConnectedParams(),
            [q16("x", (B, B, 0, 6)), q_weights("w", (4, 6))], [q16("y", (B, B, 0, 4))])),
        Case("fully_connected", OpType.FULLY_CONNECTED, graph(
            OpType.FULLY_CONNECTED, FullyConnectedParams(),
            [act("x", (B, B, 0, 6)), const("w", (4, 6))], [act("y", (B, B, 0, 4))])),
        Case("batch_matmul", OpType.BATCH_MATMUL, graph(
            OpType.BATCH_MATMUL, BatchMatMulParams(),
            [act("a", (B, 0, 4)), const("b", (1, 4, 5))], [act("y", (B, 0, 5))])),
        # A contraction of length 0 with elements out: the converter folds it to its bias or
        # zeros (passes/fold_constants.py); a file that holds one is refused.
        Case("fully_connected_k0_refused", OpType.FULLY_CONNECTED, graph(
            OpType.FULLY_CONNECTED, FullyConnectedParams(),
            [act("x", (2, 0)), const("w", (4, 0))], [act("y", (2, 4))]), refused="K >= 1"),
        Case("batch_matmul_k0_refused", OpType.BATCH_MATMUL, graph(
            OpType.BATCH_MATMUL, BatchMatMulParams(),
            [act("a", (2, 3, 0)), act("b", (2, 0, 5))], [act("y", (2, 3, 5))]),
            refused="inner dims must be equal and >= 1"),
        Case("conv2d_k0_refused", OpType.CONV2D, graph(OpType.CONV2D, Conv2DParams(), [
            act("x", (1, 3, 3, 0)), const("w", (4, 1, 1, 0)), const("b", (4,))],
            [act("y", (1, 3, 3, 4))]), refused="filter dims must be >= 1"),
    ]


def pool_cases() -> list[Case]:
    cases = []
    for op, fill in ((OpType.MAX_POOL2D, np.finfo(np.float32).min),
                     (OpType.AVERAGE_POOL2D, 0.0)):
        name = op.name.lower()
        cases.append(Case(name, op, graph(op, Pool2DParams(), [act("x", (B, B, 1, 0))],
                                          [act("y", (B, B, 1, 0))])))
        cases.append(Case(f"{name}_i8", op, graph(op, Pool2DParams(), [q8("x", (B, B, 1, 0))],
                                                  [q8("y", (B, B, 1, 0))])))
        if op == OpType.MAX_POOL2D:
            cases.append(Case(f"{name}_i16", op, graph(op, Pool2DParams(),
                                                       [q16("x", (B, B, 1, 0))],
                                                       [q16("y", (B, B, 1, 0))])))
        # Height 0, padded: windows of padding only.
        padded = Pool2DParams(filter_h=2, pad_top=1, pad_bottom=1)
        cases.append(Case(f"{name}_filled", op, graph(op, padded, [act("x", (1, 0, 2, 3))],
                                                      [act("y", (1, 1, 2, 3))]),
                          want=[np.full((1, 1, 2, 3), fill, np.float32)]))
    return cases


def reduce_cases() -> list[Case]:
    axes1 = ReduceParams(axes=(1,))
    return [
        Case("mean", OpType.MEAN, graph(OpType.MEAN, axes1, [act("x", (B, B, 0))],
                                        [act("y", (B, 1, 0))])),
        Case("mean_i8", OpType.MEAN, graph(OpType.MEAN, axes1, [q8("x", (B, B, 0))],
                                           [q8("y", (B, 1, 0))])),
        # The mean of no element is NaN, as numpy's.
        Case("mean_filled", OpType.MEAN, graph(OpType.MEAN, ReduceParams(axes=(1, 2)),
                                               [act("x", (3, B, 0))], [act("y", (3,))]),
             want=[np.full(3, np.nan, np.float32)]),
        Case("mean_i8_refused", OpType.MEAN, graph(OpType.MEAN, ReduceParams(axes=(1, 2)),
                                                   [q8("x", (3, B, 0))], [q8("y", (3,))]),
             refused="reduced elements"),
        Case("sum", OpType.SUM, graph(OpType.SUM, axes1, [act("x", (B, B, 0))],
                                      [act("y", (B, 0))])),
        Case("sum_filled", OpType.SUM, graph(OpType.SUM, ReduceParams(axes=(1, 2)),
                                             [act("x", (3, B, 0))], [act("y", (3,))]),
             want=[np.zeros(3, np.float32)]),
        *(Case(op.name.lower(), op, graph(op, axes1, [act("x", (B, B, 0))],
                                          [act("y", (B, 1, 0))]))
          for op in (OpType.REDUCE_MAX, OpType.REDUCE_MIN, OpType.REDUCE_PROD)),
        # Over no element: the fold's start, as numpy's identities (-inf, +inf, 1).
        *(Case(f"{op.name.lower()}_filled", op, graph(op, ReduceParams(axes=(1, 2)),
                                                      [act("x", (3, B, 0))], [act("y", (3,))]),
               want=[np.full(3, start, np.float32)])
          for op, start in ((OpType.REDUCE_MAX, -np.inf), (OpType.REDUCE_MIN, np.inf),
                            (OpType.REDUCE_PROD, 1.0))),
        Case("arg_max", OpType.ARG_MAX, graph(OpType.ARG_MAX, ArgParams(axis=2),
                                              [act("x", (B, B, 3, 0))],
                                              [act("y", (B, B, 0), DType.INT32)])),
        Case("arg_min", OpType.ARG_MIN, graph(OpType.ARG_MIN, ArgParams(axis=2),
                                              [act("x", (B, B, 3, 0))],
                                              [act("y", (B, B, 0), DType.INT32)])),
        Case("arg_max_refused", OpType.ARG_MAX, graph(OpType.ARG_MAX, ArgParams(axis=1),
                                                      [act("x", (3, 0))],
                                                      [act("y", (3,), DType.INT32)]),
             refused="is empty"),
    ]


def movement_cases() -> list[Case]:
    b = np.arange(6, dtype=np.float32).reshape(2, 3)
    return [
        Case("reshape", OpType.RESHAPE, graph(OpType.RESHAPE, ReshapeParams(),
                                              [act("x", (B, B, 0))], [act("y", (0, B, B))])),
        Case("transpose", OpType.TRANSPOSE, graph(OpType.TRANSPOSE, TransposeParams((2, 0, 1)),
                                                  [act("x", (B, B, 0))],
                                                  [act("y", (0, B, B))])),
        # Strides of [0, B, B, B] overflow 64 bits.
        Case("transpose_rank4", OpType.TRANSPOSE, graph(
            OpType.TRANSPOSE, TransposeParams((0, 2, 1, 3)), [act("x", (0, B, B, B))],
            [act("y", (0, B, B, B))])),
        Case("concatenation", OpType.CONCATENATION, graph(
            OpType.CONCATENATION, ConcatenationParams(axis=1),
            [act("a", (B, 0, B)), act("b", (B, 0, B))], [act("y", (B, 0, B))])),
        Case("concatenation_filled", OpType.CONCATENATION, graph(
            OpType.CONCATENATION, ConcatenationParams(axis=1),
            [act("a", (2, 0)), act("b", (2, 3))], [act("y", (2, 3))]),
            inputs={"b": b}, want=[b]),
        Case("split", OpType.SPLIT, graph(OpType.SPLIT, SplitParams(axis=1),
                                          [act("x", (B, B, 0))],
                                          [act("y0", (B, B - 1, 0)), act("y1", (B, 1, 0))])),
        # Pieces of size 0 between full ones (ONNX Split with a split of 0).
        Case("split_filled", OpType.SPLIT, graph(OpType.SPLIT, SplitParams(axis=1),
                                                 [act("x", (2, 3))],
                                                 [act("y0", (2, 0)), act("y1", (2, 2)),
                                                  act("y2", (2, 0)), act("y3", (2, 1))]),
             inputs={"x": b}, want=[b[:, :2], b[:, 2:]]),
        Case("concatenation_empty_middle", OpType.CONCATENATION, graph(
            OpType.CONCATENATION, ConcatenationParams(axis=0),
            [act("a", (1, 3)), act("e", (0, 3)), act("b", (2, 3))], [act("y", (3, 3))]),
            inputs={"a": b[:1], "b": b}, want=[np.concatenate([b[:1], b])]),
        Case("slice", OpType.SLICE, graph(OpType.SLICE, SliceParams((0, 0, 0, 0), (1, 1, 1, 1)),
                                          [act("x", (0, B, B, B))], [act("y", (0, B, B, B))])),
        # The zero dim last: the product of the others overflows 64 bits before it.
        Case("transpose_zero_last", OpType.TRANSPOSE, graph(
            OpType.TRANSPOSE, TransposeParams((3, 2, 1, 0)), [act("x", (B, B, B, 0))],
            [act("y", (0, B, B, B))])),
        Case("slice_zero_last", OpType.SLICE, graph(
            OpType.SLICE, SliceParams((0, 0, 0, 0), (1, 1, 1, 1)), [act("x", (B, B, B, 0))],
            [act("y", (B, B, B, 0))])),
        Case("concatenation_zero_last", OpType.CONCATENATION, graph(
            OpType.CONCATENATION, ConcatenationParams(axis=3),
            [act("a", (B, B, B, 0)), act("b", (B, B, B, 0))], [act("y", (B, B, B, 0))])),
        Case("pad", OpType.PAD, graph(OpType.PAD, PadParams(pads=(0,) * 6),
                                      [act("x", (B, B, 0))], [act("y", (B, B, 0))])),
        Case("pad_filled", OpType.PAD, graph(OpType.PAD, PadParams(pads=(0, 1, 0, 2), value=0.5),
                                             [act("x", (2, 0))], [act("y", (2, 3))]),
             want=[np.full((2, 3), 0.5, np.float32)]),
        Case("gather", OpType.GATHER, graph(
            OpType.GATHER, GatherParams(axis=1),
            [act("x", (B, 4, 0)), const("idx", (3,), DType.INT32, np.array([0, 1, 2]))],
            [act("y", (B, 3, 0))])),
        Case("gather_refused", OpType.GATHER, graph(
            OpType.GATHER, GatherParams(axis=0),
            [act("x", (0, 3)), const("idx", (1,), DType.INT32, np.array([0]))],
            [act("y", (1, 3))]), refused="out of range"),
        *index_cases(),
    ]


def index_cases() -> list[Case]:
    """GATHER_ELEMENTS, GATHER_ND, SCATTER_ND, SCATTER_ELEMENTS: empty data or indices; a
    scatter of no updates copies its data."""
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    add = ScatterParams(0, ScatterReduction.ADD)
    return [
        Case("gather_elements", OpType.GATHER_ELEMENTS, graph(
            OpType.GATHER_ELEMENTS, GatherParams(axis=1),
            [act("x", (B, 4, 0)), act("idx", (B, 3, 0), DType.INT64)], [act("y", (B, 3, 0))])),
        Case("gather_elements_refused", OpType.GATHER_ELEMENTS, graph(
            OpType.GATHER_ELEMENTS, GatherParams(axis=0),
            [act("x", (0, 3)), const("idx", (1, 3), DType.INT32, np.zeros((1, 3)))],
            [act("y", (1, 3))]), refused="out of range"),
        Case("gather_nd", OpType.GATHER_ND, graph(
            OpType.GATHER_ND, GatherNDParams(0),
            [act("x", (B, 4, 0)), const("idx", (2, 1), DType.INT32, np.array([[0], [-1]]))],
            [act("y", (2, 4, 0))])),
        Case("scatter_nd", OpType.SCATTER_ND, graph(
            OpType.SCATTER_ND, add,
            [act("x", (B, B, 0)), const("idx", (2, 1), DType.INT64, np.array([[0], [1]])),
             act("u", (2, B, 0))], [act("y", (B, B, 0))])),
        Case("scatter_nd_filled", OpType.SCATTER_ND, graph(
            OpType.SCATTER_ND, add,
            [act("x", (2, 3)), const("idx", (0, B, 1), DType.INT64, np.zeros((0, B, 1))),
             act("u", (0, B, 3))], [act("y", (2, 3))]), inputs={"x": data}, want=[data]),
        Case("scatter_elements_filled", OpType.SCATTER_ELEMENTS, graph(
            OpType.SCATTER_ELEMENTS, ScatterParams(1, ScatterReduction.MUL),
            [act("x", (2, 3)), act("idx", (2, 0), DType.INT32), act("u", (2, 0))],
            [act("y", (2, 3))]), inputs={"x": data}, want=[data]),
    ]


def resize_cases() -> list[Case]:
    linear = ResizeParams(mode=ResizeMode.LINEAR, scale_h=2.0, scale_w=2.0)
    same = ResizeParams(mode=ResizeMode.LINEAR)
    return [
        Case("resize", OpType.RESIZE, graph(OpType.RESIZE, linear, [act("x", (B, 2, 3, 0))],
                                            [act("y", (B, 4, 6, 0))])),
        # Tables of 2^31 rows and columns would take 64 GiB.
        Case("resize_tables", OpType.RESIZE, graph(OpType.RESIZE, same,
                                                   [act("x", (0, B, B, 1))],
                                                   [act("y", (0, B, B, 1))])),
        Case("resize_i8", OpType.RESIZE, graph(OpType.RESIZE, linear,
                                               [q8("x", (B, 2, 3, 0))],
                                               [q8("y", (B, 4, 6, 0))])),
        Case("resize_refused", OpType.RESIZE, graph(OpType.RESIZE, linear,
                                                    [act("x", (1, 0, 2, 1))],
                                                    [act("y", (1, 2, 4, 1))]),
             refused="empty"),
    ]


def softmax_cases() -> list[Case]:
    q_soft = QuantParams((1.0 / 256,), (-128,))
    q_log = QuantParams((16.0 / 256,), (127,))
    return [
        # The float kernel's scratch holds two rows of the dims after the axis: 16 GiB here.
        Case("softmax", OpType.SOFTMAX, graph(OpType.SOFTMAX, SoftmaxParams(axis=1),
                                              [act("x", (0, B, B))], [act("y", (0, B, B))])),
        Case("softmax_i8", OpType.SOFTMAX, graph(OpType.SOFTMAX, SoftmaxParams(axis=1),
                                                 [q8("x", (B, 0, B))],
                                                 [q8("y", (B, 0, B), q_soft)])),
        Case("log_softmax", OpType.LOG_SOFTMAX, graph(OpType.LOG_SOFTMAX, SoftmaxParams(axis=1),
                                                      [act("x", (B, 0, B))],
                                                      [act("y", (B, 0, B))])),
        Case("log_softmax_i8", OpType.LOG_SOFTMAX, graph(
            OpType.LOG_SOFTMAX, SoftmaxParams(axis=1), [q8("x", (B, 0, B))],
            [q8("y", (B, 0, B), q_log)])),
    ]


def elementwise_cases() -> list[Case]:
    q_out = QuantParams((0.1,), (2,))
    return [
        binary(OpType.ADD, BinaryParams()), binary(OpType.SUB, BinaryParams()),
        binary(OpType.MUL, BinaryParams()), binary(OpType.DIV, BinaryParams()),
        binary(OpType.MAXIMUM), binary(OpType.MINIMUM),
        binary(OpType.POW),
        *(unary(op) for op in (
            OpType.ABS, OpType.NEG, OpType.SQRT, OpType.RSQRT, OpType.EXP, OpType.LOG,
            OpType.FLOOR, OpType.CEIL, OpType.ROUND, OpType.SIGN, OpType.SIN, OpType.COS,
            OpType.ACOS, OpType.ASIN, OpType.ATAN,
            OpType.RECIPROCAL, OpType.ERF, OpType.SOFTPLUS, OpType.MISH, OpType.SQUARE)),
        unary(OpType.ELU, EluParams()), unary(OpType.SELU, SeluParams()),
        unary(OpType.GELU, GeluParams(approximate=True)),
        *(to_bool(op, DType.INT64) for op in (
            OpType.EQUAL, OpType.NOT_EQUAL, OpType.LESS, OpType.LESS_EQUAL, OpType.GREATER,
            OpType.GREATER_EQUAL)),
        *(to_bool(op, DType.BOOL) for op in (
            OpType.LOGICAL_NOT, OpType.LOGICAL_AND, OpType.LOGICAL_OR, OpType.LOGICAL_XOR)),
        Case("where", OpType.WHERE, graph(OpType.WHERE, None, [
            act("c", (B, 1, 0), DType.BOOL), act("x", (B, B, 0)), const("z", (1, B, 0))],
            [act("y", (B, B, 0))])),
        Case("add_i8", OpType.ADD, graph(OpType.ADD, BinaryParams(),
                                         [q8("a", (B, B, 0)), q8("b", (B, 1, 0))],
                                         [q8("y", (B, B, 0), q_out)])),
        Case("prelu", OpType.PRELU, graph(OpType.PRELU, None, [act("x", (B, B, 0)),
                                                               const("alpha", (1, 0))],
                                          [act("y", (B, B, 0))])),
        unary(OpType.RELU), unary(OpType.RELU6), unary(OpType.SIGMOID), unary(OpType.TANH),
        unary(OpType.HARD_SWISH), unary(OpType.L2_NORMALIZATION),
        unary(OpType.CLAMP, ClampParams(-0.5, 0.5)),
        unary(OpType.LEAKY_RELU, LeakyReluParams(alpha=0.1)),
        unary(OpType.HARD_SIGMOID, HardSigmoidParams()),
        Case("relu_i8", OpType.RELU, graph(OpType.RELU, None, [q8("x", (B, B, 0))],
                                           [q8("y", (B, B, 0), q_out)])),
        Case("lookup_table", OpType.LOOKUP_TABLE, graph(
            OpType.LOOKUP_TABLE, None,
            [q8("x", (B, B, 0)), const("table", (256,), DType.INT8, np.arange(256) - 128, Q_IN)],
            [q8("y", (B, B, 0), q_out)])),
        Case("quantize", OpType.QUANTIZE, graph(OpType.QUANTIZE, None, [act("x", (B, B, 0))],
                                                [q8("y", (B, B, 0))])),
        Case("add_i16", OpType.ADD, graph(OpType.ADD, BinaryParams(),
                                          [q16("a", (B, B, 0)), q16("b", (B, 1, 0))],
                                          [q16("y", (B, B, 0))])),
        Case("quantize_i16", OpType.QUANTIZE, graph(OpType.QUANTIZE, None,
                                                    [act("x", (B, B, 0))],
                                                    [q16("y", (B, B, 0))])),
        Case("dequantize_i16", OpType.DEQUANTIZE, graph(OpType.DEQUANTIZE, None,
                                                        [q16("x", (B, B, 0))],
                                                        [act("y", (B, B, 0))])),
        Case("dequantize", OpType.DEQUANTIZE, graph(OpType.DEQUANTIZE, None,
                                                    [q8("x", (B, B, 0))],
                                                    [act("y", (B, B, 0))])),
        Case("cast", OpType.CAST, graph(OpType.CAST, None, [act("x", (B, B, 0))],
                                        [act("y", (B, B, 0), DType.INT32)])),
    ]


def prepared_dequantize() -> Case:
    """An empty int8 constant DEQUANTIZEd at prepare (no arena slot), read by a RELU."""
    w = const("w", (B, 0), DType.INT8, quant=Q_IN)
    wf, y = act("wf", (B, 0)), act("y", (B, 0))
    nodes = [Node(OpType.DEQUANTIZE, "dequantize", ["w"], ["wf"]),
             Node(OpType.RELU, "relu", ["wf"], ["y"])]
    return Case("dequantize_prepared", OpType.DEQUANTIZE,
                Graph({t.name: t for t in (w, wf, y)}, nodes, [], ["y"]))


def select_cases() -> list[Case]:
    """TOP_K, CUM_SUM, ONE_HOT and MOD (format 8); a TOP_K of k = 0 along an empty axis and a
    ONE_HOT of depth 2^31 - 1 over no index."""
    i32 = DType.INT32
    return [
        Case("top_k", OpType.TOP_K, graph(OpType.TOP_K, TopKParams(axis=3),
                                          [act("x", (B, B, 0, 5))],
                                          [act("y", (B, B, 0, 2)), act("i", (B, B, 0, 2), i32)])),
        Case("top_k_zero_k", OpType.TOP_K, graph(OpType.TOP_K, TopKParams(axis=1),
                                                 [act("x", (3, 0))],
                                                 [act("y", (3, 0)), act("i", (3, 0), i32)])),
        Case("cum_sum", OpType.CUM_SUM, graph(OpType.CUM_SUM, CumSumParams(1, True, True),
                                              [act("x", (B, B, 0))], [act("y", (B, B, 0))])),
        Case("cum_prod", OpType.CUM_PROD, graph(OpType.CUM_PROD, CumSumParams(1, True, True),
                                                [act("x", (B, B, 0))], [act("y", (B, B, 0))])),
        # an empty grid, then an empty image sampled at points (every tap reads a zero)
        Case("grid_sample", OpType.GRID_SAMPLE, graph(
            OpType.GRID_SAMPLE, GridSampleParams(), [act("x", (1, B, 0, 3)),
                                                     act("g", (1, 0, B, 2))],
            [act("y", (1, B, 0, B))])),
        Case("grid_sample_empty_image", OpType.GRID_SAMPLE, graph(
            OpType.GRID_SAMPLE, GridSampleParams(GridSampleMode.CUBIC, GridSamplePadding.BORDER),
            [act("x", (1, 2, 0, 3)), act("g", (1, 2, 2, 2))], [act("y", (1, 2, 2, 2))]),
            inputs={"g": np.full((1, 2, 2, 2), 0.5, np.float32)},
            want=[np.zeros((1, 2, 2, 2), np.float32)]),
        Case("one_hot", OpType.ONE_HOT, graph(
            OpType.ONE_HOT, OneHotParams(axis=2, negative_from_end=True),
            [act("x", (B, 0), i32), const("v", (2,))], [act("y", (B, 0, B))])),
        binary(OpType.MOD, ModParams()),
        Case("mod_i32", OpType.MOD, graph(OpType.MOD, ModParams(fmod=True),
                                          [act("a", (B, B, 0), i32), const("b", (B, 1, 0), i32)],
                                          [act("y", (B, B, 0), i32)])),
    ] + integer_cases()


def integer_cases() -> list[Case]:
    """The plain integer forms of the arithmetic and the bitwise ops (their own rows and
    loops)."""
    i64 = DType.INT64
    return [
        Case("div_i64", OpType.DIV, graph(OpType.DIV, BinaryParams(),
                                          [act("a", (B, B, 0), i64), const("b", (B, 1, 0), i64)],
                                          [act("y", (B, B, 0), i64)])),
        Case("pow_i32_f32", OpType.POW, graph(OpType.POW, None,
                                              [act("a", (B, B, 0), DType.INT32),
                                               const("b", (B, 1, 0))],
                                              [act("y", (B, B, 0), DType.INT32)])),
        Case("neg_i64", OpType.NEG, graph(OpType.NEG, None, [act("x", (B, B, 0), i64)],
                                          [act("y", (B, B, 0), i64)])),
        Case("add_u16", OpType.ADD, graph(OpType.ADD, BinaryParams(),
                                          [act("a", (B, B, 0), DType.UINT16),
                                           const("b", (B, 1, 0), DType.UINT16)],
                                          [act("y", (B, B, 0), DType.UINT16)])),
        *(Case(op.name.lower(), op, graph(
            op, BitShiftParams(ShiftDirection.RIGHT) if op == OpType.BIT_SHIFT else None,
            [act("a", (B, B, 0), DType.INT8), const("b", (B, 1, 0), DType.INT8)][
                :1 if op == OpType.BITWISE_NOT else 2],
            [act("y", (B, B, 0), DType.INT8)]))
          for op in (OpType.BITWISE_AND, OpType.BITWISE_OR, OpType.BITWISE_XOR,
                     OpType.BITWISE_NOT, OpType.BIT_SHIFT)),
        Case("quantize_linear", OpType.QUANTIZE_LINEAR, graph(
            OpType.QUANTIZE_LINEAR, None,
            [act("x", (B, B, 0)), act("s", (1,)), const("z", (1,), DType.UINT8)],
            [act("y", (B, B, 0), DType.UINT8)])),
        Case("dequantize_linear_axis", OpType.DEQUANTIZE_LINEAR, graph(
            OpType.DEQUANTIZE_LINEAR, None,
            [act("x", (B, 0, 3), DType.INT16), const("s", (1, 1, 3)),
             act("z", (1, 1, 3), DType.INT16)],
            [act("y", (B, 0, 3))])),
    ]


def all_cases() -> list[Case]:
    return (conv_cases() + pool_cases() + reduce_cases() + movement_cases() + resize_cases()
            + softmax_cases() + elementwise_cases() + [prepared_dequantize()]
            + select_cases())


def run_case(case: Case) -> tuple[float, str]:
    """(seconds of invoke, outcome); an exception escapes to the caller."""
    from emberlite import Interpreter

    interp = Interpreter(model_content=serialize(case.graph, plan_memory(case.graph)))
    interp.allocate_tensors()
    for detail in interp.get_input_details():
        value = case.inputs.get(detail["name"])
        if value is not None:
            interp.set_tensor(detail["index"], value)
    start = time.perf_counter()
    interp.invoke()
    seconds = time.perf_counter() - start
    # numpy refuses an array whose non-zero dims' product x item size passes 2^63, even
    # when it holds no element: empty outputs are not fetched.
    got = [interp.get_tensor(d["index"]) for d in interp.get_output_details()
           if 0 not in tuple(d["shape"])]
    if case.want is None:
        return seconds, "ok" if not got else "mismatch"
    same = len(got) == len(case.want) and all(
        g.shape == w.shape and np.array_equal(g, w, equal_nan=True)
        for g, w in zip(got, case.want))
    return seconds, "ok" if same else "mismatch"


# Address space for this process: an allocation sized from the huge dims (gigabytes) fails
# here, as a finding, instead of swapping the machine.
MEMORY_LIMIT = 4 << 30


def main(argv: list[str]) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    cases = all_cases()
    for i in range(int(argv[1]), len(cases)):
        print(f"try {i} {cases[i].name}", flush=True)
        try:
            seconds, outcome = run_case(cases[i])
        except Exception as e:  # noqa: BLE001 - the parent judges every failure
            seconds, outcome = 0.0, f"error {type(e).__name__}: {e}"
        print(f"done {i} {seconds:.6f} {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
