"""TOP_K (csrc/kernels/top_k.c): ONNX TopK against ONNX Runtime on float32 (NaN and
infinities included), int32 and int64 tensors of ranks 1 to 4 along every axis, largest and
smallest, k = 1, a middle k and k = the axis size, with few distinct values so that ties
(the lower index first) are common; TopK-1 (k an attribute, opset 9), TopK-10 and sorted=0; int8
stored values with shared quantization; k of 3000 against the reference evaluator; malformed models
refused with node and reason; TOP_K, ONE_HOT, CUM_SUM and MOD in one file run at several
sizes of a dynamic dim. The TFLite TOPK_V2 form is in tests/importers/test_tflite_select.py."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter, ModelImportError, UnsupportedOpsError
from emberlite.converter.ir import DType, QuantParams
from emberlite.converter.ops import OpType
from emberlite.converter.ops.top_k import TopKParams
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.kernels.select_models import check_onnx, onnx_model, run_ir

SHAPES = [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 5)]
CASES = [(s, axis) for s in SHAPES for axis in range(-len(s), len(s))]


def _values(dtype: type, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Few distinct values (ties), with NaN, infinities and integer extremes."""
    if dtype == np.float32:
        pool = np.array([-1.5, 0.0, 2.0, 2.5, np.nan, np.inf, -np.inf], np.float32)
    else:
        info = np.iinfo(dtype)
        pool = np.array([info.min, -3, 0, 1, 7, info.max], dtype)
    return rng.choice(pool, shape).astype(dtype)


def _top_k(x: np.ndarray, k: int, opset: int = 11, **attrs: int):
    inputs = ["x"] if opset < 10 else ["x", "k"]
    if opset < 10:
        attrs["k"] = k
    node = helper.make_node("TopK", inputs, ["values", "indices"], **attrs)
    consts = {} if opset < 10 else {"k": np.array([k], np.int64)}
    return onnx_model(node, {"x": x}, consts, {"values": x.dtype.type, "indices": np.int64},
                      opset)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("largest", [1, 0])
@pytest.mark.parametrize("shape,axis", CASES, ids=str)
def test_top_k_matches_onnx_runtime(shape: tuple, axis: int, largest: int, dtype: type) -> None:
    rng = np.random.default_rng(len(shape) * 10 + axis)
    x = _values(dtype, shape, rng)
    n = shape[axis]
    for k in sorted({1, (n + 1) // 2, n}):
        values, indices = check_onnx(_top_k(x, k, axis=axis, largest=largest), [x])
        assert values.shape[axis] == k and indices.dtype == np.int64


def test_k_zero_gives_empty_outputs() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    values, indices = check_onnx(_top_k(x, 0, axis=1), [x])
    assert values.shape == indices.shape == (3, 0)


def test_ties_keep_the_lower_index_first() -> None:
    x = np.array([[2, 5, 5, 1, 5, 2]], np.int64)
    for largest in (1, 0):
        _, indices = check_onnx(_top_k(x, 6, axis=1, largest=largest), [x])
        order = [1, 2, 4, 0, 5, 3] if largest else [3, 0, 5, 1, 2, 4]
        np.testing.assert_array_equal(indices[0], order)


@pytest.mark.parametrize("opset", [9, 10, 11])
def test_every_opset_form_and_unsorted(opset: int) -> None:
    x = np.random.default_rng(opset).standard_normal((3, 8)).astype(np.float32)
    check_onnx(_top_k(x, 3, opset), [x])
    if opset == 11:
        # sorted=0 leaves the order open (ONNX Runtime's is not sorted): the same k kept.
        model = _top_k(x, 3, opset, axis=0, sorted=0)
        got = run_ember(convert_onnx(model), [x])
        want = run_ort(model, [x])
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.sort(g, axis=0), np.sort(w, axis=0))


def test_int8_copies_stored_values() -> None:
    rng = np.random.default_rng(4)
    x = rng.integers(-128, 128, (4, 9)).astype(np.int8)
    q = QuantParams((0.1,), (3,))
    for largest in (True, False):
        got, want = run_ir(OpType.TOP_K, [x], [((4, 3), DType.INT8), ((4, 3), DType.INT32)],
                           TopKParams(1, largest), quant={"x0": q, "y0": q})
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        order = np.argsort(-x.astype(int) if largest else x, axis=1, kind="stable")[:, :3]
        np.testing.assert_array_equal(got[1], order)


def test_a_large_axis_against_a_full_sort() -> None:
    """The heap keeps k of n = 3000 (positions sift through many levels)."""
    x = np.random.default_rng(9).integers(-50, 50, (2, 3000)).astype(np.int32)
    (values, indices), _ = run_ir(OpType.TOP_K, [x], [((2, 700), DType.INT32),
                                                      ((2, 700), DType.INT64)], TopKParams(1))
    order = np.argsort(-x.astype(np.int64), axis=1, kind="stable")[:, :700]
    np.testing.assert_array_equal(indices, order)
    np.testing.assert_array_equal(values, np.take_along_axis(x, order, 1))


def test_onnx_malformed_nodes_are_refused_with_node_and_reason() -> None:
    x = np.zeros((3, 4), np.float32)
    node = helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1, name="pick")
    run_time_k = onnx_model(node, {"x": x, "k": np.array([2], np.int64)}, {},
                            {"v": np.float32, "i": np.int64})
    with pytest.raises(UnsupportedOpsError,
                       match=r"pick.*'k' is a run-time tensor and the output's shape is not"):
        convert_onnx(run_time_k)
    too_many = _top_k(x, 5, axis=1)
    too_many.graph.node[0].name = "pick"
    with pytest.raises(ModelImportError, match=r"'pick' \(TopK\): k=5 must be in \[0, 4\]"):
        convert_onnx(too_many)
    bad_axis = _top_k(x, 2, axis=2)
    with pytest.raises(ModelImportError, match=r"axis 2 is out of range for rank 2"):
        convert_onnx(bad_axis)
    flags = np.zeros((3, 4), bool)
    with pytest.raises(UnsupportedOpsError, match=r"input X of type bool"):
        convert_onnx(_top_k(flags, 2))


