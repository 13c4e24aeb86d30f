"""Plain int32 and int64 arithmetic (the integer rows of csrc/kernels/add.c, sub.c, mul.c,
div.c, maximum.c, minimum.c, pow.c and math_unary.c): ONNX Add, Sub, Mul, Div, Max, Min, Neg,
Abs, Sign and Pow on int32 and int64 against ONNX Runtime, bit for bit, with numpy broadcasting
of ranks 0 to 4, negative operands and full-range values whose sums, differences, products,
negations and absolute values wrap; Div's truncation toward zero; the results ONNX Runtime
leaves undefined (it traps or converts out of range) by the documented rules: x / 0 is 0,
INT_MIN / -1 is INT_MIN, an integer power out of range is INT_MIN; Pow's mixed base and exponent
types; malformed nodes refused with node and reason, by the importer and by the C checks."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from emberlite.converter import EmberError, UnsupportedOpsError
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.op_type import FusedActivation
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.kernels.select_models import check_onnx, onnx_model, run_ir

INTS = [np.int32, np.int64]
# Ranks 0 to 4, equal shapes, scalars on either side and broadcasting both ways.
SHAPES = [((), ()), ((5,), ()), ((), (4,)), ((7,), (7,)), ((3, 4), (4,)), ((2, 3, 4), (2, 1, 4)),
          ((2, 1, 3, 5), (4, 1, 1)), ((1,), (2, 3, 1, 2))]
BINARY = ["Add", "Sub", "Mul", "Div", "Max", "Min"]
IR_BINARY = {"Add": OpType.ADD, "Sub": OpType.SUB, "Mul": OpType.MUL, "Div": OpType.DIV,
             "Max": OpType.MAXIMUM, "Min": OpType.MINIMUM, "Pow": OpType.POW}


def _ids(v: object) -> str:
    return getattr(v, "__name__", str(v))


def _model(op: str, inputs: dict[str, np.ndarray], out: type, name: str = "",
           opset: int = 15):
    node = helper.make_node(op, list(inputs), ["y"], name=name)
    return onnx_model(node, inputs, {}, {"y": out}, opset)


def _full_range(rng: np.random.Generator, dtype: type, shape: tuple) -> np.ndarray:
    """Values over the whole type, its extremes and small ones of both signs."""
    info = np.iinfo(dtype)
    wide = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    small = rng.integers(-9, 10, shape).astype(dtype)
    edges = rng.choice(np.array([info.min, info.max, 0, -1, 1], dtype), shape)
    pick = rng.integers(0, 3, shape)
    return np.where(pick == 0, wide, np.where(pick == 1, small, edges)).astype(dtype)


def _operands(op: str, dtype: type, shapes: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = _full_range(rng, dtype, shapes[0])
    b = _full_range(rng, dtype, shapes[1])
    if op == "Div":
        # ONNX Runtime traps on x / 0 and INT_MIN / -1: those have their own test.
        b = np.where((b == 0) | (b == -1), np.asarray(7, dtype), b).astype(dtype)
    return np.asarray(a, dtype), np.asarray(b, dtype)


@pytest.mark.parametrize("dtype", INTS, ids=_ids)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("op", BINARY)
def test_binary_matches_onnx_runtime(op: str, shapes: tuple, dtype: type) -> None:
    a, b = _operands(op, dtype, shapes, len(shapes[0]) * 7 + len(shapes[1]))
    check_onnx(_model(op, {"a": a, "b": b}, dtype), [a, b])


@pytest.mark.parametrize("dtype", INTS, ids=_ids)
def test_div_truncates_toward_zero(dtype: type) -> None:
    """-7 / 2 = -3 (numpy's floor division gives -4): C's and ONNX Runtime's rule."""
    a = np.array([7, -7, 7, -7, 1, -1, 6, -6], dtype)
    b = np.array([2, 2, -2, -2, 3, 3, -3, -3], dtype)
    got, = check_onnx(_model("Div", {"a": a, "b": b}, dtype), [a, b])
    np.testing.assert_array_equal(got, np.fix(a / b).astype(dtype))
    assert not np.array_equal(got, a // b)


@pytest.mark.parametrize("dtype", INTS, ids=_ids)
def test_div_by_zero_is_zero_and_int_min_by_minus_one_wraps(dtype: type) -> None:
    low = np.iinfo(dtype).min
    a = np.array([5, -5, 0, low, low, low, 9], dtype)
    b = np.array([0, 0, 0, 0, -1, 1, -1], dtype)
    safe = np.where((b == 0) | (b == -1), 1, b)  # the rest divide exactly here
    with np.errstate(over="ignore"):
        want = np.where(b == 0, 0, np.where(b == -1, np.negative(a), a // safe))
    got, = run_ember(convert_onnx(_model("Div", {"a": a, "b": b}, dtype)), [a, b])
    np.testing.assert_array_equal(got, want.astype(dtype))
    assert got[4] == low  # -INT_MIN wraps
    (ir,), (ref,) = run_ir(OpType.DIV, [a, b], [((7,), DType.from_numpy(a.dtype))],
                           BinaryParams())
    np.testing.assert_array_equal(ir, ref)
    np.testing.assert_array_equal(ir, got)


@pytest.mark.parametrize("dtype", INTS, ids=_ids)
@pytest.mark.parametrize("shape", [(), (9,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("op", ["Neg", "Abs", "Sign"])
def test_unary_matches_onnx_runtime(op: str, shape: tuple, dtype: type) -> None:
    x = _full_range(np.random.default_rng(len(shape)), dtype, shape)
    info = np.iinfo(dtype)
    if x.size >= 4:  # both extremes, whose negation and absolute value wrap or not
        x.reshape(-1)[:4] = [info.min, info.max, 0, -1]
    got, = check_onnx(_model(op, {"x": np.asarray(x, dtype)}, dtype, opset=13),
                      [np.asarray(x, dtype)])
    if op != "Sign" and x.size >= 4:
        assert got.reshape(-1)[0] == info.min  # -INT_MIN and |INT_MIN| wrap to INT_MIN


@pytest.mark.parametrize("dtype", INTS, ids=_ids)
@pytest.mark.parametrize("shapes", [((6,), (6,)), ((2, 3), (3,)), ((), (4, 1)), ((3, 1), ())],
                         ids=str)
def test_pow_matches_onnx_runtime(shapes: tuple, dtype: type) -> None:
    """Powers that fit the type, negative bases and exponents (2 ^ -1 truncates to 0,
    (-1) ^ -3 is -1): ONNX Runtime's values wherever it defines them."""
    rng = np.random.default_rng(len(shapes[0]))
    a = rng.choice(np.array([-3, -2, -1, 1, 2, 3, 5], dtype), shapes[0])
    b = rng.choice(np.array([-3, -1, 0, 1, 2, 5, 9], dtype), shapes[1])
    a, b = np.asarray(a, dtype), np.asarray(b, dtype)
    check_onnx(_model("Pow", {"a": a, "b": b}, dtype), [a, b])


def test_int64_powers_past_2_to_53_are_the_doubles_as_in_onnx_runtime() -> None:
    """In range but beyond a double's 53 bits: ONNX Runtime's std::pow rounds them; so do we
    (3 ^ 39 is not 4052555153018976267 but the double nearest it)."""
    a = np.array([3, 7, -3, 5, 2, 3], np.int64)
    b = np.array([39, 22, 39, 27, 62, 30], np.int64)
    got, = check_onnx(_model("Pow", {"a": a, "b": b}, np.int64), [a, b])
    assert got[0] != 3 ** 39 and got[0] == int(float(3 ** 39))


@pytest.mark.parametrize("base,exponent", [(np.int32, np.float32), (np.int64, np.float32),
                                           (np.int32, np.int64), (np.int64, np.int32),
                                           (np.float32, np.int32), (np.float32, np.int64)],
                         ids=lambda t: t.__name__)
def test_pow_of_mixed_types_matches_onnx_runtime(base: type, exponent: type) -> None:
    rng = np.random.default_rng(3)
    a = rng.choice(np.array([-3, -2, 1, 2, 3, 7], base), (2, 5))
    if base == np.float32:
        a = (a * np.float32(0.75)).astype(np.float32)
    b = rng.choice(np.array([0, 1, 2, 3, 4], exponent), (5,))
    check_onnx(_model("Pow", {"a": a, "b": b}, base), [a, b], rtol=1e-6)


@pytest.mark.parametrize("dtype", INTS, ids=_ids)
def test_pow_out_of_range_is_the_minimum(dtype: type) -> None:
    """Where ONNX Runtime's double-to-integer conversion is undefined (x86 gives the type's
    minimum there): powers beyond the type and 0 ^ -1 (infinite) give INT_MIN."""
    info = np.iinfo(dtype)
    bits = info.bits
    a = np.array([2, 3, -2, 0, 2, 2], dtype)
    b = np.array([bits - 1, bits * 2, bits - 1, -1, bits - 2, -2], dtype)
    (ir,), (ref,) = run_ir(OpType.POW, [a, b], [((6,), DType.from_numpy(a.dtype))])
    np.testing.assert_array_equal(ir, ref)
    fits = 2.0 ** (bits - 2)  # 2 ^ (bits - 2) fits; (-2) ^ (bits - 1) is exactly INT_MIN
    want = np.array([info.min, info.min, info.min, info.min, fits, 0], dtype)
    np.testing.assert_array_equal(ir, want)


@pytest.mark.parametrize("op", list(IR_BINARY))
def test_c_check_refuses_mixed_integer_types(op: str) -> None:
    a, b = np.zeros(3, np.int32), np.zeros(3, np.int64)
    name = IR_BINARY[op].name.lower()
    message = "input 1 'x1' must be int32, got int64" if op != "Pow" else "output"
    params = None if op in ("Max", "Min", "Pow") else BinaryParams()
    out = ((3,), DType.INT32 if op != "Pow" else DType.INT64)
    with pytest.raises(InvalidModelError, match=f"node 0 \\({name}\\): .*{message}"):
        run_ir(IR_BINARY[op], [a, b], [out], params)


@pytest.mark.parametrize("a,b,out,params,message", [
    (np.zeros(3, np.int32), np.zeros(3, np.int32), ((3,), DType.FLOAT32), BinaryParams(),
     r"node 0 \(add\): .*output 'y0' must be int32, got float32"),
    (np.zeros(3, np.int64), np.zeros(3, np.float32), ((3,), DType.INT64), BinaryParams(),
     r"node 0 \(add\): .*input 1 'x1' must be int64, got float32"),
    (np.zeros(3, np.int32), np.zeros(3, np.int32), ((3,), DType.INT32),
     BinaryParams(FusedActivation.RELU), r"node 0 \(add\): fused activation must be NONE"),
    (np.zeros((2, 3), np.int64), np.zeros(2, np.int64), ((2, 3), DType.INT64), BinaryParams(),
     r"node 0 \(add\): .*broadcast"),
])
def test_c_check_refuses_malformed_integer_nodes(a, b, out, params, message: str) -> None:
    with pytest.raises(InvalidModelError, match=message):
        run_ir(OpType.ADD, [a, b], [out], params)


@pytest.mark.parametrize("op", [OpType.NEG, OpType.ABS, OpType.SIGN])
def test_c_check_refuses_unary_type_mismatch(op: OpType) -> None:
    with pytest.raises(InvalidModelError,
                       match=f"node 0 \\({op.name.lower()}\\): .*output 'y0' must be int64, "
                             f"got int32"):
        run_ir(op, [np.zeros(3, np.int64)], [((3,), DType.INT32)])
    with pytest.raises(InvalidModelError, match=f"node 0 \\(sqrt\\): .*must be float32"):
        run_ir(OpType.SQRT, [np.zeros(3, np.int32)], [((3,), DType.INT32)])


def test_importer_refuses_mixed_and_unsupported_types_naming_the_node() -> None:
    # int32 with int64 breaks ONNX's type constraint: refused before conversion, by node.
    mixed = _model("Sub", {"a": np.zeros(3, np.int32), "b": np.zeros(3, np.int64)}, np.int32,
                   name="offset")
    with pytest.raises(EmberError, match=r"offset.*Sub.*share one type, got int32 and int64"):
        convert_onnx(mixed)
    narrow = helper.make_node("Add", ["a", "b"], ["y"], name="bytes")
    from onnx import TensorProto

    graph = helper.make_graph(
        [narrow], "g", [helper.make_tensor_value_info(n, TensorProto.STRING, [3]) for n in "ab"],
        [helper.make_tensor_value_info("y", TensorProto.STRING, [3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    with pytest.raises(UnsupportedOpsError, match=r"bytes.*STRING; float32 or an integer type"):
        convert_onnx(model)


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
def test_quantized_model_keeps_its_integer_arithmetic_exact(mode: str) -> None:
    """The post-training quantizer leaves int64 arithmetic beside a quantized float path as
    it is: an int64 value is not a quantized one."""
    from onnx import TensorProto, numpy_helper

    from emberlite.converter import Converter

    nodes = [helper.make_node("Mul", ["x", "w"], ["h"], name="scale"),
             helper.make_node("Add", ["h", "w"], ["y"], name="shift"),
             helper.make_node("Sub", ["ids", "one"], ["prev"], name="prev_ids"),
             helper.make_node("Mul", ["prev", "big"], ["z"], name="spread")]
    info = np.iinfo(np.int64)
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8]),
                     helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("z", TensorProto.INT64, None)],
        [numpy_helper.from_array(np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8), "w"),
         numpy_helper.from_array(np.array(1, np.int64), "one"),
         numpy_helper.from_array(np.array(info.max // 3, np.int64), "big")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    rng = np.random.default_rng(0)
    ids = np.array([[info.min, info.max, -5, 0, 1, 2, 3, 1 << 40]], np.int64)
    data = [[rng.standard_normal((1, 8)).astype(np.float32), ids] for _ in range(8)]
    converted = Converter.from_onnx(model).quantize(mode=mode, dataset=data).convert()
    x = np.zeros((1, 8), np.int8 if mode == "int8" else np.float32)
    y, z = run_ember(converted, [x, ids])
    assert y.dtype == x.dtype  # the float path was quantized (int8 edges in int8 mode)
    _, want = run_ort(model, [np.zeros((1, 8), np.float32), ids])
    np.testing.assert_array_equal(z, want)  # wrapped, bit for bit


def test_run_time_index_arithmetic_feeds_a_gather() -> None:
    """What real models do with integers at run time: ArgMax's int64 index, shifted, scaled,
    clamped with Max and Min, divided and negated back, picks rows of a table."""
    from onnx import TensorProto, numpy_helper

    table = np.arange(40, dtype=np.float32).reshape(20, 2)
    consts = {"one": 1, "three": 3, "two": 2, "lo": 0, "hi": 19, "neg": -1}
    nodes = [helper.make_node("ArgMax", ["x"], ["i"], axis=1, keepdims=0),
             helper.make_node("Sub", ["i", "one"], ["j"]),
             helper.make_node("Mul", ["j", "three"], ["k"]),
             helper.make_node("Neg", ["k"], ["kn"]),
             helper.make_node("Abs", ["kn"], ["ka"]),
             helper.make_node("Div", ["ka", "two"], ["h"]),
             helper.make_node("Max", ["h", "lo"], ["m"]),
             helper.make_node("Min", ["m", "hi"], ["idx"]),
             helper.make_node("Gather", ["table", "idx"], ["y"], axis=0)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(table, "table")]
        + [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    x = np.random.default_rng(4).standard_normal((6, 9)).astype(np.float32)
    check_onnx(model, [x])
