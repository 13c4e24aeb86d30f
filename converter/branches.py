"""Which nodes run only on one side of a run-time choice (format 9's Operator.run_if).

A WHERE whose condition is one run-time bool picks one of its two data inputs whole. The nodes
whose results reach the graph only through one of those inputs are needed only when the
condition picks that side: they are guarded by it and the runtime skips them otherwise. This is
how an ONNX If on a run-time condition runs (importers/onnx_control_flow.py inlines both
branches and selects each output with such a WHERE): the branch not taken costs nothing, and a
node in it that would fail on the values it sees (an index out of range) is never run.

Guards nest: a WHERE inside one side is itself guarded, and the nodes of its own sides are
guarded by the outer condition first, then by the inner one, which the runtime reads in that
order (an inner condition holds a value only when the outer branch ran). This runs last, after
the passes and the quantization, so no pass needs to know of guards; the memory planner counts
a condition as read by every node it guards.
"""
from __future__ import annotations

import math
from collections import defaultdict

from .ir import DType, Graph
from .ops import OpType

RunIf = tuple[tuple[str, bool], ...]


def mark_branches(graph: Graph) -> None:
    """Sets run_if on every node that only one side of a one-bool WHERE reads."""
    nodes = graph.nodes
    producer = {out: i for i, node in enumerate(nodes) for out in node.outputs}
    readers: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i, node in enumerate(nodes):
        for slot, name in enumerate(node.inputs):
            if name:
                readers[name].append((i, slot))
    kept = set(graph.outputs)
    run_if: list[RunIf] = [() for _ in nodes]
    # Outer choices come after their inner ones: guard from the last WHERE back, so an inner
    # choice knows its own guards when it hands them on.
    for s in reversed(range(len(nodes))):
        if not _chooses(graph, nodes[s]):
            continue
        cond = nodes[s].inputs[0]
        start = producer.get(cond, -1) + 1
        for slot, holds in ((1, True), (2, False)):
            for i in _one_side(graph, s, slot, start, readers, kept):
                run_if[i] = run_if[s] + ((cond, holds),)
    for node, conditions in zip(nodes, run_if):
        node.run_if = conditions


def _chooses(graph: Graph, node) -> bool:
    """A WHERE on one run-time bool of fixed shape, choosing between two run-time values."""
    if node.op != OpType.WHERE or len(node.inputs) != 3 or not all(node.inputs):
        return False
    cond = graph.tensors[node.inputs[0]]
    fixed = cond.dim_symbols is None or all(k < 0 for k in cond.dim_symbols)
    return (cond.dtype == DType.BOOL and not cond.is_constant and fixed
            and cond.shape is not None and math.prod(cond.shape) == 1)


def _one_side(graph: Graph, select: int, slot: int, start: int,
              readers: dict[str, list[tuple[int, int]]], kept: set[str]) -> set[int]:
    """The nodes after `start` whose every output is read only by input `slot` of node
    `select` or by nodes already found: readers come after their producers, so one sweep
    backwards from the WHERE decides each node after all its readers."""
    side: set[int] = set()
    for i in range(select - 1, start - 1, -1):
        outputs = graph.nodes[i].outputs
        if any(o in kept for o in outputs):
            continue
        reads = [r for o in outputs for r in readers[o]]
        if reads and all(r == (select, slot) or r[0] in side for r in reads):
            side.add(i)
    return side
