"""Reductions whose axes come at run time (format 9: MEAN, SUM, REDUCE_MAX, REDUCE_MIN and
REDUCE_PROD with the optional input 1, csrc/kernels/reduce.c): random shapes and axes (negative,
unordered, int32 and int64), kept or dropped, against numpy and the reference evaluator; the
same file run with other axes of the same output shape; axes that give another shape, fall out
of range or repeat fail invoke with EVAL_ERROR naming the node, and the next invoke works;
malformed files refused at allocate. Through the ONNX importer, every ONNX reduction with its
axes a graph input against ONNX Runtime, empty axes (noop_with_empty_axes), empty inputs, and
the refusals: no known output shape, LogSumExp's undecidable kept shape, dynamic dims."""
from __future__ import annotations

import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from emberlite import Interpreter
from emberlite.converter import ModelImportError, UnsupportedOpsError
from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.reference import EvaluationError, evaluate
from emberlite.converter.writer import serialize
from emberlite.errors import EvalError, InvalidModelError
from tests.helpers import convert_onnx, run_ort

NUMPY = {OpType.MEAN: np.mean, OpType.SUM: np.sum, OpType.REDUCE_MAX: np.max,
         OpType.REDUCE_MIN: np.min, OpType.REDUCE_PROD: np.prod}
ONNX_KINDS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
              "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]


def _graph(op: OpType, shape: tuple[int, ...], n_axes: int, out: tuple[int, ...],
           axes_type: DType = DType.INT64, params: ReduceParams = ReduceParams(),
           x_type: DType = DType.FLOAT32, quant: QuantParams | None = None) -> Graph:
    """x (graph input 0) reduced over the axes of graph input 1 (`n_axes` of them)."""
    tensors = {"x": Tensor("x", x_type, shape, quant=quant),
               "axes": Tensor("axes", axes_type, (n_axes,)),
               "y": Tensor("y", x_type, out, quant=quant)}
    return Graph(tensors, [Node(op, "reduce", ["x", "axes"], ["y"], params)], ["x", "axes"],
                 ["y"])


def _interp(graph: Graph) -> Interpreter:
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)))
    interp.allocate_tensors()
    return interp


def _invoke(interp: Interpreter, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
    ins = interp.get_input_details()
    interp.set_tensor(ins[0]["index"], x)
    interp.set_tensor(ins[1]["index"], axes)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def _random_case(seed: int) -> tuple[np.ndarray, np.ndarray, tuple[int, ...], bool]:
    """x of random rank 1..5 and dims 1..4, 1..rank distinct axes in random order (each
    negative half the time), keepdims at random."""
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(1, 6))
    shape = tuple(int(d) for d in rng.integers(1, 5, rank))
    chosen = rng.permutation(rank)[:int(rng.integers(1, rank + 1))]
    given = np.array([a - rank if rng.random() < 0.5 else a for a in chosen])
    x = (rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)).astype(np.float32)
    return x, given, tuple(sorted(int(a) for a in chosen)), bool(rng.integers(2))


@pytest.mark.parametrize("op", list(NUMPY), ids=lambda op: op.name.lower())
@pytest.mark.parametrize("seed", range(8))
def test_random_shapes_match_numpy(op: OpType, seed: int) -> None:
    x, given, axes, keep = _random_case(seed)
    want = NUMPY[op](x.astype(np.float64), axis=axes, keepdims=keep)
    axes_type = DType.INT32 if seed % 2 else DType.INT64
    graph = _graph(op, x.shape, len(given), want.shape, axes_type)
    feed = given.astype(axes_type.numpy)
    got = _invoke(_interp(graph), x, feed)
    ref = evaluate(graph, {"x": x, "axes": feed})["y"]
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ref, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", list(NUMPY), ids=lambda op: op.name.lower())
def test_axes_are_read_at_every_invoke(op: OpType) -> None:
    """Axes 1 and 2 of a [3, 4, 4] input both give [3, 4]: one file, both answers."""
    x = np.random.default_rng(3).uniform(-2, 2, (3, 4, 4)).astype(np.float32)
    interp = _interp(_graph(op, x.shape, 1, (3, 4)))
    for axis in (1, 2, -1, -2):
        got = _invoke(interp, x, np.array([axis], np.int64))
        np.testing.assert_allclose(got, NUMPY[op](x.astype(np.float64), axis=axis), rtol=1e-5)


