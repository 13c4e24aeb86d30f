"""The folding reductions of format 7 (csrc/kernels/reduce_fold.c): REDUCE_MAX, REDUCE_MIN and
REDUCE_PROD on float32 against numpy (NaN propagating, empty sets giving -inf, +inf, 1) and
int8 MAX/MIN on stored values; ONNX's ReduceMax, ReduceMin, ReduceProd, ReduceSum, ReduceL1,
ReduceL2, ReduceSumSquare, ReduceLogSum and ReduceLogSumExp (composed of ABS, SQUARE, SQRT,
EXP, LOG with SUM and REDUCE_MAX) against ONNX Runtime, axes as attribute and as input, kept
or dropped; malformed params and types refused; full-int8 .tflite REDUCE_MAX (a Keras
GlobalMaxPooling2D) and REDUCE_MIN byte-identical to LiteRT's reference kernels. The float
TFLite forms are in tests/importers/test_tflite.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember
from tests.importers import keras_int8_arith
from tests.importers.tflite_int8_models import assert_identical_to_reference
from tests.kernels.single_node import run_node

FOLDS = {OpType.REDUCE_MAX: np.max, OpType.REDUCE_MIN: np.min, OpType.REDUCE_PROD: np.prod}
ONNX_KINDS = ["ReduceMax", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceL1", "ReduceL2",
              "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]
AXES = [(1,), (0, 2), (2, 3), (0, 1, 2, 3)]


@pytest.mark.parametrize("op", list(FOLDS), ids=lambda op: op.name.lower())
@pytest.mark.parametrize("axes", AXES, ids=str)
@pytest.mark.parametrize("keep", [True, False])
def test_float_folds_match_numpy(op: OpType, axes: tuple[int, ...], keep: bool) -> None:
    x = np.random.default_rng(len(axes)).uniform(0.5, 1.5, (2, 3, 4, 5)).astype(np.float32)
    x[0, 0, 0, 0] = -3.0
    want = FOLDS[op](x.astype(np.float64), axis=axes, keepdims=keep)
    got, ref = run_node(op, [x], want.shape, DType.FLOAT32, ReduceParams(axes))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(ref, want, rtol=1e-6)


@pytest.mark.parametrize("op", [OpType.REDUCE_MAX, OpType.REDUCE_MIN],
                         ids=lambda op: op.name.lower())
def test_nan_propagates(op: OpType) -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 5.0, -1.0], [2.0, 4.0, 6.0]], np.float32)
    got, _ = run_node(op, [x], (3,), DType.FLOAT32, ReduceParams((1,)))
    np.testing.assert_array_equal(np.isnan(got), [True, True, False])


@pytest.mark.parametrize("op", [OpType.REDUCE_MAX, OpType.REDUCE_MIN],
                         ids=lambda op: op.name.lower())
def test_int8_compares_stored_values(op: OpType) -> None:
    """Input and output share one scale and zero point; the stored extremes come out."""
    q = QuantParams((0.05,), (-3,))
    x = np.random.default_rng(1).integers(-128, 128, (3, 4, 5)).astype(np.int8)
    graph = Graph({"x": Tensor("x", DType.INT8, x.shape, quant=q),
                   "y": Tensor("y", DType.INT8, (3, 5), quant=q)},
                  [Node(op, "fold", ["x"], ["y"], ReduceParams((1,)))], ["x"], ["y"])
    got, = run_ember(serialize(graph, plan_memory(graph)), [x])
    np.testing.assert_array_equal(got, FOLDS[op](x, axis=1))


def test_int8_with_other_output_params_is_refused() -> None:
    graph = Graph({"x": Tensor("x", DType.INT8, (3, 4), quant=QuantParams((0.05,), (0,))),
                   "y": Tensor("y", DType.INT8, (3,), quant=QuantParams((0.1,), (0,)))},
                  [Node(OpType.REDUCE_MAX, "fold", ["x"], ["y"], ReduceParams((1,)))],
                  ["x"], ["y"])
    with pytest.raises(InvalidModelError, match="node 0 \\(reduce_max\\): .*scale"):
        Interpreter(model_content=serialize(graph, plan_memory(graph))).allocate_tensors()


def _onnx_model(kind: str, shape: tuple[int, ...], axes: list[int] | None, keepdims: int,
                opset: int):
    as_input = axes is not None and opset >= (13 if kind == "ReduceSum" else 18)
    inputs, inits, attrs = ["x"], [], {"keepdims": keepdims}
    if as_input:
        inputs.append("axes")
        inits.append(numpy_helper.from_array(np.array(axes, np.int64), "axes"))
    elif axes is not None:
        attrs["axes"] = axes
    graph = helper.make_graph(
        [helper.make_node(kind, inputs, ["y"], **attrs)], "reduce",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


@pytest.mark.parametrize("kind", ONNX_KINDS)
@pytest.mark.parametrize("axes", [[1], [-1, 0], None], ids=str)
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("opset", [13, 18])
def test_onnx_reductions_match_onnx_runtime(kind: str, axes: list[int] | None, keepdims: int,
                                            opset: int) -> None:
    shape = (2, 3, 4)
    x = np.random.default_rng(9).uniform(0.2, 2.0, shape).astype(np.float32)
    x[0, 1, 2] = -1.5 if kind not in ("ReduceLogSum",) else 0.7
    assert_matches_ort(_onnx_model(kind, shape, axes, keepdims, opset), [x], tol=1e-5)


def test_log_sum_exp_does_not_overflow() -> None:
    x = np.array([[1000.0, 999.0, -1000.0], [-5.0, 0.0, 88.0]], np.float32)
    assert_matches_ort(_onnx_model("ReduceLogSumExp", x.shape, [1], 0, 18), [x], tol=1e-6)


@pytest.mark.parametrize("kind,want", [("ReduceSumSquare", np.square), ("ReduceL1", np.abs),
                                       ("ReduceMax", lambda v: v)])
def test_noop_with_empty_axes_keeps_the_elementwise_part(kind: str, want) -> None:
    x = np.array([[1.5, -2.0], [0.5, -0.25]], np.float32)
    graph = helper.make_graph(
        [helper.make_node(kind, ["x"], ["y"], noop_with_empty_axes=1)], "noop",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    got, = run_ember(convert_onnx(model), [x])
    np.testing.assert_allclose(got, want(x), rtol=1e-6)


@pytest.mark.parametrize("op", list(FOLDS), ids=lambda op: op.name.lower())
def test_bad_axes_and_types_are_refused(op: OpType) -> None:
    x = np.ones((2, 3), np.float32)
    name = op.name.lower()
    with pytest.raises(InvalidModelError, match=f"node 0 \\({name}\\): axes must be ascending"):
        run_node(op, [x], (2, 3), DType.FLOAT32, ReduceParams((1, 0)))
    with pytest.raises(InvalidModelError, match=f"node 0 \\({name}\\): input .* must be float32"):
        run_node(op, [x.astype(np.int32)], (2,), DType.INT32, ReduceParams((1,)))


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_arith.py) ---------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_arith.litert_results(tmp_path_factory)


@pytest.mark.parametrize("name", ["gmp_flat", "reduce_min_keep"])
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    """Keras GlobalMaxPooling2D (REDUCE_MAX) and a reduce_min, full int8."""
    assert_identical_to_reference(results[name])
