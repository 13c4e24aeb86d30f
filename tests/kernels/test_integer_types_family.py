"""Plain integers of every width (int8, uint8, int16 without quantization params; uint16,
uint32, uint64; int32 and int64 as before) in the arithmetic (ADD, SUB, MUL, DIV), MOD,
MAXIMUM/MINIMUM, ABS, NEG,
SIGN, Clip, MaxPool (int8, uint8), the comparisons and POW's exponent (csrc/kernels/broadcast.h's
EMBER_INT_ROWS): one-node ONNX models with numpy broadcasting against ONNX Runtime (ONNX's
reference evaluator where ONNX Runtime has no kernel for the type), exactly, on values across
each type's whole range (so +, - and * wrap); x / 0 and x mod 0 give 0 and INT_MIN / -1 wraps
(ONNX Runtime traps there: checked against the rule); malformed nodes refused with node and
reason; a quantized int8 ADD keeps its quantized kernel."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from emberlite.converter import EmberError, UnsupportedOpsError
from emberlite.converter.ir import DType, QuantParams
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx, run_ember
from tests.kernels.integer_models import SHAPES, TYPES, check, model, operands
from tests.kernels.select_models import oracle, run_ir

ARITHMETIC = ["Add", "Sub", "Mul", "Div", "Max", "Min"]
COMPARISONS = ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]

@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("dtype", TYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("op", ARITHMETIC + COMPARISONS)
def test_matches_onnx_runtime(op: str, dtype: type, shapes: tuple) -> None:
    a, b = operands(dtype, shapes, seed=len(op) * 31 + np.dtype(dtype).num, divisor=op == "Div")
    out = bool if op in COMPARISONS else dtype
    opset = 13 if op in ("Max", "Min") else 14
    check(model(op, {"a": a, "b": b}, out, opset), [a, b])


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", TYPES, ids=lambda t: np.dtype(t).name)
def test_mod_matches_onnx_runtime(dtype: type, fmod: int) -> None:
    for i, shapes in enumerate(SHAPES):
        a, b = operands(dtype, shapes, seed=i, divisor=True)
        check(model("Mod", {"a": a, "b": b}, dtype, 13, fmod=fmod), [a, b])


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.uint32, np.uint64],
                         ids=lambda t: np.dtype(t).name)
def test_float_power_of_integer_exponent(dtype: type) -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(-3, 3, (3, 4)).astype(np.float32)
    y = rng.integers(0, 6, (4,)).astype(dtype)
    got = run_ember(convert_onnx(model("Pow", {"x": x, "e": y}, np.float32, 15)), [x, y])[0]
    want = oracle(model("Pow", {"x": x, "e": y}, np.float32, 15), [x, y])[0]
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("dtype", TYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("op", ["Abs", "Neg", "Sign"])
def test_unary_matches_onnx_runtime(op: str, dtype: type) -> None:
    """ABS, NEG and SIGN, the type's minimum and maximum included (|INT_MIN| wraps); ONNX's
    Neg takes signed types only."""
    info = np.iinfo(dtype)
    if op == "Neg" and info.min == 0:
        pytest.skip("ONNX's Neg has no unsigned types")
    x, _ = operands(dtype, ((3, 7), (1,)), seed=11)
    x.reshape(-1)[:3] = [info.min, info.max, 0]
    check(model(op, {"x": x}, dtype, 13), [x])


@pytest.mark.parametrize("dtype", TYPES, ids=lambda t: np.dtype(t).name)
def test_clip_with_bounds_of_the_type(dtype: type) -> None:
    """Clip of plain integers runs MAXIMUM / MINIMUM on bounds of x's type (CLAMP's float
    params would round 64-bit bounds): constant or run-time bounds, either one or none."""
    info = np.iinfo(dtype)
    x, _ = operands(dtype, ((4, 5), (1,)), seed=3)
    lo = np.array(info.min // 3, dtype)
    hi = np.array(info.max // 2 + 1, dtype)
    inputs = {"x": x, "lo": lo, "hi": hi}
    check(model("Clip", inputs, dtype, 13), [x, lo, hi])
    node = helper.make_node("Clip", ["x", "", "hi"], ["y"])
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", helper.np_dtype_to_tensor_dtype(
            x.dtype), x.shape)],
        [helper.make_tensor_value_info("y", helper.np_dtype_to_tensor_dtype(x.dtype), None)],
        [onnx.numpy_helper.from_array(hi, "hi")])
    check(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), [x])
    check(model("Clip", {"x": x}, dtype, 13), [x])


@pytest.mark.parametrize("dtype", [np.int8, np.uint8], ids=lambda t: np.dtype(t).name)
def test_max_pool_of_bytes(dtype: type) -> None:
    """MaxPool pools int8 and uint8 through float32, exactly: padded windows, strides and
    dilation, values at both ends of the type."""
    info = np.iinfo(dtype)
    x = np.random.default_rng(2).integers(info.min, info.max, (1, 3, 7, 6), dtype=dtype,
                                          endpoint=True)
    check(model("MaxPool", {"x": x}, dtype, 12, kernel_shape=[3, 2], pads=[1, 0, 1, 1],
                strides=[2, 1], dilations=[1, 2]), [x])


def test_max_pool_of_wider_integers_is_refused_by_node() -> None:
    x = np.zeros((1, 1, 4, 4), np.int16)  # not ONNX's either
    with pytest.raises(UnsupportedOpsError, match=r"pool.*int16: float32, int8 and uint8"):
        convert_onnx(model("MaxPool", {"x": x}, np.int16, 12, name="pool", kernel_shape=[2, 2]))


@pytest.mark.parametrize("dtype", TYPES, ids=lambda t: np.dtype(t).name)
def test_zero_divisor_gives_zero_and_min_over_minus_one_wraps(dtype: type) -> None:
    info = np.iinfo(dtype)
    a = np.array([info.min, info.max, 7, 0, info.min], dtype)
    minus_one = np.array(-1).astype(dtype)  # the maximum of an unsigned type
    b = np.array([0, 0, 0, minus_one, minus_one], dtype)
    quotient = run_ember(convert_onnx(model("Div", {"a": a, "b": b}, dtype)), [a, b])[0]
    remainder = run_ember(convert_onnx(model("Mod", {"a": a, "b": b}, dtype, 13)), [a, b])[0]
    np.testing.assert_array_equal(quotient[:3], 0)
    np.testing.assert_array_equal(remainder[:3], 0)
    if info.min < 0:  # x / -1 is -x, wrapping at the minimum; x mod -1 is 0
        np.testing.assert_array_equal(quotient[3:], [0, info.min])
        np.testing.assert_array_equal(remainder[3:], [0, 0])
    else:  # x / max is 0 but for max itself
        np.testing.assert_array_equal(quotient[3:], [0, 0])


def test_c_check_refuses_a_plain_node_with_a_quantized_operand() -> None:
    a = np.zeros(3, np.int8)
    with pytest.raises(InvalidModelError,
                       match=r"node 0 \(add\): input 1 'x1' of a plain integer op must have no "
                             r"quantization parameters"):
        run_ir(OpType.ADD, [a, a], [((3,), DType.INT8)], BinaryParams(),
               quant={"x1": QuantParams((0.5,), (0,))})
    with pytest.raises(InvalidModelError, match=r"node 0 \(add\): .*input 1 'x1' must be uint16, "
                                                r"got uint32"):
        run_ir(OpType.ADD, [np.zeros(3, np.uint16), np.zeros(3, np.uint32)],
               [((3,), DType.UINT16)], BinaryParams())
    with pytest.raises(InvalidModelError, match=r"node 0 \(abs\): output 'y0' must be uint16, "
                                                r"got int16"):
        run_ir(OpType.ABS, [np.zeros(3, np.uint16)], [((3,), DType.INT16)])
    with pytest.raises(InvalidModelError, match=r"node 0 \(less\): .*output 'y0' must be bool"):
        run_ir(OpType.LESS, [np.zeros(3, np.uint64)] * 2, [((3,), DType.UINT64)])


def test_importer_refuses_mixed_integer_types_naming_the_node() -> None:
    a, b = np.zeros(3, np.uint8), np.zeros(3, np.int8)
    with pytest.raises(EmberError, match=r"bytes.*share one type, got uint8 and int8"):
        convert_onnx(model("Add", {"a": a, "b": b}, np.uint8, name="bytes"))
    with pytest.raises(EmberError, match=r"rem"):
        convert_onnx(model("Mod", {"a": a, "b": b}, np.uint8, 13, name="rem"))
    with pytest.raises(EmberError, match=r"clip.*share one type"):
        convert_onnx(model("Clip", {"x": a, "lo": np.zeros((), np.int8)}, np.uint8, 13,
                           name="clip"))
    s = helper.make_tensor_value_info
    graph = helper.make_graph([helper.make_node("Clip", ["a"], ["y"], name="clip")], "g",
                              [s("a", onnx.TensorProto.STRING, [3])],
                              [s("y", onnx.TensorProto.STRING, [3])])
    with pytest.raises(UnsupportedOpsError, match=r"clip.*STRING"):
        convert_onnx(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))


def test_quantized_int8_add_keeps_its_quantized_kernel() -> None:
    """An int8 ADD whose tensors carry quantization params requantizes (real values add);
    the same bytes without params wrap as integers."""
    q = QuantParams((0.5,), (0,))
    a = np.array([100, -100, 60], np.int8)
    quantized, _ = run_ir(OpType.ADD, [a, a], [((3,), DType.INT8)], BinaryParams(),
                          quant={"x0": q, "x1": q, "y0": QuantParams((1.0,), (0,))})
    plain, _ = run_ir(OpType.ADD, [a, a], [((3,), DType.INT8)], BinaryParams())
    np.testing.assert_array_equal(quantized[0], [100, -100, 60])  # 50 + 50 at scale 1
    np.testing.assert_array_equal(plain[0], (a.astype(np.int16) * 2).astype(np.int8))
