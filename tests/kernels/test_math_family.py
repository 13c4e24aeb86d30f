"""The float32 element-wise math ops of format 7 (csrc/kernels/math_unary.c, pow.c): ONNX's
Abs ... Gelu and Pow against ONNX Runtime on several ranks; IEEE special values (NaN,
infinities, signed zeros, halves, the ends of each domain) against numpy in float64; the split
over two threads bit-identical to one thread; malformed params refused by the verifier. The
TFLite forms are in tests/importers/test_tflite.py, ONNX's own cases in tests/conformance."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.math_unary import EluParams, GeluParams, SeluParams
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember
from tests.kernels.activation_models import SHAPES, param_id, random_input
from tests.kernels.single_node import run_node

# ONNX op and attributes -> whether it needs inputs > 0 (NaN below 0 would hide the rest).
ONNX_CASES = [
    ("Abs", {}, False), ("Neg", {}, False), ("Sqrt", {}, True), ("Exp", {}, False),
    ("Log", {}, True), ("Floor", {}, False), ("Ceil", {}, False), ("Round", {}, False),
    ("Sign", {}, False), ("Sin", {}, False), ("Cos", {}, False), ("Reciprocal", {}, False),
    ("Erf", {}, False), ("Softplus", {}, False), ("Mish", {}, False), ("Elu", {}, False),
    ("Elu", {"alpha": 0.3}, False), ("Selu", {}, False),
    ("Selu", {"alpha": 2.0, "gamma": 0.5}, False), ("Gelu", {}, False),
    ("Gelu", {"approximate": "tanh"}, False),
]

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -2.5, 3.7, -3.7,
                    1e-30, -1e-30, 1e-40, 20.0, -20.0, 88.7, -88.7, 1e30, -1e30], np.float32)

# Ops whose float32 result is exact: Emberlite must give the reference's bits.
EXACT = {OpType.ABS, OpType.NEG, OpType.FLOOR, OpType.CEIL, OpType.ROUND, OpType.SIGN,
         OpType.SQUARE, OpType.SQRT, OpType.RECIPROCAL}
PARAMS = {OpType.ELU: EluParams(0.7), OpType.SELU: SeluParams(), OpType.GELU: GeluParams(),
          OpType.RSQRT: None}
UNARY_OPS = [OpType.ABS, OpType.NEG, OpType.SQRT, OpType.RSQRT, OpType.EXP, OpType.LOG,
             OpType.FLOOR, OpType.CEIL, OpType.ROUND, OpType.SIGN, OpType.SIN, OpType.COS,
             OpType.RECIPROCAL, OpType.ERF, OpType.SOFTPLUS, OpType.MISH, OpType.SQUARE,
             OpType.ELU, OpType.SELU, OpType.GELU]


def _model(op: str, attrs: dict, shape: tuple[int, ...]) -> onnx.ModelProto:
    """One node at opset 20, where Gelu first appears (Mish at 18)."""
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], **attrs)], "math_unary",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def _onnx_input(shape: tuple[int, ...], positive: bool) -> np.ndarray:
    x = random_input(shape, len(shape))
    return np.abs(x) + np.float32(0.01) if positive else x


@pytest.mark.parametrize("op,attrs,positive", ONNX_CASES, ids=param_id)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_matches_onnx_runtime(op: str, attrs: dict, positive: bool,
                              shape: tuple[int, ...]) -> None:
    assert_matches_ort(_model(op, attrs, shape), [_onnx_input(shape, positive)], tol=1e-6)


@pytest.mark.parametrize("op", UNARY_OPS, ids=lambda op: op.name.lower())
def test_special_values(op: OpType) -> None:
    got, want = run_node(op, [SPECIAL], SPECIAL.shape, DType.FLOAT32, PARAMS.get(op))
    assert got.dtype == np.float32
    assert np.array_equal(np.isnan(got), np.isnan(want)), (SPECIAL, got, want)
    if op in EXACT:
        np.testing.assert_array_equal(got, want)
        assert np.array_equal(np.signbit(got), np.signbit(want)), (SPECIAL, got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_round_takes_halves_to_even() -> None:
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4999998, 8388609.0], np.float32)
    got, _ = run_node(OpType.ROUND, [x], x.shape, DType.FLOAT32)
    np.testing.assert_array_equal(got, [-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 4.0, 2.0, 8388609.0])


LARGE = (2, 64, 41, 37)  # big enough to be split over the threads


@pytest.mark.parametrize("op,attrs", [("Exp", {}), ("Mish", {}), ("Elu", {"alpha": 0.7}),
                                      ("Gelu", {"approximate": "tanh"})], ids=param_id)
def test_two_threads_give_the_same_bits(op: str, attrs: dict) -> None:
    data = convert_onnx(_model(op, attrs, LARGE))
    x = random_input(LARGE, 5)
    one, = run_ember(data, [x], num_threads=1)
    two, = run_ember(data, [x], num_threads=2)
    np.testing.assert_array_equal(one, two)


# ---- POW ----------------------------------------------------------------------------------

POW_SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()),
              ((), (3, 2))]


@pytest.mark.parametrize("shapes", POW_SHAPES, ids=str)
def test_pow_broadcasts_like_onnx_runtime(shapes: tuple[tuple[int, ...], ...]) -> None:
    a_shape, b_shape = shapes
    rng = np.random.default_rng(3)
    base = np.asarray(np.abs(rng.standard_normal(a_shape)) + 0.1, np.float32)
    exponent = np.asarray(rng.standard_normal(b_shape) * 2, np.float32)
    out_shape = np.broadcast_shapes(a_shape, b_shape)
    graph = helper.make_graph(
        [helper.make_node("Pow", ["a", "b"], ["y"])], "pow",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, a_shape),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, b_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)])
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert_matches_ort(onnx_model, [base, exponent], tol=1e-6)


def test_pow_special_cases() -> None:
    base = np.array([0.0, np.nan, 1.0, -8.0, -2.0, 2.0, 0.0, -0.0, np.inf, 4.0], np.float32)
    expo = np.array([0.0, 0.0, np.nan, 1 / 3, 3.0, -1.0, -1.0, 3.0, -0.5, 0.5], np.float32)
    got, want = run_node(OpType.POW, [base, expo], base.shape, DType.FLOAT32)
    np.testing.assert_array_equal(got, want.astype(np.float32))
    np.testing.assert_array_equal(got[:3], [1.0, 1.0, 1.0])
    assert np.isnan(got[3]) and got[4] == -8.0 and got[6] == np.inf


def test_pow_by_a_constant_exponent() -> None:
    exponent = numpy_helper.from_array(np.array(2.0, np.float32), "e")
    graph = helper.make_graph(
        [helper.make_node("Pow", ["x", "e"], ["y"])], "pow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (3, 4))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (3, 4))], [exponent])
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert_matches_ort(onnx_model, [random_input((3, 4), 1)], tol=1e-6)


# ---- malformed params ---------------------------------------------------------------------

@pytest.mark.parametrize("op,params,message", [
    (OpType.ELU, EluParams(float("nan")), "alpha must be finite"),
    (OpType.SELU, SeluParams(2.0, float("inf")), "gamma must be finite"),
    (OpType.SELU, SeluParams(float("-inf"), 1.0), "alpha must be finite"),
])
def test_non_finite_params_are_refused_by_the_verifier(op: OpType, params: object,
                                                       message: str) -> None:
    """Written without the converter's checks, as a hostile file would be."""
    with pytest.raises(InvalidModelError, match=f"node 0 \\({op.name.lower()}\\): {message}"):
        run_node(op, [SPECIAL], SPECIAL.shape, DType.FLOAT32, params)


@pytest.mark.parametrize("op", [*UNARY_OPS, OpType.POW], ids=lambda op: op.name.lower())
def test_wrong_type_or_shape_is_refused_with_node_and_reason(op: OpType) -> None:
    # ABS, NEG, SIGN and POW run on int32 too (test_integer_arithmetic_family.py): bool then.
    integer = op in (OpType.ABS, OpType.NEG, OpType.SIGN, OpType.POW)
    x = np.arange(6, dtype=np.int32).reshape(2, 3).astype(bool if integer else np.int32)
    inputs = [x, x] if op == OpType.POW else [x]
    name = op.name.lower()
    refused = f"node 0 \\({name}\\): input 0 .* must be float32"
    with pytest.raises(InvalidModelError, match=refused):
        run_node(op, inputs, (2, 3), DType.BOOL if integer else DType.INT32, PARAMS.get(op))
    f = x.astype(np.float32)
    with pytest.raises(InvalidModelError, match=f"node 0 \\({name}\\): output"):
        run_node(op, [f, f] if op == OpType.POW else [f], (3, 2), DType.FLOAT32, PARAMS.get(op))