@pytest.mark.parametrize("op", list(NUMPY), ids=lambda op: op.name.lower())
@pytest.mark.parametrize("axes,why", [
    ([0], r"output dim 0 must be 4 with the run-time axes, got 3"),
    ([3], r"run-time axis 3 \(entry 0\) is out of range \[-3, 3\)"),
    ([-4], r"run-time axis -4 \(entry 0\) is out of range"),
], ids=["other-shape", "too-high", "too-low"])
def test_wrong_axes_fail_invoke_naming_the_node(op: OpType, axes: list[int], why: str) -> None:
    x = np.ones((3, 4, 4), np.float32)
    interp = _interp(_graph(op, x.shape, 1, (3, 4)))
    with pytest.raises(EvalError, match=f"node 0 \\({op.name.lower()}\\): {why}"):
        _invoke(interp, x, np.array(axes, np.int64))
    # The interpreter stays usable: good axes run next.
    np.testing.assert_allclose(_invoke(interp, x, np.array([1], np.int64)),
                               NUMPY[op](x, axis=1), rtol=1e-6)


@pytest.mark.parametrize("op", list(NUMPY), ids=lambda op: op.name.lower())
def test_repeated_axis_fails_invoke(op: OpType) -> None:
    x = np.ones((3, 4, 5), np.float32)
    interp = _interp(_graph(op, x.shape, 2, (4,), DType.INT32))
    with pytest.raises(EvalError, match=r"node 0 \(.*\): run-time axis -3 \(entry 1\) repeats "
                                        r"dim 0"):
        _invoke(interp, x, np.array([0, -3], np.int32))
    with pytest.raises(EvalError, match=r"output dim 0 must be 5 with the run-time axes, got 4"):
        _invoke(interp, x, np.array([0, 1], np.int32))  # gives [5], not [4]
    assert _invoke(interp, x, np.array([2, 0], np.int32)).shape == (4,)


def test_reference_evaluator_refuses_the_same_axes() -> None:
    graph = _graph(OpType.SUM, (3, 4, 4), 1, (3, 4))
    x = np.ones((3, 4, 4), np.float32)
    for bad in ([0], [3], [-4]):
        with pytest.raises(EvaluationError, match="node 'reduce' \\(sum\\): run-time axes"):
            evaluate(graph, {"x": x, "axes": np.array(bad, np.int64)})


