"""The verifier against hostile memory plans and signatures: files the converter's writer
produces from a crafted plan (or patched and re-hashed), each refused with a message naming
what is wrong, and a sparse plan that allocate_tensors maps without committing its gaps."""
from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from emberlite import Interpreter, errors
from emberlite.converter.ir import DType, Graph, Node, Signature, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.planner import MemoryPlan, plan_memory
from emberlite.converter.writer import _HASH_SLOT_OFFSET, serialize
from emberlite.schema.Model import Model

N = 256  # floats per tensor: 1 KiB


def _chain(length: int = 3, elems: int = N) -> Graph:
    """x -> relu -> t1 -> relu -> ... -> t<length> (the graph output)."""
    names = ["x"] + [f"t{i}" for i in range(1, length + 1)]
    tensors = {n: Tensor(n, DType.FLOAT32, (elems,)) for n in names}
    nodes = [Node(OpType.RELU, f"relu{i}", [names[i]], [names[i + 1]]) for i in range(length)]
    return Graph(tensors, nodes, ["x"], [names[-1]])


def _with(graph: Graph, arena: int | None = None, **offsets: int) -> bytes:
    plan = plan_memory(graph)
    moved = {**plan.offsets, **offsets}
    end = max(moved[n] + N * 4 for n in moved)
    return serialize(graph, MemoryPlan(arena if arena is not None else (end + 63) // 64 * 64,
                                       moved, plan.prepared))


def _run(data: bytes, x: np.ndarray) -> np.ndarray:
    interp = Interpreter(model_content=data)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"]).copy()


def _rehash(buf: bytearray) -> bytes:
    """The writer's content hash, recomputed after a patch."""
    root = Model.GetRootAs(buf, 0)
    pos = root._tab.Pos + root._tab.Offset(_HASH_SLOT_OFFSET)
    buf[pos:pos + 32] = bytes(32)
    buf[pos:pos + 32] = hashlib.sha256(buf).digest()
    return bytes(buf)


def test_converter_plan_loads() -> None:
    graph = _chain()
    x = np.linspace(-2, 2, N, dtype=np.float32)
    np.testing.assert_array_equal(_run(serialize(graph, plan_memory(graph)), x),
                                  np.maximum(x, 0))


def test_declared_arena_above_need_is_refused() -> None:
    graph = _chain()
    plan = plan_memory(graph)
    for arena in (plan.arena_size + 64, 5 << 30):
        data = serialize(graph, MemoryPlan(arena, plan.offsets, plan.prepared))
        with pytest.raises(errors.InvalidModelError,
                           match=rf"arena size {arena} is more than the plan needs"):
            Interpreter(model_content=data)


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_sparse_plan_commits_only_what_tensors_touch() -> None:
    """The verifier bounds the arena's end, not its density: the output 256 MiB up is a valid
    plan, and allocate_tensors must not commit the gap below it."""
    graph = _chain()
    far = 256 << 20
    data = _with(graph, t3=far)
    interp = Interpreter(model_content=data)
    before = _resident_bytes()
    interp.allocate_tensors()
    grown = _resident_bytes() - before
    assert interp.arena_size >= far
    assert grown < 32 << 20, f"allocate_tensors committed {grown} bytes of a sparse arena"
    x = np.linspace(-2, 2, N, dtype=np.float32)
    np.testing.assert_array_equal(_run(data, x), np.maximum(x, 0))


def test_output_on_graph_input_is_refused() -> None:
    """The output written over the input: the second invoke would read the first's output."""
    graph = _chain()
    plan = plan_memory(graph)
    data = _with(graph, t3=plan.offsets["x"])
    with pytest.raises(errors.InvalidModelError,
                       match=r"tensors 0 'x' \(1024 bytes at arena offset \d+, live from node 0 "
                             r"to the end of the run\) and 3 't3' \(1024 bytes at arena offset "
                             r"\d+, live from node 2 to the end of the run\) overlap"):
        Interpreter(model_content=data)


def _fork() -> Graph:
    """a = relu(x) at node 0, b = relu(x) at node 1, y = a + b at node 2: a is live at node 1
    though node 1 does not use it."""
    tensors = {n: Tensor(n, DType.FLOAT32, (N,)) for n in ("x", "a", "b", "y")}
    nodes = [Node(OpType.RELU, "relu0", ["x"], ["a"]), Node(OpType.RELU, "relu1", ["x"], ["b"]),
             Node(OpType.ADD, "add", ["a", "b"], ["y"], BinaryParams())]
    return Graph(tensors, nodes, ["x"], ["y"])


