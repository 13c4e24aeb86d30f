"""GATHER_ELEMENTS, GATHER_ND, SCATTER_ND and SCATTER_ELEMENTS (csrc/kernels/gather_elements.c,
gather_nd.c, scatter_nd.c, scatter_elements.c): ONNX's GatherElements, GatherND, ScatterND,
ScatterElements and Scatter with run-time indices against ONNX Runtime on random shapes of
ranks 1 to 4, every axis (and batch_dims, and tuple length), int32 and int64 indices with
negative ones, every reduction with duplicate indices, float32, int32, int64 and bool data;
int8 data through the IR against the reference evaluator; an index out of range at run time
fails the invoke naming the node (and leaves the process standing); constant indices out of
range, wrong types, ranks, shapes and axes are refused with node and reason, by the converter
and (for files it would not write) by the C checks."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.gather_nd import GatherNDParams
from emberlite.converter.ops.scatter_nd import ScatterParams, ScatterReduction
from emberlite.converter.planner import plan_memory
from emberlite.converter.reference import evaluate
from emberlite.converter.writer import serialize
from emberlite.errors import EvalError, InvalidModelError
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.kernels.single_node import run_node

ONNX_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int32): TensorProto.INT32,
              np.dtype(np.int64): TensorProto.INT64, np.dtype(np.bool_): TensorProto.BOOL}
DATA_TYPES = [np.float32, np.int32, np.int64, np.bool_]
REDUCTIONS = ["none", "add", "mul", "max", "min"]
RANKS = [1, 2, 3, 4]


def _model(op: str, inputs: list[tuple[str, np.ndarray]], out: tuple[np.dtype, tuple],
           opset: int = 18, **attrs) -> onnx.ModelProto:
    node = helper.make_node(op, [n for n, _ in inputs], ["y"], name="the_node", **attrs)
    graph = helper.make_graph(
        [node], op,
        [helper.make_tensor_value_info(n, ONNX_TYPES[v.dtype], v.shape) for n, v in inputs],
        [helper.make_tensor_value_info("y", ONNX_TYPES[np.dtype(out[0])], out[1])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _data(dtype: type, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype == np.float32:
        return rng.uniform(-4, 4, shape).astype(np.float32)
    return rng.integers(-50, 50, shape).astype(dtype)


def _signed(index: np.ndarray, size: np.ndarray | int, rng: np.random.Generator) -> np.ndarray:
    """Positions in [0, size) written as a mix of positive and negative (from the end)."""
    return np.where(rng.integers(0, 2, index.shape) == 1, index - size, index)


def _check(model: onnx.ModelProto, inputs: list[np.ndarray]) -> None:
    got, = run_ember(convert_onnx(model), inputs)
    want, = run_ort(model, inputs)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def _shape(rank: int, rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(int(d) for d in rng.integers(1, 5, rank))


def _elements_indices(data_shape: tuple[int, ...], axis: int, index_type: type,
                      rng: np.random.Generator, unique: bool = False) -> np.ndarray:
    """GatherElements / ScatterElements indices: no longer than the data off the axis, any
    length along it (at most the axis length when `unique`, each line a permutation)."""
    size = data_shape[axis]
    shape = [int(rng.integers(1, d + 1)) for d in data_shape]
    shape[axis] = int(rng.integers(1, size + 1)) if unique else int(rng.integers(1, 6))
    if unique:
        keys = rng.random((*shape[:axis], size, *shape[axis + 1:]))
        index = np.argsort(keys, axis=axis).take(range(shape[axis]), axis=axis)
    else:
        index = rng.integers(0, size, shape)
    return _signed(index, size, rng).astype(index_type)


@pytest.mark.parametrize("dtype", DATA_TYPES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("rank", RANKS)
def test_gather_elements_matches_onnx_runtime(rank: int, dtype: type) -> None:
    rng = np.random.default_rng(rank * 10 + DATA_TYPES.index(dtype))
    for axis in range(-rank, rank):
        shape = _shape(rank, rng)
        data = _data(dtype, shape, rng)
        for index_type in (np.int32, np.int64):
            indices = _elements_indices(shape, axis % rank, index_type, rng)
            _check(_model("GatherElements", [("data", data), ("indices", indices)],
                          (dtype, indices.shape), axis=axis), [data, indices])


@pytest.mark.parametrize("dtype", DATA_TYPES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("rank", RANKS)
def test_gather_nd_matches_onnx_runtime(rank: int, dtype: type) -> None:
    rng = np.random.default_rng(rank * 20 + DATA_TYPES.index(dtype))
    for b in range(rank):
        for k in range(1, rank - b + 1):
            shape = _shape(rank, rng)
            data = _data(dtype, shape, rng)
            lead = tuple(int(d) for d in rng.integers(1, 4, int(rng.integers(0, 3))))
            sizes = np.array(shape[b:b + k])
            index = (rng.random((*shape[:b], *lead, k)) * sizes).astype(np.int64)
            indices = _signed(index, sizes, rng)  # ONNX's GatherND takes int64 only
            out = (*indices.shape[:-1], *shape[b + k:])
            _check(_model("GatherND", [("data", data), ("indices", indices)], (dtype, out),
                          batch_dims=b), [data, indices])


def _reduction_types(reduction: str) -> list[type]:
    """ONNX Runtime's reductions take numbers, not bool."""
    return DATA_TYPES if reduction == "none" else [np.float32, np.int32, np.int64]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("rank", RANKS)
