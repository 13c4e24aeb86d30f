"""The comparisons, logic and selection of format 7 (csrc/kernels/compare.c, logical.c,
where.c): ONNX's Equal, Less, LessOrEqual, Greater, GreaterOrEqual, Not, And, Or, Xor and Where
against ONNX Runtime on float32 (NaN included), int32, int64 (beyond 2^53) and bool tensors
with numpy broadcasting; every comparison (NOT_EQUAL has no ONNX form) against numpy; bool
bytes other than 0 and 1 read as true; malformed types and shapes refused with node and
reason. The TFLite forms are in tests/importers/test_tflite.py."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.kernels.single_node import run_node

COMPARISONS = ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]
ONNX_TYPES = {np.float32: TensorProto.FLOAT, np.int32: TensorProto.INT32,
              np.int64: TensorProto.INT64, np.bool_: TensorProto.BOOL}
SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()),
          ((1, 3, 1, 2), (2, 1, 5, 1))]


def _model(nodes: list[onnx.NodeProto], inputs: dict[str, tuple[type, tuple[int, ...]]],
           output: tuple[type, tuple[int, ...]]) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "logic",
        [helper.make_tensor_value_info(n, ONNX_TYPES[t], s) for n, (t, s) in inputs.items()],
        [helper.make_tensor_value_info("y", ONNX_TYPES[output[0]], output[1])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _values(dtype: type, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Few distinct values, so that equal pairs are common; extremes for the integers."""
    if dtype == np.bool_:
        return np.asarray(rng.integers(0, 2, shape), bool)
    if dtype == np.float32:
        pool = np.array([-1.5, 0.0, -0.0, 2.0, np.nan, np.inf, -np.inf], np.float32)
    else:
        info = np.iinfo(dtype)
        pool = np.array([info.min, -1, 0, 1, info.max, info.max - 1], dtype)
    return np.asarray(rng.choice(pool, shape), dtype)


def _check(onnx_model: onnx.ModelProto, inputs: list[np.ndarray],
           want: np.ndarray | None = None) -> None:
    """Emberlite against ONNX Runtime, or against `want` where ONNX Runtime lacks the kernel."""
    got, = run_ember(convert_onnx(onnx_model), inputs)
    if want is None:
        want, = run_ort(onnx_model, inputs)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_comparisons_match_onnx_runtime(op: str, dtype: type, shapes: tuple) -> None:
    rng = np.random.default_rng(len(op))
    a, b = (_values(dtype, s, rng) for s in shapes)
    out = np.broadcast_shapes(*shapes)
    _check(_model([helper.make_node(op, ["a", "b"], ["y"])],
                  {"a": (dtype, shapes[0]), "b": (dtype, shapes[1])}, (np.bool_, out)), [a, b])


def test_int64_beyond_float_precision() -> None:
    a = np.array([2 ** 53 + 1, -(2 ** 62), 2 ** 63 - 1], np.int64)
    b = np.array([2 ** 53, -(2 ** 62) + 1, 2 ** 63 - 2], np.int64)
    for op in COMPARISONS:
        _check(_model([helper.make_node(op, ["a", "b"], ["y"])],
                      {"a": (np.int64, (3,)), "b": (np.int64, (3,))}, (np.bool_, (3,))), [a, b])


@pytest.mark.parametrize("op", ["And", "Or", "Xor", "Equal"])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_bool_ops_match_onnx_runtime(op: str, shapes: tuple) -> None:
    rng = np.random.default_rng(7)
    a, b = (_values(np.bool_, s, rng) for s in shapes)
    _check(_model([helper.make_node(op, ["a", "b"], ["y"])],
                  {"a": (np.bool_, shapes[0]), "b": (np.bool_, shapes[1])},
                  (np.bool_, np.broadcast_shapes(*shapes))), [a, b])


def test_not_matches_onnx_runtime() -> None:
    a = _values(np.bool_, (3, 5), np.random.default_rng(1))
    _check(_model([helper.make_node("Not", ["a"], ["y"])], {"a": (np.bool_, (3, 5))},
                  (np.bool_, (3, 5))), [a])


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.bool_],
                         ids=lambda t: t.__name__)
@pytest.mark.parametrize("shapes", [((2, 3, 4),) * 3, ((4,), (2, 3, 4), ()),
                                    ((2, 1, 4), (3, 1), (1, 3, 4)), ((), (), ())], ids=str)
def test_where_matches_onnx_runtime(dtype: type, shapes: tuple) -> None:
    rng = np.random.default_rng(3)
    cond = _values(np.bool_, shapes[0], rng)
    x, y = (_values(dtype, s, rng) for s in shapes[1:])
    # ONNX Runtime has no bool Where: numpy is the oracle there.
    want = np.where(cond, x, y) if dtype == np.bool_ else None
    _check(_model([helper.make_node("Where", ["c", "x", "z"], ["y"])],
                  {"c": (np.bool_, shapes[0]), "x": (dtype, shapes[1]), "z": (dtype, shapes[2])},
                  (dtype, np.broadcast_shapes(*shapes))), [cond, x, y], want)