@pytest.mark.parametrize("outputs,params,message", [
    ([((3, 2), DType.FLOAT32), ((3, 2), DType.FLOAT32)], TopKParams(1),
     "indices 'y1' must be int32 or int64, got float32"),
    ([((3, 2), DType.INT32), ((3, 2), DType.INT32)], TopKParams(1),
     "values 'y0' must be float32, got int32"),
    ([((3, 5), DType.FLOAT32), ((3, 5), DType.INT32)], TopKParams(1), "k in \\[0, 4\\]"),
    ([((3, 2), DType.FLOAT32), ((3, 3), DType.INT32)], TopKParams(1), "k in \\[0, 4\\]"),
    ([((3, 2), DType.FLOAT32), ((3, 2), DType.INT32)], TopKParams(2),
     "axis must be in \\[-2,2\\), got 2"),
])
def test_c_check_refuses_malformed_nodes(outputs: list, params: TopKParams,
                                         message: str) -> None:
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(InvalidModelError, match=f"node 0 \\(top_k\\): .*{message}"):
        run_ir(OpType.TOP_K, [x], outputs, params)


def test_c_check_refuses_int8_values_of_other_quantization() -> None:
    x = np.zeros((3, 4), np.int8)
    with pytest.raises(InvalidModelError, match="node 0 \\(top_k\\): int8 values 'y0' must share"):
        run_ir(OpType.TOP_K, [x], [((3, 2), DType.INT8), ((3, 2), DType.INT32)], TopKParams(1),
               quant={"x0": QuantParams((0.1,), (0,)), "y0": QuantParams((0.2,), (0,))})


def test_k_cases_cover_every_axis() -> None:
    """The parametrisation above reaches every axis of every rank 1..4 (both signs)."""
    covered = {(len(s), a % len(s)) for s, a in CASES}
    assert covered == {(r, a) for r in range(1, 5) for a in range(r)}


def test_resized_inputs_follow_the_shape_rules() -> None:
    """One file, several sizes of a dynamic dim: TOP_K keeps k along its axis and ONE_HOT its
    depth while the other dims follow the input; CUM_SUM and MOD follow theirs."""
    nodes = [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=2),
             helper.make_node("CumSum", ["v", "a"], ["c"]),
             helper.make_node("Mod", ["c", "d"], ["y"], fmod=1),
             helper.make_node("OneHot", ["i", "depth", "on_off"], ["h"], axis=1)]
    graph = helper.make_graph(
        nodes, "resized", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "n", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("h", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, n) for n, v in (
            ("k", np.array([3], np.int64)), ("a", np.array(1, np.int64)),
            ("d", np.array([0.75], np.float32)), ("depth", np.array(8, np.int64)),
            ("on_off", np.array([0.0, 1.0], np.float32)))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    interp = Interpreter(model_content=Converter.from_onnx(
        model, input_shapes={"x": [1, (2, 16), 8]}).convert())
    rng = np.random.default_rng(8)
    for n in (16, 2, 7):
        x = rng.standard_normal((1, n, 8)).astype(np.float32)
        interp.resize_tensor_input(interp.get_input_details()[0]["index"], [1, n, 8])
        interp.allocate_tensors()
        got = run_ember(b"", [x], interpreter=interp)
        want = run_ort(model, [x])
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