def test_scatter_nd_matches_onnx_runtime(rank: int, reduction: str) -> None:
    """Without a reduction each slice is written once (ONNX leaves duplicates undefined);
    with one, duplicates fold in order."""
    rng = np.random.default_rng(rank * 30 + REDUCTIONS.index(reduction))
    for dtype in _reduction_types(reduction):
        for k in range(1, rank + 1):
            shape = _shape(rank, rng)
            data = _data(dtype, shape, rng)
            sizes = np.array(shape[:k])
            cells = int(np.prod(sizes))
            if reduction == "none":
                flat = rng.permutation(cells)[:int(rng.integers(1, cells + 1))]
            else:
                flat = rng.integers(0, cells, int(rng.integers(1, 2 * cells + 2)))
            index = np.stack(np.unravel_index(flat, shape[:k]), axis=-1)
            indices = _signed(index, sizes, rng).astype(np.int64)  # as ONNX's takes
            updates = _data(dtype, (len(flat), *shape[k:]), rng)
            if dtype != np.float32 and reduction == "mul":
                updates = np.asarray(rng.integers(-2, 3, updates.shape), dtype)
            _check(_model("ScatterND", [("data", data), ("indices", indices),
                                        ("updates", updates)], (dtype, shape),
                          reduction=reduction), [data, indices, updates])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("rank", RANKS)
def test_scatter_elements_matches_onnx_runtime(rank: int, reduction: str) -> None:
    rng = np.random.default_rng(rank * 40 + REDUCTIONS.index(reduction))
    for dtype in _reduction_types(reduction):
        for axis in range(-rank, rank):
            shape = _shape(rank, rng)
            data = _data(dtype, shape, rng)
            indices = _elements_indices(shape, axis % rank, (np.int32, np.int64)[axis % 2],
                                        rng, unique=reduction == "none")
            updates = _data(dtype, indices.shape, rng)
            _check(_model("ScatterElements", [("data", data), ("indices", indices),
                                              ("updates", updates)], (dtype, shape),
                          axis=axis, reduction=reduction), [data, indices, updates])


def test_nd_ops_take_int32_indices() -> None:
    """TFLite's index type (ONNX's GatherND and ScatterND take int64 only): the IR nodes
    against the reference evaluator and numpy."""
    rng = np.random.default_rng(8)
    data = _data(np.float32, (3, 4, 2), rng)
    indices = np.array([[[2, -1]], [[0, 0]]], np.int32)
    got, want = run_node(OpType.GATHER_ND, [data, indices], (2, 1, 2), DType.FLOAT32,
                         GatherNDParams(0))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, data[[[2], [0]], [[3], [0]]])
    updates = _data(np.float32, (2, 1, 2), rng)
    got, want = run_node(OpType.SCATTER_ND, [data, indices, updates], (3, 4, 2), DType.FLOAT32,
                         ScatterParams(0, ScatterReduction.ADD))
    expect = data.copy()
    expect[2, 3] += updates[0, 0]
    expect[0, 0] += updates[1, 0]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, expect, rtol=1e-6)


