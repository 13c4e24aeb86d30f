"""Memory planning: an arena offset for every activation tensor, from tensor lifetimes.

A tensor lives from the node that produces it to the last node that reads it, both ends
inclusive, so a node's inputs and outputs never share memory. Graph inputs and outputs live
through the whole run: as in TFLite, a caller may set the inputs once and invoke again and
again, and reads the outputs after invoke. Tensors are placed greedily, largest first, at the lowest
64-byte aligned offset that overlaps no placed tensor whose lifetime overlaps theirs. Placed
tensors are indexed by lifetime (a segment tree over node indices), so placing one looks only
at the placed tensors alive with it: O(n log n) for n tensors when each overlaps few others in
time (a chain of 100k nodes plans in seconds), and never slower in order than the scan of all
placed tensors it replaces when many tensors live together.
RESHAPE is the one op allowed to run in place: its output takes its input's offset when the
input dies at that node and is not a graph input or output.
An empty tensor (a zero dim) is given offset 0 and no space.
The output of a DEQUANTIZE of a constant (int8 or float16 weights read by a float op) gets no
offset: the runtime computes it once at prepare, into memory of its own, so it is a constant
that costs no arena space.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ModelImportError, ShapeError
from .ir import Graph
from .ops import OpType

ALIGNMENT = 64


@dataclass
class MemoryPlan:
    arena_size: int
    offsets: dict[str, int]
    prepared: frozenset[str] = frozenset()   # constants computed at prepare: no offset


@dataclass
class _Block:
    """One arena region: a tensor and the RESHAPE outputs aliasing it."""
    name: str
    size: int
    first: int
    last: int
    offset: int = 0


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _nbytes(graph: Graph, name: str) -> int:
    t = graph.tensors[name]
    if t.shape is None:
        raise ShapeError(f"tensor '{name}' has no known shape; run shape inference first")
    return math.prod(t.shape) * t.dtype.numpy.itemsize


def prepared_constants(graph: Graph) -> frozenset[str]:
    """Outputs of the DEQUANTIZE nodes that read a constant."""
    return frozenset(node.outputs[0] for node in graph.nodes
                     if node.op == OpType.DEQUANTIZE and len(node.outputs) == 1
                     and node.inputs and node.inputs[0]
                     and graph.tensors[node.inputs[0]].is_constant)


def _activations(graph: Graph, prepared: frozenset[str]) -> list[str]:
    """Run-time tensors in order of first appearance."""
    return [name for name in graph.tensor_order()
            if not graph.tensors[name].is_constant and name not in prepared]


def _lifetimes(graph: Graph, names: list[str]) -> dict[str, list[int]]:
    end = len(graph.nodes)
    life = {name: [end, 0] for name in names}
    for name in graph.outputs:
        if name in life:
            life[name] = [end, end]
    for name in graph.inputs:
        if name in life:
            life[name] = [0, end]
    for i, node in enumerate(graph.nodes):
        for name in node.inputs + node.outputs + [t for t, _ in node.run_if]:
            if name in life:
                life[name][0] = min(life[name][0], i)
                life[name][1] = max(life[name][1], i)
    return life


def _reshape_aliases(graph: Graph, life: dict[str, list[int]]) -> dict[str, str]:
    """RESHAPE output -> the tensor whose memory it reuses (followed to the root)."""
    boundary = set(graph.inputs) | set(graph.outputs)
    alias: dict[str, str] = {}
    for i, node in enumerate(graph.nodes):
        if node.op != OpType.RESHAPE or len(node.outputs) != 1 or not node.inputs:
            continue
        src, dst = node.inputs[0], node.outputs[0]
        if (src in life and dst in life and src not in boundary and life[src][1] == i
                and _nbytes(graph, src) == _nbytes(graph, dst)):
            alias[dst] = alias.get(src, src)
    return alias


class _PlacedByTime:
    """The placed blocks, indexed by the node indices they live through, so that finding
    those whose lifetime overlaps a new block's visits only the index entries that lead to
    them, not every placed block.

    A segment tree over node indices 0..end: a block is stored at the O(log n) tree nodes
    whose ranges tile its lifetime, and a tree node is marked once its subtree holds a block
    (each is marked once, so adding is O(log n) amortized). A query walks down the marked
    nodes whose range meets the asked lifetime: O(log n) plus O(log n) per overlapping
    block found, at worst.
    """

    def __init__(self, end: int):
        self._leaves = 1 << max(end, 1).bit_length()   # > end: a leaf for every index
        self._stored: dict[int, list[_Block]] = {}
        self._marked = bytearray(2 * self._leaves)

    def add(self, block: _Block) -> None:
        lo, hi = block.first + self._leaves, block.last + self._leaves + 1
        while lo < hi:
            if lo & 1:
                self._store(lo, block)
                lo += 1
            if hi & 1:
                hi -= 1
                self._store(hi, block)
            lo, hi = lo >> 1, hi >> 1

    def _store(self, node: int, block: _Block) -> None:
        self._stored.setdefault(node, []).append(block)
        while node and not self._marked[node]:  # a marked node's ancestors are marked
            self._marked[node] = 1
            node >>= 1

    def overlapping(self, first: int, last: int) -> list[_Block]:
        """Placed blocks alive at some node index in [first, last], each once."""
        found: dict[int, _Block] = {}
        marked = self._marked
        todo = [(1, 0, self._leaves - 1)] if marked[1] else []
        while todo:  # every node in todo meets [first, last] and holds blocks below it
            node, lo, hi = todo.pop()
            for block in self._stored.get(node, ()):
                found[id(block)] = block
            if lo < hi:
                mid = (lo + hi) // 2
                if first <= mid and marked[2 * node]:
                    todo.append((2 * node, lo, mid))
                if mid < last and marked[2 * node + 1]:
                    todo.append((2 * node + 1, mid + 1, hi))
        return list(found.values())


def _place(blocks: list[_Block]) -> None:
    placed = _PlacedByTime(max((b.last for b in blocks), default=0))
    for b in sorted(blocks, key=lambda b: (-b.size, b.first, b.name)):
        # The sweep gives the same offset whatever the order of blocks at one offset, so the
        # index's order (not placement order) is fine.
        live = sorted(placed.overlapping(b.first, b.last), key=lambda p: p.offset)
        offset = 0
        for p in live:
            if offset + b.size <= p.offset:
                break
            offset = max(offset, _align(p.offset + p.size))
        b.offset = offset
        placed.add(b)


def plan_memory(graph: Graph) -> MemoryPlan:
    """Arena offsets of every run-time tensor. A graph output may be a stored constant
    (format 8: the runtime reads it in place), not one computed at prepare."""
    prepared = prepared_constants(graph)
    constant = [name for name in graph.outputs if name in prepared]
    if constant:
        raise ModelImportError(f"graph output(s) {constant} are constants computed at load: "
                               f"they depend on no graph input")
    names = _activations(graph, prepared)
    life = _lifetimes(graph, names)
    alias = _reshape_aliases(graph, life)
    blocks: dict[str, _Block] = {}
    for name in names:
        root = alias.get(name, name)
        first, last = life[name]
        block = blocks.setdefault(root, _Block(root, 0, first, last))
        block.size = max(block.size, _nbytes(graph, name))
        block.first = min(block.first, first)
        block.last = max(block.last, last)
    # An empty tensor takes no space: offset 0, whatever lives there (nothing reads it).
    _place([b for b in blocks.values() if b.size > 0])
    offsets = {name: blocks[alias.get(name, name)].offset for name in names}
    arena = max((b.offset + b.size for b in blocks.values()), default=0)
    return MemoryPlan(arena_size=_align(arena), offsets=offsets, prepared=prepared)
