"""fold_constants: a node whose inputs are all constants is evaluated once by the numpy
reference and its outputs become constants. Graph outputs stay graph outputs. The outputs'
sizes (from shape inference) are charged to the conversion's constant budget before they
are computed (converter/limits.py).

A node whose outputs are all empty becomes empty constants: nothing to compute, and a
kernel's checks may want sizes >= 1 that an empty tensor lacks (a filter of no output
channel). A contraction over an empty axis (a matrix product or convolution whose data or weights hold
no element, with an output that does) is folded too: its output is the bias or zeros, whatever
the run-time values, and the C kernels need a contraction length and an input size >= 1. A
run-time bias is then added by an ADD (with the node's activation)."""
from __future__ import annotations

import math

import numpy as np

from ..errors import ShapeError
from ..ir import DType, Graph, Node, Tensor, constant_array
from ..limits import Budget
from ..ops import OpType
from ..ops.binary import BinaryParams
from ..ops.op_type import FusedActivation
from ..reference import evaluate_node

CONTRACTIONS = {OpType.CONV2D, OpType.DEPTHWISE_CONV2D, OpType.TRANSPOSE_CONV2D,
                OpType.FULLY_CONNECTED, OpType.BATCH_MATMUL}


def fold_constants(graph: Graph, budget: Budget | None = None) -> Graph:
    budget = budget or Budget()
    g = graph.copy()
    kept = []
    for node in g.nodes:
        inputs = [g.tensors[name] for name in node.inputs if name]
        outputs = [g.tensors[name] for name in node.outputs]
        if all(_fixed(t) and 0 in t.shape for t in outputs):
            for t in outputs:  # nothing to compute, whatever the inputs
                if math.prod(d for d in t.shape if d) >= 2**60:
                    raise ShapeError(f"node {node.name!r} ({node.op.name.lower()}): empty output "
                                     f"{list(t.shape)}: numpy cannot hold its other dims")
                t.data = constant_array(np.zeros(t.shape, t.dtype.numpy))
            continue
        empty = _empty_contraction(node, g)
        if empty and not all(t.is_constant for t in inputs[2:]):
            kept.append(_bias_only(node, g, budget))
            continue
        if not inputs or not (all(t.is_constant for t in inputs) or empty):
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


def _empty_contraction(node: Node, g: Graph) -> bool:
    """Whether `node` is a contraction whose data (input 0) or weights (input 1) are empty and
    whose outputs are not, with a constant bias if any (fixed shapes only: a dynamic dim may
    be resized)."""
    if node.op not in CONTRACTIONS:
        return False
    operands = [g.tensors[name] for name in node.inputs[:2] if name]
    bias = [g.tensors[name] for name in node.inputs[2:] if name]
    outputs = [g.tensors[name] for name in node.outputs]
    if not all(_fixed(t) for t in operands + bias + outputs):
        return False
    if not (any(0 in t.shape for t in operands) and all(0 not in t.shape for t in outputs)):
        return False
    # A run-time bias is added by an ADD (_bias_only): float32 only.
    runtime_bias = [t for t in bias if not t.is_constant]
    return not runtime_bias or (outputs[0].dtype == DType.FLOAT32 and all(
        t.dtype == DType.FLOAT32 and len(t.shape) == 1 for t in runtime_bias))


def _bias_only(node: Node, g: Graph, budget: Budget) -> Node:
    """An empty contraction with a run-time bias: ADD(zeros, bias) with the node's activation,
    the zeros [..., 1] so that they broadcast against the bias' channels."""
    out = g.tensors[node.outputs[0]]
    shape = (*out.shape[:-1], 1)
    budget.charge(f"node {node.name!r} ({node.op.name.lower()})", shape, np.float32)
    name = f"{node.outputs[0]}/zeros"
    while name in g.tensors:
        name += "_"
    g.tensors[name] = Tensor(name, DType.FLOAT32, shape,
                             data=constant_array(np.zeros(shape, np.float32)))
    activation = getattr(node.params, "activation", FusedActivation.NONE)
    return Node(OpType.ADD, node.name, [name, node.inputs[2]], list(node.outputs),
                BinaryParams(activation))


def _fixed(t: Tensor) -> bool:
    return t.shape is not None and not any(k >= 0 for k in t.dim_symbols or ())
