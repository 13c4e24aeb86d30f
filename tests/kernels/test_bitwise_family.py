"""BITWISE_AND, BITWISE_OR, BITWISE_XOR, BITWISE_NOT and BIT_SHIFT (csrc/kernels/bitwise.c):
ONNX BitwiseAnd/Or/Xor/Not on every integer type with numpy broadcasting against ONNX Runtime
(ONNX's reference evaluator where it has no kernel), exactly; BitShift both ways on every
type against a Python-integer oracle of ONNX's rule (opset 28: arithmetic right shift of a
signed type; a count below 0 or not below the width gives the sign fill), and on the unsigned
types against ONNX Runtime (opset 11); TFLite BITWISE_XOR and RIGHT_SHIFT made by TensorFlow
against LiteRT (int8 and uint8, the importer's quantized types, refused with the reason);
malformed nodes refused with node and reason."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter import EmberError, UnsupportedOpsError
from emberlite.converter.ir import DType, QuantParams
from emberlite.converter.ops import OpType
from emberlite.converter.ops.bitwise import BitShiftParams
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx, run_ember
from tests.kernels.select_models import run_ir
from tests.kernels.integer_models import SHAPES, TYPES, check, model, operands

UNSIGNED = [t for t in TYPES if np.iinfo(t).min == 0]


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("dtype", TYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("op", ["BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot"])
def test_logic_matches_onnx_runtime(op: str, dtype: type, shapes: tuple) -> None:
    a, b = operands(dtype, shapes, seed=len(op))
    inputs = {"a": a} if op == "BitwiseNot" else {"a": a, "b": b}
    check(model(op, inputs, dtype, 18), list(inputs.values()))


def shift_oracle(x: np.ndarray, y: np.ndarray, direction: str) -> np.ndarray:
    """ONNX's BitShift rule, element by element in Python integers."""
    bits = x.dtype.itemsize * 8
    signed = np.iinfo(x.dtype).min < 0
    xs, ys = np.broadcast_arrays(x, y)
    out = []
    for u, v in zip(xs.ravel().tolist(), ys.ravel().tolist()):
        if not 0 <= v < bits:
            out.append(-1 if direction == "RIGHT" and u < 0 else 0)
        elif direction == "LEFT":
            r = (u << v) & ((1 << bits) - 1)
            out.append(r - (1 << bits) if signed and r >> (bits - 1) else r)
        else:
            out.append(u >> v)  # Python's >> is arithmetic on negatives
    return np.array(out, dtype=np.int64 if signed else np.uint64).astype(x.dtype).reshape(
        xs.shape)


def shift_counts(dtype: type, shape: tuple, seed: int) -> np.ndarray:
    """Counts in range and out of it: 0, the width - 1, the width, past it, and -1 (the
    type's maximum when unsigned)."""
    bits = np.dtype(dtype).itemsize * 8
    edges = np.array([0, 1, 3, bits - 1, bits, bits + 5, (1 << bits) - 1], np.uint64)
    return np.random.default_rng(seed).choice(edges, shape).astype(dtype)


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", TYPES, ids=lambda t: np.dtype(t).name)
def test_shift_follows_the_onnx_rule(dtype: type, direction: str) -> None:
    for i, shapes in enumerate(SHAPES):
        x, _ = operands(dtype, shapes, seed=i)
        y = shift_counts(dtype, shapes[1], seed=i)
        got = run_ember(convert_onnx(model("BitShift", {"x": x, "s": y}, dtype, 18,
                                           direction=direction)), [x, y])[0]
        np.testing.assert_array_equal(got, shift_oracle(x, y, direction))


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", UNSIGNED, ids=lambda t: np.dtype(t).name)
def test_unsigned_shift_matches_onnx_runtime(dtype: type, direction: str) -> None:
    bits = np.dtype(dtype).itemsize * 8
    for i, shapes in enumerate(SHAPES):
        x, _ = operands(dtype, shapes, seed=i)
        y = np.random.default_rng(i).integers(0, bits, shapes[1]).astype(dtype)
        check(model("BitShift", {"x": x, "s": y}, dtype, 11, direction=direction), [x, y])


