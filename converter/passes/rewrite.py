"""Graph-editing helpers shared by the passes. They mutate the graph they are given; a pass
calls them only on its own copy."""
from __future__ import annotations

from ..ir import Graph, Node


def is_output(graph: Graph, name: str) -> bool:
    return name in graph.outputs


def rename_tensor(graph: Graph, old: str, new: str) -> None:
    """Renames tensor `old` to `new` everywhere; `new` must be free or about to be dropped."""
    tensor = graph.tensors[old]
    tensor.name = new
    graph.tensors = {(new if k == old else k): (tensor if k == old else t)
                     for k, t in graph.tensors.items() if k != new}
    for node in graph.nodes:
        node.inputs = [new if n == old else n for n in node.inputs]
        node.outputs = [new if n == old else n for n in node.outputs]
    graph.inputs = [new if n == old else n for n in graph.inputs]
    graph.outputs = [new if n == old else n for n in graph.outputs]


def replace_uses(graph: Graph, old: str, new: str) -> None:
    """Makes every node that reads `old` read `new` instead (graph outputs untouched)."""
    for node in graph.nodes:
        node.inputs = [new if n == old else n for n in node.inputs]


def bypass(graph: Graph, node: Node) -> bool:
    """Removes a one-input one-output node whose output equals its input (same shape and
    values). Returns False, leaving the graph as it was, when the graph's interface prevents it:
    the output is a graph output and the input is a graph input, output or constant."""
    src, dst = node.inputs[0], node.outputs[0]
    if not is_output(graph, dst):
        replace_uses(graph, dst, src)
        graph.nodes.remove(node)
        del graph.tensors[dst]
        return True
    if src in graph.inputs or is_output(graph, src) or graph.tensors[src].is_constant:
        return False
    graph.nodes.remove(node)
    shape = graph.tensors[dst].shape
    rename_tensor(graph, src, dst)
    graph.tensors[dst].shape = shape
    return True


def drop_unused_nodes(graph: Graph) -> bool:
    """Drops nodes none of whose outputs is read or is a graph output, until none is left."""
    changed = False
    while True:
        used = {n for node in graph.nodes for n in node.inputs} | set(graph.outputs)
        keep = [node for node in graph.nodes if any(o in used for o in node.outputs)]
        if len(keep) == len(graph.nodes):
            return changed
        graph.nodes = keep
        changed = True


def only_consumer(graph: Graph, name: str, node: Node) -> bool:
    """True when `node` is the only reader of tensor `name` and it is not a graph output."""
    if is_output(graph, name):
        return False
    return all(other is node for other in graph.nodes if name in other.inputs)
