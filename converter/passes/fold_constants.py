"""fold_constants: a node whose inputs are all constants is evaluated once by the numpy
reference and its outputs become constants. Graph outputs stay graph outputs. The outputs'
sizes (from shape inference) are charged to the conversion's constant budget before they
are computed (converter/limits.py).

A contraction over an empty axis (a matrix product or convolution whose run-time inputs hold
no element, with an output that does) is folded too: its output is the bias or zeros,
whatever the run-time values, and the C kernels need a contraction length >= 1."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Node, Tensor, constant_array
from ..limits import ConstantBudget
from ..ops import OpType
from ..reference import evaluate_node

CONTRACTIONS = {OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.TRANSPOSE_CONV2D,
                OpType.FULLY_CONNECTED, OpType.BATCH_MATMUL}


def fold_constants(graph: Graph, budget: ConstantBudget | None = None) -> Graph:
    budget = budget or ConstantBudget()
    g = graph.copy()
    kept = []
    for node in g.nodes:
        inputs = [g.tensors[name] for name in node.inputs if name]
        if not inputs or not all(t.is_constant or _empty_operand(node, t, g) for t in inputs):
            kept.append(node)
            continue
        for name in node.outputs:
            t = g.tensors[name]
            budget.charge(f"node {node.name!r} ({node.op.name.lower()})", t.shape or (),
                          t.dtype.numpy)
        values = {t.name: t.data if t.is_constant else np.zeros(t.shape, t.dtype.numpy)
                  for t in inputs}
        for name, value in zip(node.outputs, evaluate_node(node, g, values)):
            g.tensors[name].data = constant_array(value)
    g.nodes = kept
    return g


def _empty_operand(node: Node, t: Tensor, g: Graph) -> bool:
    """Whether run-time tensor `t` is an empty operand of a contraction whose outputs hold
    elements (fixed shapes only: a dynamic dim may be resized)."""
    def fixed_empty(x: Tensor, empty: bool) -> bool:
        return (x.shape is not None and (0 in x.shape) == empty
                and not any(s >= 0 for s in x.dim_symbols or ()))
    return (node.op in CONTRACTIONS and fixed_empty(t, True)
            and all(fixed_empty(g.tensors[o], False) for o in node.outputs))
