"""remove_dead: merges RESHAPE chains, drops RESHAPEs that keep the shape, nodes whose outputs
nobody reads, and tensors nothing references."""
from __future__ import annotations

from ..ir import Graph
from ..ops import OpType
from ..ops.operands import runtime_operands
from .rewrite import bypass, drop_unused_nodes


def remove_dead(graph: Graph) -> Graph:
    g = graph.copy()
    producers = g.producers()
    for node in list(g.nodes):
        if node.op != OpType.RESHAPE:
            continue
        src = producers.get(node.inputs[0])
        if src is not None and src.op == OpType.RESHAPE:
            # A reshape of a reshape only needs the first one's input; the first may die below.
            node.inputs[0] = src.inputs[0]
        if tuple(g.tensors[node.inputs[0]].shape) == tuple(g.tensors[node.outputs[0]].shape) \
                and not runtime_operands(node):  # its run-time shape is checked at invoke
            if bypass(g, node):
                producers = g.producers()
    drop_unused_nodes(g)
    g.drop_unused_tensors()
    return g
