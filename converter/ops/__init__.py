"""Emberlite ops on the converter side. Each op module (converter/ops/<op>.py) holds the op's
params dataclass (mirroring the schema table field for field), its `infer_shape` and `FACTS`:
what the rest of the converter needs to know about the op (facts.py), from which the
quantizer's rules, the weight-only quantizer and the TFLite int8/int16 checks are derived.
OpType and the shared enums live in op_type.py.

OPS maps each OpType to its facts; tests/converter/test_op_tables.py checks that OpType,
schemas/ember.fbs and csrc/ember_schema.h list the same ops, and
tests/converter/test_op_facts.py that the facts agree with the C kernels and the importers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import (arg_max, arg_min, batch_matmul, binary, bitwise, cast, clamp, compare,
               concatenation, conv2d,
               cum_prod, cum_sum, depthwise_conv2d, elementwise, fully_connected, gather,
               gather_elements, gather_nd, grid_sample, hard_sigmoid, l2_normalization, leaky_relu,
               log_softmax, math_unary, maximum, mean, minimum, mod, one_hot, pad, pool2d, power,
               prelu, quantize, quantize_linear, reduce_fold, reshape, resize, scatter_elements,
               scatter_nd, slice, softmax, split, sum, top_k, transpose, transpose_conv2d, where)
from .facts import OpFacts, QuantRule
from .op_type import FusedActivation, OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node

__all__ = ["OPS", "FusedActivation", "OpFacts", "OpType", "QuantRule", "infer_shape"]

_MODULES = (arg_max, arg_min, batch_matmul, binary, bitwise, cast, clamp, compare,
            concatenation, conv2d,
            cum_prod, cum_sum, depthwise_conv2d, elementwise, fully_connected, gather,
            gather_elements, gather_nd, grid_sample, hard_sigmoid, l2_normalization, leaky_relu,
            log_softmax, math_unary, maximum, mean, minimum, mod, one_hot, pad, pool2d, power,
            prelu, quantize, quantize_linear, reduce_fold, reshape, resize, scatter_elements,
            scatter_nd, slice, softmax, split, sum, top_k, transpose, transpose_conv2d, where)

OPS: dict[OpType, OpFacts] = {facts.op: facts for facts in sorted(
    (facts for module in _MODULES for facts in module.FACTS), key=lambda facts: facts.op)}


def infer_shape(node: "Node", graph: "Graph") -> list[tuple[int, ...]]:
    """Output shapes of `node` from its input tensors' shapes; raises ShapeError."""
    return OPS[node.op].infer_shape(node, graph)