@pytest.mark.parametrize("shift", [0, 16, 1008])
def test_live_intermediates_overlapping_are_refused(shift: int) -> None:
    """b written over a (wholly, or sharing all but 16 bytes, or 16 bytes) while a waits for
    node 2: the sum would be 2 * relu(x) whatever a was."""
    data = _with(_fork(), x=0, a=1024, b=1024 + shift, y=3072)
    with pytest.raises(errors.InvalidModelError,
                       match=rf"tensors 1 'a' \(1024 bytes at arena offset 1024, live at nodes "
                             rf"0..2\) and 2 'b' \(1024 bytes at arena offset {1024 + shift}, "
                             rf"live at nodes 1..2\) overlap in the arena while both are live"):
        Interpreter(model_content=data)


def test_fork_apart_runs() -> None:
    x = np.linspace(-2, 2, N, dtype=np.float32)
    np.testing.assert_array_equal(_run(_with(_fork(), x=0, a=1024, b=2048, y=3072), x),
                                  2 * np.maximum(x, 0))


def test_dead_tensors_may_share() -> None:
    """t1 dies at node 1 and t3 is born at node 2: the same bytes serve both."""
    graph = _chain(4)
    plan = plan_memory(graph)
    data = _with(graph, t3=plan.offsets["t1"])
    x = np.linspace(-2, 2, N, dtype=np.float32)
    np.testing.assert_array_equal(_run(data, x), np.maximum(x, 0))


def test_long_chain_overlap_found_at_the_end() -> None:
    """20000 nodes alternating between two slots pass; the last output moved onto the graph
    input is found and named."""
    length = 20_000
    graph = _chain(length, elems=4)
    offsets = {"x": 0} | {f"t{i}": 64 * (1 + i % 2) for i in range(1, length + 1)}
    data = serialize(graph, MemoryPlan(192, offsets))
    Interpreter(model_content=data)
    offsets[f"t{length}"] = 0
    with pytest.raises(errors.InvalidModelError, match=rf"'x' .* and {length} 't{length}'"):
        Interpreter(model_content=serialize(graph, MemoryPlan(192, offsets)))


def _signature_tensor_pos(buf: bytearray, outputs: bool) -> int:
    sig = Model.GetRootAs(buf, 0).Signatures(0)
    entry = sig.Outputs(0) if outputs else sig.Inputs(0)
    return entry._tab.Pos + entry._tab.Offset(6)  # TensorMap.tensor


@pytest.mark.parametrize("outputs, target, kind", [(False, 1, "input"), (True, 0, "output")])
def test_signature_must_name_graph_io(outputs: bool, target: int, kind: str) -> None:
    graph = _chain()
    buf = bytearray(serialize(graph, plan_memory(graph)))
    pos = _signature_tensor_pos(buf, outputs)
    buf[pos:pos + 4] = struct.pack("<i", target)
    with pytest.raises(errors.InvalidModelError,
                       match=rf"signature 0 'serving_default': {kind} '\w+' names tensor "
                             rf"{target} '\w+', which is not a graph {kind}"):
        Interpreter(model_content=_rehash(buf))


def _patch_string(buf: bytearray, old: bytes, new: bytes) -> None:
    """Overwrites the one FlatBuffer string `old` (length-prefixed) with `new` of its length."""
    marker = struct.pack("<I", len(old)) + old + b"\0"
    assert buf.count(marker) == 1 and len(new) == len(old)
    pos = buf.index(marker) + 4
    buf[pos:pos + len(old)] = new


def test_signature_names_unique() -> None:
    """One signature naming two inputs alike, or two signatures with one key: a lookup by name
    would find only one of them."""
    tensors = {n: Tensor(n, DType.FLOAT32, (N,)) for n in ("p", "q", "y")}
    graph = Graph(tensors, [Node(OpType.ADD, "add", ["p", "q"], ["y"], BinaryParams())],
                  ["p", "q"], ["y"])
    graph.signatures = [Signature("run_a", (("left", 0), ("right", 1)), (("sum", 0),)),
                        Signature("run_b", (("in0", 0), ("in1", 1)), (("out", 0),))]
    good = serialize(graph, plan_memory(graph))
    Interpreter(model_content=good)
    buf = bytearray(good)
    _patch_string(buf, b"in1", b"in0")
    with pytest.raises(errors.InvalidModelError,
                       match="signature 1 'run_b': input name 'in0' appears more than once"):
        Interpreter(model_content=_rehash(buf))
    buf = bytearray(good)
    _patch_string(buf, b"run_b", b"run_a")
    with pytest.raises(errors.InvalidModelError,
                       match="signature key 'run_a' appears more than once"):
        Interpreter(model_content=_rehash(buf))
