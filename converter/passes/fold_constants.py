"""fold_constants: a node whose inputs are all constants is evaluated once by the numpy
reference and its outputs become constants. Graph outputs stay graph outputs. The outputs'
sizes (from shape inference) are charged to the conversion's constant budget before they
are computed (converter/limits.py)."""
from __future__ import annotations

from ..ir import Graph, constant_array
from ..limits import ConstantBudget
from ..reference import evaluate_node


def fold_constants(graph: Graph, budget: ConstantBudget | None = None) -> Graph:
    budget = budget or ConstantBudget()
    g = graph.copy()
    kept = []
    for node in g.nodes:
        inputs = [g.tensors[name] for name in node.inputs if name]
        if not inputs or not all(t.is_constant for t in inputs):
            kept.append(node)
            continue
        for name in node.outputs:
            t = g.tensors[name]
            budget.charge(f"node {node.name!r} ({node.op.name.lower()})", t.shape or (),
                          t.dtype.numpy)
        values = {t.name: t.data for t in inputs}
        for name, value in zip(node.outputs, evaluate_node(node, g, values)):
            g.tensors[name].data = constant_array(value)
    g.nodes = kept
    return g
