"""GATHER: float32 against ONNX Runtime (constant and run-time int32/int64 indices, negative
indices, an index out of range failing the invoke), constant indices checked at allocate (the
message names the node, the index's position and value and the bound), and int8 on .tflite
files (axis 0 and middle axes, int32 and int64 indices, constant or fed as a graph input)
against LiteRT. GATHER on every element size is in test_data_movement_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from onnx import helper

from emberlite import EvalError, Interpreter, InvalidModelError
from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import convert_onnx, run_ember
from tests.importers import keras_int8_moves
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.data_movement_models import check, onnx_model, random_array
from tests.kernels.fixed_point import empty_graph, run_graph


@pytest.mark.parametrize("shape,axis,indices", [
    ((5, 4), 0, [[0, 4], [2, -1]]),
    ((5, 4), 1, [3, -4, 0]),
    ((2, 5, 4), 1, 2),
    ((2, 5, 4), -1, [[1], [3]]),
    ((3, 4, 5, 6), 2, [4, 0, -5]),
    ((7,), 0, [6, 0, -7, 3]),
], ids=str)
@pytest.mark.parametrize("index_type", [np.int64, np.int32], ids=["i64", "i32"])
def test_gather_constant_indices(shape: tuple[int, ...], axis: int, indices: Any,
                                 index_type: type) -> None:
    x = random_array(shape)
    model = onnx_model([helper.make_node("Gather", ["x", "i"], ["y"], axis=axis)], {"x": x},
                       ["y"], {"i": np.array(indices, index_type)})
    check(model, [x], "gather")


def _embedding(index_type: type, indices_shape: tuple[int, ...]) -> onnx.ModelProto:
    table = random_array((10, 8), seed=3)
    i = np.zeros(indices_shape, index_type)
    return onnx_model([helper.make_node("Gather", ["table", "i"], ["y"], axis=0)], {"i": i},
                      ["y"], {"table": table})


@pytest.mark.parametrize("index_type", [np.int64, np.int32], ids=["i64", "i32"])
def test_gather_runtime_indices(index_type: type) -> None:
    """An embedding lookup: constant table, indices fed at run time, negative ones included."""
    i = np.array([[0, 9, -1], [-10, 4, 4]], index_type)
    check(_embedding(index_type, i.shape), [i], "gather")


@pytest.mark.parametrize("bad", [10, -11, 1 << 40], ids=str)
def test_gather_out_of_range_index_fails(bad: int) -> None:
    model_bytes = convert_onnx(_embedding(np.int64, (3,)))
    with pytest.raises(EvalError):
        run_ember(model_bytes, [np.array([1, bad, 2], np.int64)])
    # The interpreter is still usable with good indices afterwards.
    good = run_ember(model_bytes, [np.array([1, 2, 3], np.int64)])[0]
    assert good.shape == (3, 8)


# ---- indices checked at allocate ------------------------------------------------------------
# An index of constant indices out of range fails allocate_tensors with a message naming the
# node, the index's position and value and the bound, instead of failing every invoke with a
# bare "evaluation error". Run-time indices are still checked at each invoke.

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


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_moves.py) ---------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_moves.litert_results(tmp_path_factory)


CASES = ["gather_axis0", "gather_axis2", "gather_int64", "gather_2d_indices",
         "gather_int32_input", "gather_int64_input"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