@pytest.mark.parametrize("reduction", [ScatterReduction.MAX, ScatterReduction.MIN],
                         ids=lambda r: r.name.lower())
def test_nan_wins_max_and_min(reduction: ScatterReduction) -> None:
    """On either side, as numpy's maximum and minimum (the reference evaluator)."""
    data = np.array([[np.nan, 1.0, 2.0, -np.inf]], np.float32)
    indices = np.array([[0, 1, 1, 3, 2]], np.int64)
    updates = np.array([[5.0, np.nan, 0.0, 7.0, -1.0]], np.float32)
    got, want = run_node(OpType.SCATTER_ELEMENTS, [data, indices, updates], (1, 4),
                         DType.FLOAT32, ScatterParams(1, reduction))
    fold = np.maximum if reduction == ScatterReduction.MAX else np.minimum
    expect = data.copy()
    fold.at(expect, (np.zeros(5, np.int64), indices[0]), updates[0])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, expect)
    assert np.isnan(got[0, :2]).all()


def test_scatter_opset_10_is_scatter_elements() -> None:
    rng = np.random.default_rng(5)
    data = _data(np.float32, (3, 4), rng)
    indices = _elements_indices((3, 4), 1, np.int64, rng, unique=True)
    updates = _data(np.float32, indices.shape, rng)
    _check(_model("Scatter", [("data", data), ("indices", indices), ("updates", updates)],
                  (np.float32, (3, 4)), opset=10, axis=1), [data, indices, updates])


