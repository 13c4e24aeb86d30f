"""Memory planning: an arena offset for every activation tensor, from tensor lifetimes.

A tensor lives from the node that produces it to the last node that reads it, both ends
inclusive, so a node's inputs and outputs never share memory. Graph inputs and outputs live
through the whole run: as in TFLite, a caller may set the inputs once and invoke again and
again, and reads the outputs after invoke. Tensors are placed greedily, largest first, at the lowest
64-byte aligned offset that overlaps no placed tensor whose lifetime overlaps theirs.
RESHAPE is the one op allowed to run in place: its output takes its input's offset when the
input dies at that node and is not a graph input or output.
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
        for name in node.inputs + node.outputs:
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


def _place(blocks: list[_Block]) -> None:
    placed: list[_Block] = []
    for b in sorted(blocks, key=lambda b: (-b.size, b.first, b.name)):
        live = sorted((p for p in placed if p.first <= b.last and b.first <= p.last),
                      key=lambda p: p.offset)
        offset = 0
        for p in live:
            if offset + b.size <= p.offset:
                break
            offset = max(offset, _align(p.offset + p.size))
        b.offset = offset
        placed.append(b)


def plan_memory(graph: Graph) -> MemoryPlan:
    """Arena offsets of every run-time tensor. A graph output must be computed at run time
    (the runtime fills outputs from the arena), so a constant one is an error."""
    prepared = prepared_constants(graph)
    constant = [name for name in graph.outputs
                if graph.tensors[name].is_constant or name in prepared]
    if constant:
        raise ModelImportError(f"graph output(s) {constant} are constants: they depend on no "
                               f"graph input")
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
    _place(list(blocks.values()))
    offsets = {name: blocks[alias.get(name, name)].offset for name in names}
    arena = max((b.offset + b.size for b in blocks.values()), default=0)
    return MemoryPlan(arena_size=_align(arena), offsets=offsets, prepared=prepared)
