"""Emberlite ops on the converter side: per op module, the params dataclass (mirroring the
schema table field for field) and `infer_shape`; OpType and the enums several modules share
live in op_type.py, so the op modules never import this package's __init__.

OpType values equal the schema's OpCode enum; tests/converter/test_op_tables.py checks
that OpType, schemas/ember.fbs and csrc/ember_schema.h list the same ops.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from . import (arg_max, arg_min, batch_matmul, binary, cast, clamp, concatenation, conv2d,
               depthwise_conv2d, elementwise, fully_connected, gather, hard_sigmoid,
               l2_normalization, leaky_relu, log_softmax, maximum, mean, minimum, pad, pool2d,
               prelu, quantize, reshape, resize, slice, softmax, split, sum, transpose,
               transpose_conv2d)
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

__all__ = ["OPS", "FusedActivation", "OpInfo", "OpType", "infer_shape"]


@dataclass(frozen=True)
class OpInfo:
    params_cls: type | None                 # None: the op takes no params (node.params is None)
    infer_shape: Callable[["Node", "Graph"], list[tuple[int, ...]]]


OPS: dict[OpType, OpInfo] = {
    OpType.CONV2D: OpInfo(conv2d.Conv2DParams, conv2d.infer_shape),
    OpType.DEPTHWISE_CONV2D: OpInfo(depthwise_conv2d.DepthwiseConv2DParams,
                                    depthwise_conv2d.infer_shape),
    OpType.TRANSPOSE_CONV2D: OpInfo(transpose_conv2d.TransposeConv2DParams,
                                    transpose_conv2d.infer_shape),
    OpType.FULLY_CONNECTED: OpInfo(fully_connected.FullyConnectedParams,
                                   fully_connected.infer_shape),
    OpType.BATCH_MATMUL: OpInfo(batch_matmul.BatchMatMulParams, batch_matmul.infer_shape),
    OpType.ADD: OpInfo(binary.BinaryParams, binary.infer_shape),
    OpType.SUB: OpInfo(binary.BinaryParams, binary.infer_shape),
    OpType.MUL: OpInfo(binary.BinaryParams, binary.infer_shape),
    OpType.DIV: OpInfo(binary.BinaryParams, binary.infer_shape),
    OpType.RELU: OpInfo(None, elementwise.infer_shape),
    OpType.RELU6: OpInfo(None, elementwise.infer_shape),
    OpType.CLAMP: OpInfo(clamp.ClampParams, clamp.infer_shape),
    OpType.LEAKY_RELU: OpInfo(leaky_relu.LeakyReluParams, leaky_relu.infer_shape),
    OpType.SIGMOID: OpInfo(None, elementwise.infer_lookup_shape),
    OpType.TANH: OpInfo(None, elementwise.infer_lookup_shape),
    OpType.HARD_SIGMOID: OpInfo(hard_sigmoid.HardSigmoidParams, hard_sigmoid.infer_shape),
    OpType.HARD_SWISH: OpInfo(None, elementwise.infer_shape),
    OpType.MAX_POOL2D: OpInfo(pool2d.Pool2DParams, pool2d.infer_shape),
    OpType.AVERAGE_POOL2D: OpInfo(pool2d.Pool2DParams, pool2d.infer_shape),
    OpType.MEAN: OpInfo(mean.ReduceParams, mean.infer_shape),
    OpType.RESHAPE: OpInfo(reshape.ReshapeParams, reshape.infer_shape),
    OpType.TRANSPOSE: OpInfo(transpose.TransposeParams, transpose.infer_shape),
    OpType.CONCATENATION: OpInfo(concatenation.ConcatenationParams, concatenation.infer_shape),
    OpType.SPLIT: OpInfo(split.SplitParams, split.infer_shape),
    OpType.SLICE: OpInfo(slice.SliceParams, slice.infer_shape),
    OpType.PAD: OpInfo(pad.PadParams, pad.infer_shape),
    OpType.SOFTMAX: OpInfo(softmax.SoftmaxParams, softmax.infer_shape),
    OpType.GATHER: OpInfo(gather.GatherParams, gather.infer_shape),
    OpType.RESIZE: OpInfo(resize.ResizeParams, resize.infer_shape),
    OpType.QUANTIZE: OpInfo(None, quantize.infer_quantize),
    OpType.DEQUANTIZE: OpInfo(None, quantize.infer_dequantize),
    OpType.MAXIMUM: OpInfo(None, maximum.infer_shape),
    OpType.MINIMUM: OpInfo(None, minimum.infer_shape),
    OpType.PRELU: OpInfo(None, prelu.infer_shape),
    OpType.SUM: OpInfo(sum.ReduceParams, sum.infer_shape),
    OpType.ARG_MAX: OpInfo(arg_max.ArgParams, arg_max.infer_shape),
    OpType.ARG_MIN: OpInfo(arg_min.ArgParams, arg_min.infer_shape),
    OpType.CAST: OpInfo(None, cast.infer_shape),
    OpType.L2_NORMALIZATION: OpInfo(None, l2_normalization.infer_shape),
    OpType.LOG_SOFTMAX: OpInfo(log_softmax.SoftmaxParams, log_softmax.infer_shape),
}


def infer_shape(node: "Node", graph: "Graph") -> list[tuple[int, ...]]:
    """Output shapes of `node` from its input tensors' shapes; raises ShapeError."""
    return OPS[node.op].infer_shape(node, graph)