def test_a_constant_table_read_by_run_time_indices() -> None:
    """Only the indices are a graph input (a lookup in constant weights)."""
    rng = np.random.default_rng(6)
    table = _data(np.float32, (5, 3), rng)
    indices = rng.integers(-5, 5, (2, 3)).astype(np.int64)
    node = helper.make_node("GatherElements", ["table", "indices"], ["y"], axis=0)
    graph = helper.make_graph(
        [node], "lookup", [helper.make_tensor_value_info("indices", TensorProto.INT64, (2, 3))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (2, 3))],
        [onnx.numpy_helper.from_array(table, "table")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    _check(model, [indices])


@pytest.mark.parametrize("op", ["GatherElements", "ScatterElements", "GatherND", "ScatterND"])
def test_after_a_convolution(op: str) -> None:
    """The index op reads the channel axis of a convolution's output, which runs NHWC inside:
    the layout pass must hand it the ONNX layout."""
    rng = np.random.default_rng(9)
    w = onnx.numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    x = rng.standard_normal((1, 3, 5, 6)).astype(np.float32)
    elements = op.endswith("Elements")
    idx = (rng.integers(-4, 4, (1, 2, 5, 6)) if elements
           else np.array([[0, 1, 2], [0, -1, 4]]) if op == "GatherND"
           else np.array([[0, 1], [0, -1]])).astype(np.int64)
    feeds = [("x", x), ("i", idx)]
    if op.startswith("Scatter"):
        feeds.append(("u", rng.standard_normal(idx.shape if elements else (2, 5, 6))
                      .astype(np.float32)))
    out = {"GatherElements": idx.shape, "GatherND": (2, 6)}.get(op, (1, 4, 5, 6))
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node(op, ["c", *(n for n, _ in feeds[1:])], ["y"],
                              **({"axis": 1} if elements else {}))]
    graph = helper.make_graph(
        nodes, op, [helper.make_tensor_value_info(n, ONNX_TYPES[v.dtype], v.shape)
                    for n, v in feeds],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    inputs = [v for _, v in feeds]
    got, = run_ember(convert_onnx(model), inputs)
    np.testing.assert_allclose(got, run_ort(model, inputs)[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op,inputs,ranges,attrs", [
    ("GatherND", [("d", np.float32, ["n", 4]), ("i", np.int64, ["m", 1])],
     {"d": [(2, 8), 4], "i": [(1, 6), 1]}, {}),
    ("GatherElements", [("d", np.float32, ["n", 4]), ("i", np.int64, ["m", 4])],
     {"d": [(2, 8), 4], "i": [(1, 6), 4]}, {"axis": 0}),
    ("ScatterND", [("d", np.float32, ["n", 4]), ("i", np.int64, ["m", 1]),
                   ("u", np.float32, ["m", 4])],
     {"d": [(2, 8), 4], "i": [(1, 6), 1], "u": [(1, 6), 4]}, {"reduction": "add"}),
    ("ScatterElements", [("d", np.float32, [3, "n"]), ("i", np.int64, [3, "m"]),
                         ("u", np.float32, [3, "m"])],
     {"d": [3, (2, 8)], "i": [3, (1, 6)], "u": [3, (1, 6)]}, {"axis": 1, "reduction": "add"}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_outputs_follow_resized_inputs(op: str, inputs: list, ranges: dict, attrs: dict) -> None:
    """One file converted with dynamic data and index lengths runs at several sizes inside the
    bounds (the shape rules and prepare run again), against ONNX Runtime."""
    from emberlite import Interpreter
    from emberlite.converter import Converter

    graph = helper.make_graph(
        [helper.make_node(op, [n for n, _, _ in inputs], ["y"], **attrs)], op,
        [helper.make_tensor_value_info(n, ONNX_TYPES[np.dtype(t)], s) for n, t, s in inputs],
        [helper.make_empty_tensor_value_info("y")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    interp = Interpreter(model_content=Converter.from_onnx(model, input_shapes=ranges).convert())
    interp.allocate_tensors()
    rng = np.random.default_rng(11)
    for n, m in [(2, 1), (8, 6), (5, 3)]:
        values = [_data(t, tuple(n if d == "n" else m if d == "m" else d for d in s), rng)
                  if t == np.float32 else
                  rng.integers(-n, n, [n if d == "n" else m if d == "m" else d for d in s])
                  for _, t, s in inputs]
        for detail, value in zip(interp.get_input_details(), values):
            interp.resize_tensor_input(detail["index"], list(value.shape))
        interp.allocate_tensors()
        got, = run_ember(b"", values, interpreter=interp)
        want, = run_ort(model, values)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


# --- int8: the ops move stored values, one quantization throughout --------------------------
Q = QuantParams((0.05,), (3,))


def _run_int8(op: OpType, inputs: list[np.ndarray], out_shape: tuple[int, ...],
              params: object) -> tuple[np.ndarray, np.ndarray]:
    """One int8 node (data and updates int8 with Q, the indices run-time): Emberlite's output
    and the reference evaluator's."""
    names = [f"x{i}" for i in range(len(inputs))]
    tensors = {n: Tensor(n, DType.from_numpy(v.dtype), v.shape,
                         quant=Q if v.dtype == np.int8 else None) for n, v in zip(names, inputs)}
    tensors["y"] = Tensor("y", DType.INT8, out_shape, quant=Q)
    graph = Graph(tensors, [Node(op, op.name.lower(), names, ["y"], params)], names, ["y"])
    got, = run_ember(serialize(graph, plan_memory(graph)), inputs)
    return got, evaluate(graph, dict(zip(names, inputs)))["y"]


@pytest.mark.parametrize("reduction", [ScatterReduction.NONE, ScatterReduction.MAX,
                                       ScatterReduction.MIN], ids=lambda r: r.name.lower())
def test_int8_moves_stored_values(reduction: ScatterReduction) -> None:
    rng = np.random.default_rng(7)
    data = rng.integers(-128, 128, (3, 4, 5)).astype(np.int8)
    idx = rng.integers(-4, 4, (3, 2, 5)).astype(np.int32)
    cases = [
        (OpType.GATHER_ELEMENTS, [data, idx], (3, 2, 5), GatherParams(1)),
        (OpType.GATHER_ND, [data, np.array([[1, -1], [0, 2]], np.int64)], (2, 5),
         GatherNDParams(0)),
        (OpType.SCATTER_ELEMENTS, [data, idx, rng.integers(-128, 128, (3, 2, 5)).astype(np.int8)],
         (3, 4, 5), ScatterParams(1, reduction)),
        (OpType.SCATTER_ND, [data, np.array([[2], [0], [2]], np.int64),
                             rng.integers(-128, 128, (3, 4, 5)).astype(np.int8)], (3, 4, 5),
         ScatterParams(0, reduction)),
    ]
    for op, inputs, out_shape, params in cases:
        if reduction != ScatterReduction.NONE and op in (OpType.GATHER_ELEMENTS,
                                                         OpType.GATHER_ND):
            continue
        if reduction == ScatterReduction.NONE and op == OpType.SCATTER_ELEMENTS:
            inputs[1] = np.argsort(rng.random((3, 4, 5)), axis=1)[:, :2].astype(np.int32)
        got, want = _run_int8(op, inputs, out_shape, params)
        assert got.dtype == np.int8
        np.testing.assert_array_equal(got, want, err_msg=op.name)


# --- indices out of range at run time --------------------------------------------------------
def _out_of_range_models() -> list[tuple[str, onnx.ModelProto, list[np.ndarray]]]:
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    bad = np.array([[0, 4, 1]], np.int64)   # 4 is past the end of axis 1
    low = np.array([[0, -5, 1]], np.int64)  # -5 is before the start
    upd = np.ones((1, 3), np.float32)
    nd = np.array([[1, 0], [2, 9]], np.int64)
    return [
        ("gather_elements", _model("GatherElements", [("d", data), ("i", bad)],
                                   (np.float32, (1, 3)), axis=1), [data, bad]),
        ("gather_elements", _model("GatherElements", [("d", data), ("i", low)],
                                   (np.float32, (1, 3)), axis=1), [data, low]),
        ("gather_nd", _model("GatherND", [("d", data), ("i", nd)], (np.float32, (2,))),
         [data, nd]),
        ("scatter_nd", _model("ScatterND", [("d", data), ("i", nd), ("u", upd[0, :2])],
                              (np.float32, (3, 4)), reduction="add"), [data, nd, upd[0, :2]]),
        ("scatter_elements", _model("ScatterElements", [("d", data), ("i", bad), ("u", upd)],
                                    (np.float32, (3, 4)), axis=1), [data, bad, upd]),
    ]


@pytest.mark.parametrize("kernel,model,inputs", _out_of_range_models(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_an_index_out_of_range_fails_the_invoke_naming_the_node(
        kernel: str, model: onnx.ModelProto, inputs: list[np.ndarray]) -> None:
    """The kernel stops before it reads or writes outside a tensor (ASan builds of the C
    tests hold the same line); the interpreter stays usable: good indices run after."""
    from emberlite import Interpreter

    interp = Interpreter(model_content=convert_onnx(model))
    interp.allocate_tensors()
    with pytest.raises(EvalError, match=f"node \\d+ \\({kernel} 'the_node'\\): evaluation error"):
        run_ember(b"", inputs, interpreter=interp)
    good = [np.clip(v, -1, 1) if v.dtype == np.int64 else v for v in inputs]
    np.testing.assert_array_equal(run_ember(b"", good, interpreter=interp)[0],
                                  run_ort(model, good)[0])


# --- refusals: converter ---------------------------------------------------------------------
def _refused(model: onnx.ModelProto, message: str) -> None:
    with pytest.raises((ModelImportError, UnsupportedOpsError), match=message) as info:
        convert_onnx(model)
    assert "the_node" in str(info.value)


F = np.zeros((3, 4), np.float32)
I2 = np.zeros((2, 4), np.int64)


@pytest.mark.parametrize("op,inputs,out,attrs,message", [
    ("GatherElements", [("d", F), ("i", I2.astype(np.float32))], (2, 4), {"axis": 0},
     "FLOAT"),
    ("GatherElements", [("d", F), ("i", np.zeros((2,), np.int64))], (2,), {"axis": 0},
     "indices must have the data's rank 2"),
    ("GatherElements", [("d", F), ("i", I2)], (2, 4), {"axis": 2}, "axis 2 is out of range"),
    ("GatherElements", [("d", F), ("i", np.zeros((2, 5), np.int64))], (2, 5), {"axis": 0},
     "indices dim 1 \\(5\\) exceeds the data's \\(4\\)"),
    ("GatherND", [("d", F), ("i", np.zeros((2, 3), np.int64))], (2,), {},
     "last dim must lie in \\[1, 2\\]"),
    ("GatherND", [("d", F), ("i", np.zeros((2, 1), np.int64))], (2,), {"batch_dims": 2},
     "batch_dims 2 must lie in"),
    ("GatherND", [("d", F), ("i", np.zeros((2, 1), np.int32))], (2,), {"batch_dims": 1},
     "batch.*dims of data \\[3, 4\\] and indices \\[2, 1\\] must agree"),
    ("ScatterND", [("d", F), ("i", np.zeros((2, 1), np.int64)), ("u", np.zeros((2, 3),
                                                                              np.float32))],
     (3, 4), {}, "updates must have shape \\[2, 4\\]"),
    ("ScatterND", [("d", F), ("i", np.zeros((2, 1), np.int64)), ("u", np.zeros((2, 4),
                                                                              np.int64))],
     (3, 4), {}, "updates .* must have the data's type FLOAT32, got INT64"),
    ("ScatterElements", [("d", F), ("i", I2), ("u", np.zeros((2, 3), np.float32))], (3, 4),
     {"axis": 1}, "updates must have the indices' shape \\[2, 4\\]"),
    ("ScatterElements", [("d", F), ("i", I2), ("u", F[:2])], (3, 4), {"axis": -3},
     "axis -3 is out of range"),
    ("ScatterElements", [("d", F), ("i", I2), ("u", F[:2])], (3, 4),
     {"axis": 0, "reduction": "mean"}, "reduction"),
    ("ScatterElements", [("d", F.astype(bool)), ("i", I2), ("u", F[:2].astype(bool))], (3, 4),
     {"reduction": "add"}, "reduction add does not take BOOL data"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_malformed_nodes_are_refused_with_node_and_reason(op: str, inputs: list, out: tuple,
                                                           attrs: dict, message: str) -> None:
    _refused(_model(op, inputs, (inputs[0][1].dtype, out), **attrs), message)


@pytest.mark.parametrize("op,indices,attrs,message", [
    ("GatherElements", np.array([[0, 3, -4, 0]]), {"axis": 0},
     "index 3 \\(at position 1 .*out of range \\[-3, 3\\)"),
    ("GatherND", np.array([[1, 4]]), {}, "index 4 \\(tuple 0, position 1 .*\\[-4, 4\\)"),
    ("ScatterND", np.array([[-4]]), {}, "index -4 \\(tuple 0, position 0 .*\\[-3, 3\\)"),
    ("ScatterElements", np.array([[0, 0, 9, 0]]), {"axis": 0}, "index 9 .*\\[-3, 3\\)"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_constant_indices_out_of_range_are_refused(op: str, indices: np.ndarray, attrs: dict,
                                                   message: str) -> None:
    data = np.zeros((3, 4), np.float32)
    updates = {"GatherElements": None, "GatherND": None,
               "ScatterND": np.zeros((1, 4), np.float32),
               "ScatterElements": np.zeros((1, 4), np.float32)}[op]
    names = ["d", "i"] + (["u"] if updates is not None else [])
    node = helper.make_node(op, names, ["y"], name="the_node", **attrs)
    ins = [helper.make_tensor_value_info("d", TensorProto.FLOAT, data.shape)]
    if updates is not None:
        ins.append(helper.make_tensor_value_info("u", TensorProto.FLOAT, updates.shape))
    graph = helper.make_graph([node], op, ins,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [onnx.numpy_helper.from_array(indices.astype(np.int64), "i")])
    _refused(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), message)


# --- refusals: the C checks, on files the converter would not write ---------------------------
def _c_refusal(op: OpType, inputs: list[np.ndarray], out_shape: tuple[int, ...],
               out_dtype: DType, params: object, message: str) -> None:
    with pytest.raises(InvalidModelError, match=f"node 0 \\({op.name.lower()}\\): {message}"):
        run_node(op, inputs, out_shape, out_dtype, params)


@pytest.mark.parametrize("case", [
    (OpType.GATHER_ELEMENTS, [F, I2.astype(np.float32)], (2, 4), DType.FLOAT32,
     GatherParams(0), "indices must be INT32 or INT64, got type 0"),
    (OpType.GATHER_ELEMENTS, [F, I2[0]], (4,), DType.FLOAT32, GatherParams(0),
     "indices must have the data's rank 2, got 1"),
    (OpType.GATHER_ELEMENTS, [F, I2], (2, 4), DType.FLOAT32, GatherParams(2),
     "axis must be in \\[-2,2\\), got 2"),
    (OpType.GATHER_ELEMENTS, [F, I2], (2, 4), DType.INT32, GatherParams(0),
     "'y' must have the data's type 0, got 5"),
    (OpType.GATHER_ELEMENTS, [F, I2], (2, 3), DType.FLOAT32, GatherParams(0),
     "output 'y' must have the shape of input"),
    (OpType.GATHER_ND, [F, np.zeros((2, 3), np.int32)], (2,), DType.FLOAT32,
     GatherNDParams(0), "the indices' last dim must lie in \\[1, 2\\]"),
    (OpType.GATHER_ND, [F, np.zeros((2, 1), np.int32)], (2, 4), DType.FLOAT32,
     GatherNDParams(-1), "batch_dims -1 must lie in"),
    (OpType.GATHER_ND, [F, np.zeros((2, 1), np.int32)], (2, 3), DType.FLOAT32,
     GatherNDParams(0), "an output dim must be 4, got 3"),
    (OpType.SCATTER_ND, [F, np.zeros((2, 1), np.int64), np.zeros((2, 3), np.float32)],
     (3, 4), DType.FLOAT32, ScatterParams(0), "an updates dim must be 4, got 3"),
    (OpType.SCATTER_ND, [F, np.zeros((2, 1), np.int64), np.zeros((2, 4), np.float32)],
     (3, 4), DType.FLOAT32, ScatterParams(1), "axis \\(scatter_nd takes none\\) must be 0"),
    (OpType.SCATTER_ND, [F, np.zeros((2, 1), np.int64), np.zeros((2, 4), np.int32)],
     (3, 4), DType.FLOAT32, ScatterParams(0), "'x2' must have the data's type 0, got 5"),
    (OpType.SCATTER_ELEMENTS, [F, I2, np.zeros((2, 4), np.float32)], (3, 4), DType.FLOAT32,
     ScatterParams(-3), "axis must be in \\[-2,2\\), got -3"),
    (OpType.SCATTER_ELEMENTS, [F.astype(bool), I2, np.zeros((2, 4), bool)], (3, 4),
     DType.BOOL, ScatterParams(0, ScatterReduction.MUL), "reduction 2 takes FLOAT32"),
    (OpType.SCATTER_ELEMENTS, [F, I2.astype(np.int8), np.zeros((2, 4), np.float32)], (3, 4),
     DType.FLOAT32, ScatterParams(0), "indices must be INT32 or INT64, got type 2"),
], ids=lambda c: f"{c[0].name.lower()}-{c[-1][:24]}")
def test_the_c_checks_refuse_malformed_nodes(case: tuple) -> None:
    _c_refusal(*case)


def test_the_c_check_refuses_constant_indices_out_of_range() -> None:
    """A file with a constant index the converter would have refused: allocate names it."""
    names = ["d", "i"]
    tensors = {"d": Tensor("d", DType.FLOAT32, (3, 4)),
               "i": Tensor("i", DType.INT64, (1, 2), constant_array(np.array([[0, 7]]))),
               "y": Tensor("y", DType.FLOAT32, (1,))}
    graph = Graph(tensors, [Node(OpType.GATHER_ND, "look", names, ["y"], GatherNDParams(0))],
                  ["d"], ["y"])
    with pytest.raises(InvalidModelError, match="node 0 \\(gather_nd 'look'\\): constant index "
                                                 "7 at position 1 of 'i' is out of range"):
        run_ember(serialize(graph, plan_memory(graph)), [np.zeros((3, 4), np.float32)])