def test_importer_refuses_floats_and_mixed_types_naming_the_node() -> None:
    f = np.zeros(3, np.float32)
    with pytest.raises(UnsupportedOpsError, match=r"masks.*float32: bitwise ops take the "
                                                  r"integer types"):
        convert_onnx(model("BitwiseAnd", {"a": f, "b": f}, np.float32, 18, name="masks"))
    with pytest.raises(EmberError, match=r"shift.*share one type, got uint8 and uint16"):
        convert_onnx(model("BitShift", {"a": np.zeros(3, np.uint8), "b": np.zeros(3, np.uint16)},
                           np.uint8, 11, name="shift", direction="LEFT"))
    with pytest.raises(UnsupportedOpsError, match=r"shift.*direction"):
        convert_onnx(model("BitShift", {"a": np.zeros(3, np.uint8), "b": np.zeros(3, np.uint8)},
                           np.uint8, 11, name="shift", direction="UP"))


def test_c_check_refuses_malformed_nodes() -> None:
    u8 = np.zeros(3, np.uint8)
    with pytest.raises(InvalidModelError, match=r"node 0 \(bit_shift\): direction must be LEFT "
                                                r"\(0\) or RIGHT \(1\), got 7"):
        run_ir(OpType.BIT_SHIFT, [u8, u8], [((3,), DType.UINT8)], BitShiftParams(7))
    with pytest.raises(InvalidModelError, match=r"node 0 \(bitwise_and\): input 0 'x0' must be a "
                                                r"plain integer type .*got float32"):
        run_ir(OpType.BITWISE_AND, [np.zeros(3, np.float32)] * 2, [((3,), DType.FLOAT32)])
    with pytest.raises(InvalidModelError, match=r"node 0 \(bitwise_or\): input 0 'x0' must be a "
                                                r"plain integer type .*int8 \(quantized\)"):
        run_ir(OpType.BITWISE_OR, [np.zeros(3, np.int8)] * 2, [((3,), DType.INT8)],
               quant={"x0": QuantParams((0.5,), (0,))})
    with pytest.raises(InvalidModelError, match=r"node 0 \(bitwise_not\): .*output 'y0' must "
                                                r"be uint8, got int8"):
        run_ir(OpType.BITWISE_NOT, [u8], [((3,), DType.INT8)])
    with pytest.raises(InvalidModelError, match=r"node 0 \(bitwise_xor\): .*do not broadcast"):
        run_ir(OpType.BITWISE_XOR, [np.zeros((2, 3), np.int16), np.zeros(2, np.int16)],
               [((2, 3), DType.INT16)])


@pytest.fixture(scope="module")
def tflite_models() -> dict:
    """TFLite files of tf.bitwise.bitwise_xor and right_shift ([2, 3] by [3]) per type."""
    tf = pytest.importorskip("tensorflow")
    models = {}
    for dtype in (np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64):
        for name, fn in (("BITWISE_XOR", tf.bitwise.bitwise_xor),
                         ("RIGHT_SHIFT", tf.bitwise.right_shift)):
            spec = [tf.TensorSpec([2, 3], tf.as_dtype(dtype)),
                    tf.TensorSpec([3], tf.as_dtype(dtype))]
            f = tf.function(fn, input_signature=spec)
            conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()],
                                                                    f)
            try:
                models[name, np.dtype(dtype).name] = conv.convert()
            except Exception:  # TFLite's converter has no such builtin for the type
                models[name, np.dtype(dtype).name] = None
    return models


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64],
                         ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("op", ["BITWISE_XOR", "RIGHT_SHIFT"])
def test_tflite_matches_litert(tflite_models: dict, op: str, dtype: type) -> None:
    from ai_edge_litert.interpreter import Interpreter

    from emberlite.converter import Converter

    data = tflite_models[op, np.dtype(dtype).name]
    if data is None or op not in str(Interpreter(model_content=data)._get_ops_details()):
        pytest.skip(f"TensorFlow made no {op} of {np.dtype(dtype).name}")
    if dtype == np.int8:
        with pytest.raises(UnsupportedOpsError, match=f"{op}.*int8"):
            Converter.from_tflite(data).convert()
        return
    info = np.iinfo(dtype)
    rng = np.random.default_rng(1)
    a = rng.integers(info.min, info.max, (2, 3), dtype=dtype, endpoint=True)
    b = (rng.integers(0, info.bits, (3,)).astype(dtype) if op == "RIGHT_SHIFT"
         else rng.integers(info.min, info.max, (3,), dtype=dtype, endpoint=True))
    lite = Interpreter(model_content=data)
    lite.allocate_tensors()
    for detail, value in zip(lite.get_input_details(), (a, b)):
        lite.set_tensor(detail["index"], value)
    lite.invoke()
    want = lite.get_tensor(lite.get_output_details()[0]["index"])
    got = run_ember(Converter.from_tflite(data).convert(), [a, b])[0]
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
