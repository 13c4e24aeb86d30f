"""GATHER with constant indices: an index out of range fails allocate_tensors with a message
naming the node, the index's position and value and the bound, instead of failing every
invoke with a bare "evaluation error". Run-time indices are still checked at each invoke."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite import EvalError, Interpreter, InvalidModelError
from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.kernels.fixed_point import empty_graph, run_graph


def gather_graph(indices: np.ndarray, constant: bool = True) -> Graph:
    """x [5, 3] gathered along axis 0 by `indices` (1-D), a constant or a graph input."""
    g = empty_graph()
    g.tensors["x"] = Tensor("x", DType.FLOAT32, (5, 3))
    data = constant_array(indices) if constant else None
    g.tensors["idx"] = Tensor("idx", DType.from_numpy(indices.dtype), indices.shape, data)
    g.tensors["out"] = Tensor("out", DType.FLOAT32, (len(indices), 3))
    g.nodes.append(Node(OpType.GATHER, "pick_rows", ["x", "idx"], ["out"], GatherParams(axis=0)))
    g.inputs = ["x"] if constant else ["x", "idx"]
    g.outputs = ["out"]
    return g


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("bad", [5, -6, 2**31 - 1])
def test_constant_index_out_of_range_fails_at_allocate(dtype: type, bad: int) -> None:
    indices = np.array([1, 0, bad, 2], dtype)
    g = gather_graph(indices)
    interp = Interpreter(model_content=serialize(g, plan_memory(g)))
    with pytest.raises(InvalidModelError) as e:
        interp.allocate_tensors()
    message = str(e.value)
    for part in ("node 0", "pick_rows", f"index {bad}", "position 2", "'idx'", "[-5,5)"):
        assert part in message, f"{part!r} not in {message!r}"


def test_constant_indices_in_range_gather() -> None:
    x = np.arange(15, dtype=np.float32).reshape(5, 3)
    indices = np.array([4, 0, -1, -5], np.int32)
    got = run_graph(gather_graph(indices), [x])[0]
    assert np.array_equal(got, x[indices])


def test_runtime_index_out_of_range_fails_at_invoke() -> None:
    g = gather_graph(np.array([0, 1], np.int32), constant=False)
    interp = Interpreter(model_content=serialize(g, plan_memory(g)))
    interp.allocate_tensors()
    details = {d["name"]: d["index"] for d in interp.get_input_details()}
    interp.set_tensor(details["x"], np.zeros((5, 3), np.float32))
    interp.set_tensor(details["idx"], np.array([0, 5], np.int32))
    with pytest.raises(EvalError):
        interp.invoke()