MALFORMED = {
    "float axes": (dict(axes_type=DType.FLOAT32), r"input 1 \(axes\) must be INT32 or INT64"),
    "too many axes": (dict(n_axes=4), r"input 1 \(axes\) must be INT32 or INT64 of shape \[1..3\]"),
    "stored axes too": (dict(params=ReduceParams((1,))),
                        r"run-time axes \(input 1\) need float32 or bool data and no "
                        r"ReduceParams axes"),
    "output rank": (dict(out=(3, 4, 4, 1)), r"output rank must be 3 or 2, got 4"),
    "int8 data": (dict(x_type=DType.INT8, quant=QuantParams((0.1,), (0,))),
                  r"run-time axes \(input 1\) need float32 or bool data"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
@pytest.mark.parametrize("op", list(NUMPY), ids=lambda op: op.name.lower())
def test_malformed_files_are_refused_at_allocate(op: OpType, case: str) -> None:
    fields, why = MALFORMED[case]
    args = dict(shape=(3, 4, 4), n_axes=1, out=(3, 4))
    args.update(fields)
    graph = _graph(op, **args)
    if op in (OpType.REDUCE_PROD,) and case == "int8 data":
        why = r"input 'x' must be float32"  # REDUCE_PROD has no int8 form at all
    with pytest.raises(InvalidModelError, match=f"node 0 \\({op.name.lower()}\\): {why}"):
        _interp(graph)


@pytest.mark.parametrize("fields,out,why", [
    ({}, (3, 3), r"declared output \(3, 3\) is not \(3, 4, 4\) reduced over 1 axes"),
    ({}, None, r"need the output shape declared"),
    (dict(axes_type=DType.FLOAT32), (3, 4), r"input 1 \(axes\) must be int32 or int64"),
    (dict(n_axes=4), (3, 4), r"of shape \[1..3\], got int64 \[4\]"),
    (dict(x_type=DType.INT32), (3, 4), r"need float32 data"),
    (dict(params=ReduceParams((1,))), (3, 4), r"leave the axes parameter empty"),
], ids=["other-shape", "no-shape", "float-axes", "too-many", "int32-data", "stored-axes"])
def test_converter_refuses_malformed_nodes(fields: dict, out, why: str) -> None:
    from emberlite.converter.errors import ShapeError
    from emberlite.converter.ops import infer_shape

    graph = _graph(OpType.SUM, (3, 4, 4), fields.get("n_axes", 1), out or (3, 4),
                   **{k: v for k, v in fields.items() if k != "n_axes"})
    graph.tensors["y"].shape = out
    with pytest.raises(ShapeError, match=f"node 'reduce' \\(sum\\): .*{why}"):
        infer_shape(graph.nodes[0], graph)


# ---- through the ONNX importer, against ONNX Runtime ----------------------------------------

def _onnx(kind: str, shape: tuple[int, ...], out: tuple[int, ...] | None, n_axes: int,
          keepdims: int, noop: int = 0, batch: str | None = None,
          opset: int = 18) -> onnx.ModelProto:
    dims = [batch, *shape[1:]] if batch else list(shape)
    node = helper.make_node(kind, ["x", "axes"], ["y"], keepdims=keepdims,
                            noop_with_empty_axes=noop)
    graph = helper.make_graph(
        [node], "reduce",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims),
         helper.make_tensor_value_info("axes", TensorProto.INT64, [n_axes])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _run(data: bytes, inputs: list[np.ndarray]) -> np.ndarray:
    interp = Interpreter(model_content=data)
    interp.allocate_tensors()
    return _invoke(interp, *inputs)


@pytest.mark.parametrize("kind", ONNX_KINDS)
@pytest.mark.parametrize("seed", range(4))
def test_onnx_run_time_axes_match_onnx_runtime(kind: str, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    rank = int(rng.integers(2, 5))
    shape = tuple(int(d) for d in rng.permutation([2, 3, 4, 5])[:rank])  # distinct dims
    chosen = rng.permutation(rank)[:int(rng.integers(1, rank))]
    axes = np.array([a - rank if rng.random() < 0.5 else a for a in chosen], np.int64)
    keepdims = seed % 2
    x = rng.uniform(0.2, 2.0, shape).astype(np.float32)
    out = tuple(1 if i in chosen else d for i, d in enumerate(shape)
                if keepdims or i not in chosen)
    model = _onnx(kind, shape, out, len(axes), keepdims)
    want, = run_ort(model, [x, axes])
    got = _run(convert_onnx(model), [x, axes])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ONNX_KINDS)
@pytest.mark.parametrize("noop", [0, 1])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_onnx_empty_axes_input(kind: str, noop: int, keepdims: int) -> None:
    """An axes input of shape [0] is known at conversion: every axis, or none with
    noop_with_empty_axes (only the element-wise parts run)."""
    x = np.random.default_rng(7).uniform(0.2, 2.0, (2, 3)).astype(np.float32)
    axes = np.zeros(0, np.int64)
    model = _onnx(kind, x.shape, None, 0, keepdims, noop)
    want, = run_ort(model, [x, axes])
    got = _run(convert_onnx(model), [x, axes])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ONNX_KINDS)
def test_onnx_reducing_an_empty_axis_gives_the_identity(kind: str) -> None:
    """[2, 0, 3] over run-time axis 1: 0 for the sums, 1 for the product, -inf/+inf for
    max/min and the logs of zero, as ONNX Runtime; the mean of nothing, which ONNX leaves
    undefined, is NaN as in ONNX's reference (numpy), where ONNX Runtime gives 0."""
    x = np.zeros((2, 0, 3), np.float32)
    axes = np.array([1], np.int64)
    model = _onnx(kind, x.shape, (2, 1, 3), 1, 1)
    want, = run_ort(model, [x, axes])
    if kind == "ReduceMean":
        want = np.full_like(want, np.nan)
    got = _run(convert_onnx(model), [x, axes])
    np.testing.assert_array_equal(got, want)


def test_onnx_unknown_output_shape_is_refused() -> None:
    """A Sigmoid after the reduction: ONNX shape inference cannot know the reduced shape."""
    graph = helper.make_graph(
        [helper.make_node("ReduceSum", ["x", "axes"], ["r"]),
         helper.make_node("Sigmoid", ["r"], ["y"])], "unknown",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4]),
         helper.make_tensor_value_info("axes", TensorProto.INT64, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    with pytest.raises(UnsupportedOpsError, match="output shape is not known at conversion"):
        convert_onnx(model)


def test_onnx_log_sum_exp_with_an_open_kept_shape_is_refused() -> None:
    """[3, 2, 2] to [3, 2] without keepdims: axis 1 or 2, whose kept shapes differ."""
    model = _onnx("ReduceLogSumExp", (3, 2, 2), (3, 2), 1, 0)
    with pytest.raises(UnsupportedOpsError, match=re.escape(
            "the declared output [3, 2] does not say which 1 axes of [3, 2, 2]")):
        convert_onnx(model)


def test_onnx_run_time_axes_with_dynamic_dims_are_refused() -> None:
    """Reducing the dynamic batch dim away leaves a fixed output shape at every size, yet the
    axes' value cannot follow the dims."""
    model = _onnx("ReduceSum", (4, 3), (3,), 1, 0, batch="N")
    with pytest.raises(ModelImportError, match="run-time operand .*'axes'.* fixed shapes"):
        convert_onnx(model, input_shapes={"x": [(1, 4), 3]})


def test_onnx_bad_declared_output_is_refused() -> None:
    model = _onnx("ReduceMax", (3, 4), (3, 4, 1), 1, 1)
    with pytest.raises(ModelImportError, match=re.escape(
            "declared output (3, 4, 1) is not (3, 4) reduced over 1 axes")):
        convert_onnx(model)


def test_shape_rule_keeps_the_stored_shape_and_refuses_resized_inputs() -> None:
    """A crafted file whose x follows a symbol (the converter refuses such models): at the
    stored size the output keeps its stored shape; any other size is refused at allocate,
    naming the node, since the axes' value cannot be known there."""
    from emberlite.converter.ir import Symbol
    from emberlite.errors import UnsupportedError

    graph = _graph(OpType.SUM, (6, 4), 1, (4,))
    graph.tensors["x"] = Tensor("x", DType.FLOAT32, (6, 4), dim_symbols=(0, -1))
    graph.symbols = [Symbol("S", 2, 6)]
    interp = _interp(graph)
    x_index = interp.get_input_details()[0]["index"]
    x = np.random.default_rng(5).uniform(-1, 1, (6, 4)).astype(np.float32)
    interp.resize_tensor_input(x_index, [6, 4])
    interp.allocate_tensors()
    np.testing.assert_allclose(_invoke(interp, x, np.array([0], np.int64)), x.sum(0), rtol=1e-5)
    interp.resize_tensor_input(x_index, [3, 4])
    with pytest.raises(UnsupportedError, match=r"node 0 \(sum\): its axes are read at run "
                                               r"time, so its output cannot follow resized"):
        interp.allocate_tensors()


@pytest.mark.parametrize("kind", ["ReduceMax", "ReduceMin"])
@pytest.mark.parametrize("shape,axes", [((4, 3, 2), [1]), ((4, 3, 2), [-1, 0]),
                                        ((2, 0, 4), [1]), ((5, 4), [0, 1])], ids=str)
@pytest.mark.parametrize("keepdims", [0, 1])
def test_onnx_bool_max_and_min_match_onnx_runtime(kind: str, shape: tuple[int, ...],
                                                  axes: list[int], keepdims: int) -> None:
    """Bool ReduceMax is any, ReduceMin all (false and true over nothing, as ONNX's reference),
    opset 20, with the axes at run time and as a constant."""
    rng = np.random.default_rng(len(shape) + len(axes))
    x = rng.random(shape) < 0.3
    rank = len(shape)
    out = tuple(1 if i in [a % rank for a in axes] else d for i, d in enumerate(shape)
                if keepdims or i not in [a % rank for a in axes])
    want = (np.any if kind == "ReduceMax" else np.all)(
        x, axis=tuple(a % rank for a in axes), keepdims=bool(keepdims))
    model = _onnx(kind, shape, out, len(axes), keepdims, opset=20)
    model.graph.input[0].type.tensor_type.elem_type = TensorProto.BOOL
    model.graph.output[0].type.tensor_type.elem_type = TensorProto.BOOL
    feed = np.array(axes, np.int64)
    if 0 not in shape:  # ONNX Runtime's bool ReduceMax of nothing fails
        np.testing.assert_array_equal(run_ort(model, [x, feed])[0], want)
    np.testing.assert_array_equal(_run(convert_onnx(model), [x, feed]), want)
    frozen = onnx.ModelProto()
    frozen.CopyFrom(model)
    del frozen.graph.input[1]
    frozen.graph.initializer.append(onnx.numpy_helper.from_array(feed, "axes"))
    interp = Interpreter(model_content=convert_onnx(frozen))
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    np.testing.assert_array_equal(interp.get_tensor(interp.get_output_details()[0]["index"]),
                                  want)


def test_onnx_integer_max_is_refused_with_the_type() -> None:
    model = _onnx("ReduceMax", (3, 4), (3, 1), 1, 1, opset=20)
    model.graph.input[0].type.tensor_type.elem_type = TensorProto.INT32
    model.graph.output[0].type.tensor_type.elem_type = TensorProto.INT32
    with pytest.raises(UnsupportedOpsError, match="input 0 has type int32; ReduceMax takes "
                                                  "float32 or bool"):
        convert_onnx(model)


@pytest.mark.parametrize("op,fold", [(OpType.REDUCE_MAX, np.any), (OpType.REDUCE_MIN, np.all)],
                         ids=["reduce_max", "reduce_min"])
@pytest.mark.parametrize("shape", [(3, 4, 5), (3, 0, 5)], ids=str)
def test_bool_folds_match_numpy_and_the_reference(op: OpType, fold, shape) -> None:
    x = np.random.default_rng(11).random(shape) < 0.5
    axes = np.array([-2], np.int32)
    want = fold(x, axis=1)
    graph = _graph(op, shape, 1, want.shape, DType.INT32, x_type=DType.BOOL)
    np.testing.assert_array_equal(_invoke(_interp(graph), x, axes), want)
    np.testing.assert_array_equal(evaluate(graph, {"x": x, "axes": axes})["y"], want)