def test_a_mask_chain_after_a_convolution() -> None:
    """x > 0 on NHWC data inside, Where picks x or -x: the layout pass moves the transposes
    through the comparison and Where."""
    rng = np.random.default_rng(4)
    w = onnx.numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    zero = onnx.numpy_helper.from_array(np.zeros(1, np.float32), "zero")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Greater", ["c", "zero"], ["m"]),
             helper.make_node("Neg", ["c"], ["n"]),
             helper.make_node("Where", ["m", "c", "n"], ["y"])]
    graph = helper.make_graph(
        nodes, "mask", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 3, 6, 5))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 4, 6, 5))], [w, zero])
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = rng.standard_normal((1, 3, 6, 5)).astype(np.float32)
    got, = run_ember(convert_onnx(onnx_model), [x])
    np.testing.assert_allclose(got, run_ort(onnx_model, [x])[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op,fn", [
    (OpType.EQUAL, np.equal), (OpType.NOT_EQUAL, np.not_equal), (OpType.LESS, np.less),
    (OpType.LESS_EQUAL, np.less_equal), (OpType.GREATER, np.greater),
    (OpType.GREATER_EQUAL, np.greater_equal)], ids=lambda v: getattr(v, "name", ""))
def test_every_comparison_against_numpy(op: OpType, fn: np.ufunc) -> None:
    """The IR ops directly (NOT_EQUAL has no ONNX form), NaN and signed zeros included."""
    rng = np.random.default_rng(5)
    a, b = _values(np.float32, (4, 6), rng), _values(np.float32, (6,), rng)
    got, want = run_node(op, [a, b], (4, 6), DType.BOOL)
    np.testing.assert_array_equal(got, fn(a, b))
    np.testing.assert_array_equal(got, want)


def test_any_nonzero_bool_byte_is_true() -> None:
    """A caller's bool buffer may hold bytes other than 0 and 1 (numpy views, C memory)."""
    raw = np.array([0, 1, 2, 255, 0, 128], np.uint8).view(np.bool_)
    other = np.array([1, 1, 1, 1, 0, 0], np.uint8).view(np.bool_)
    for op, want in [(OpType.LOGICAL_NOT, [1, 0, 0, 0, 1, 0]),
                     (OpType.LOGICAL_AND, [0, 1, 1, 1, 0, 0]),
                     (OpType.LOGICAL_XOR, [1, 0, 0, 0, 0, 1]),
                     (OpType.EQUAL, [0, 1, 1, 1, 1, 0])]:
        inputs = [raw] if op == OpType.LOGICAL_NOT else [raw, other]
        got, _ = run_node(op, inputs, (6,), DType.BOOL)
        np.testing.assert_array_equal(got.view(np.uint8), want, err_msg=op.name)


@pytest.mark.parametrize("op,inputs,out_dtype,message", [
    (OpType.LESS, [np.zeros(3, np.float32), np.zeros(3, np.int32)], DType.BOOL,
     "input 1 .* must be float32, got int32"),
    (OpType.GREATER, [np.zeros(3, np.float16), np.zeros(3, np.float16)], DType.BOOL,
     "input 0 .* must be float32, bool or a plain integer type, got float16"),
    (OpType.EQUAL, [np.zeros(3, np.float32)] * 2, DType.FLOAT32, "output .* must be bool"),
    (OpType.LOGICAL_OR, [np.zeros(3, bool), np.zeros(3, np.float32)], DType.BOOL,
     "input 1 .* must be bool, got float32"),
    (OpType.LOGICAL_NOT, [np.zeros(3, np.int32)], DType.BOOL, "input 0 .* must be bool"),
    (OpType.WHERE, [np.zeros(3, np.float32)] * 3, DType.FLOAT32,
     "input 0 \\(condition\\) .* must be bool"),
    (OpType.WHERE, [np.zeros(3, bool), np.zeros(3, np.float32), np.zeros(3, np.int64)],
     DType.FLOAT32, "input 2 .* must be float32, got int64"),
])
def test_wrong_types_are_refused_with_node_and_reason(op: OpType, inputs: list, out_dtype: DType,
                                                      message: str) -> None:
    with pytest.raises(InvalidModelError, match=f"node 0 \\({op.name.lower()}\\): {message}"):
        run_node(op, inputs, (3,), out_dtype)


@pytest.mark.parametrize("op", [OpType.LESS, OpType.LOGICAL_AND, OpType.WHERE],
                         ids=lambda op: op.name.lower())
def test_shapes_that_do_not_broadcast_are_refused(op: OpType) -> None:
    a = np.zeros((2, 3), np.float32 if op == OpType.LESS else bool)
    b = np.zeros((4,), a.dtype)
    inputs = [a, np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)] \
        if op == OpType.WHERE else [a, b]
    out = DType.FLOAT32 if op == OpType.WHERE else DType.BOOL
    with pytest.raises(InvalidModelError, match=f"node 0 \\({op.name.lower()}\\): .*broadcast"):
        run_node(op, inputs, (2, 3), out)
