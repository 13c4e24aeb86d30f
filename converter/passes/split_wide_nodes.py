"""split_wide_nodes: a CONCATENATION of more inputs than a node may have (MAX_NODE_IO, the
runtime's EMBER_MAX_IO) becomes a tree of concatenations, and a SPLIT of more outputs a tree
of splits, so that a model with a 128-way concatenation (an unrolled sequence, a TFLite
UNPACK of every time step) converts instead of being refused.

Each part in between takes the type and quantization of the tensors it stands for: those of
the concatenation's output (its inputs share them, the runtime checks that) or of the
split's input (its outputs share them). The tree copies values and never requantizes them,
so the model's output is the same bytes. A fused activation stays on the root
concatenation: the parts only move values. A SPLIT checking run-time sizes (ONNX Split's
input 1, one per output) is left whole, and the writer refuses it by name.

It runs last in the pipeline (passes/__init__.py), before quantization: calibration runs
the graph through the runtime, and the quantizer gives the parts of a concatenation the
scale its inputs and output share.
"""
from __future__ import annotations

import dataclasses

from ..ir import MAX_NODE_IO, Graph, Node, Tensor
from ..ops import OpType
from ..ops.concatenation import ConcatenationParams


def split_wide_nodes(graph: Graph) -> Graph:
    g = graph.copy()
    if not any(_is_wide(n) for n in g.nodes):
        return g
    taken = set(g.tensors) | {n.name for n in g.nodes}
    nodes: list[Node] = []
    for node in g.nodes:
        if node.op == OpType.CONCATENATION and _is_wide(node):
            nodes += _concatenation_tree(g, taken, node)
        elif node.op == OpType.SPLIT and _is_wide(node):
            nodes += _split_tree(g, taken, node)
        else:
            nodes.append(node)
    g.nodes = nodes
    return g


def _is_wide(node: Node) -> bool:
    if node.op == OpType.CONCATENATION:
        return len(node.inputs) > MAX_NODE_IO
    checks_sizes = len(node.inputs) > 1 and bool(node.inputs[1])
    return node.op == OpType.SPLIT and len(node.outputs) > MAX_NODE_IO and not checks_sizes


def _groups(names: list[str]) -> list[list[str]]:
    return [names[i:i + MAX_NODE_IO] for i in range(0, len(names), MAX_NODE_IO)]


def _part(g: Graph, taken: set[str], base: str, like: Tensor, members: list[str],
          axis: int) -> str:
    """A new tensor (its producer or consumer takes the same name) holding `members`
    side by side along `axis`, of `like`'s type and quantization."""
    name, i = f"{base}/part", 1
    while name in taken:
        name, i = f"{base}/part_{i}", i + 1
    taken.add(name)
    shape = list(like.shape or ())
    shape[axis] = sum((g.tensors[m].shape or ())[axis] for m in members)
    g.tensors[name] = Tensor(name, like.dtype, tuple(shape), quant=like.quant)
    return name


def _concatenation_tree(g: Graph, taken: set[str], node: Node) -> list[Node]:
    """Nodes in execution order: concatenations of up to MAX_NODE_IO inputs each, then
    `node` over their outputs (itself split again while it has too many)."""
    if len(node.inputs) <= MAX_NODE_IO:
        return [node]
    axis = node.params.axis
    out = g.tensors[node.outputs[0]]
    parts, leaves = [], []
    for group in _groups(node.inputs):
        if len(group) == 1:
            parts.append(group[0])
            continue
        part = _part(g, taken, node.name, out, group, axis)
        leaves.append(Node(OpType.CONCATENATION, part, group, [part],
                           ConcatenationParams(axis), node.run_if))
        parts.append(part)
    return leaves + _concatenation_tree(g, taken, dataclasses.replace(node, inputs=parts))


def _split_tree(g: Graph, taken: set[str], node: Node) -> list[Node]:
    """Nodes in execution order: `node` split into parts of up to MAX_NODE_IO outputs each
    (itself split again while it has too many), then a split of each part."""
    if len(node.outputs) <= MAX_NODE_IO:
        return [node]
    axis = node.params.axis
    whole = g.tensors[node.inputs[0]]
    parts, leaves = [], []
    for group in _groups(node.outputs):
        if len(group) == 1:
            parts.append(group[0])
            continue
        part = _part(g, taken, node.name, whole, group, axis)
        leaves.append(Node(OpType.SPLIT, part, [part], group, node.params, node.run_if))
        parts.append(part)
    return _split_tree(g, taken, dataclasses.replace(node, outputs=parts)) + leaves
