"""BATCH_MATMUL: a [..., M, K] x b [..., K, N] with numpy broadcasting of batch dims.

adj_a / adj_b swap the last two dims of that input first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import Shape, broadcast, check_arity, fail, input_shape, params_of
from .facts import OpFacts, QuantRule
from .op_type import OpType

if TYPE_CHECKING:
    from ..ir import Graph, Node


@dataclass(frozen=True)
class BatchMatMulParams:
    adj_a: bool = False
    adj_b: bool = False


def infer_shape(node: Node, graph: Graph) -> list[Shape]:
    check_arity(node, 2, 2)
    p = params_of(node, BatchMatMulParams)
    a = input_shape(node, graph, 0)
    b = input_shape(node, graph, 1)
    if len(a) < 2 or len(b) < 2:
        raise fail(node, f"inputs must have rank >= 2, got {a} and {b}")
    m, k = (a[-1], a[-2]) if p.adj_a else (a[-2], a[-1])
    k2, n = (b[-1], b[-2]) if p.adj_b else (b[-2], b[-1])
    if k != k2:
        raise fail(node, f"inner dims differ: {a} x {b} (adj_a={p.adj_a}, adj_b={p.adj_b})")
    return [broadcast(node, a[:-2], b[:-2]) + (m, n)]


def weight_axis(node: Node, graph: Graph) -> int:
    """The output-channel axis of a constant b: the last of [..., K, N], the one before it
    with adj_b ([..., N, K])."""
    rank = len(graph.tensors[node.inputs[1]].shape)
    adj_b = node.params is not None and node.params.adj_b
    return rank - 2 if adj_b else rank - 1


# The int8 kernel takes b as an activation (asymmetric, per tensor); only the weight-only
# quantizer stores a constant b as weights.
FACTS = (OpFacts(OpType.BATCH_MATMUL, BatchMatMulParams, infer_shape, int8=QuantRule(),
                 weights=1, weight_axis=weight_axis, tflite=("BATCH_MATMUL",),
                 onnx=("Gemm", "MatMul", "Attention", "Einsum"), limits="int8: b per tensor, like a"),)
