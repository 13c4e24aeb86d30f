"""LOG_SOFTMAX in every type:
- float32: one IR node against numpy written here (independent of converter/reference.py)
  and against the reference evaluator, over each axis and beta.
- int8 (fixed-point exp, Q12.19 sum, fixed-point log; output scale 16/256, zero point 127)
  against a numpy model of LiteRT's reference kernel (fixed_point_log_div.py): bit-exact,
  with hypothesis over scales, zero points, shapes and values. The model is checked against
  real log softmax, so a shared misreading of the arithmetic would show.
- int8 .tflite files from TFLiteConverter (keras_int8_log_softmax_div.py): byte for byte
  LiteRT's reference kernels (BUILTIN_REF) and within 1 LSB of its default kernels on >= 99%
  of the elements; the importer checks the output quantization."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require_module
from emberlite.converter.importers.tflite_reader import read_tflite
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.softmax import SoftmaxParams
from emberlite.errors import InvalidModelError
from tests.importers import keras_int8_log_softmax_div
from tests.importers.keras_int8_log_softmax_div import LOG_SOFTMAX, signed_uniform
from tests.importers.tflite_int8_models import assert_within_one_lsb_of_default, int8_tflite
from tests.kernels.fast_paths import check_fast_path, float_node
from tests.kernels.fixed_point import empty_graph, int8_tensor, log_uniform, run_graph, single_op
from tests.kernels.fixed_point_log_div import log_softmax_i8, log_x, real_log_softmax
from tests.kernels.single_node import assert_close, run_node

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("axis, beta", [(2, 1.0), (1, 0.5), (0, 2.0)])
def test_log_softmax(axis: int, beta: float) -> None:
    x = (RNG.standard_normal((3, 4, 5)) * 10).astype(np.float32)
    z = x.astype(np.float64) * beta
    want = z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
    got, ref = run_node(OpType.LOG_SOFTMAX, [x], x.shape, DType.FLOAT32,
                               SoftmaxParams(axis, beta))
    assert_close(got, ref, want.astype(np.float32))


OUT_SCALE, OUT_ZP = 16.0 / 256.0, 127


def log_softmax_graph(shape: tuple[int, ...], s_in: float, zp_in: int, axis: int,
                      s_out: float = OUT_SCALE, zp_out: int = OUT_ZP):
    g = empty_graph()
    int8_tensor(g, "x", shape, s_in, zp_in)
    int8_tensor(g, "out", shape, s_out, zp_out)
    return single_op(OpType.LOG_SOFTMAX, ["x"], SoftmaxParams(axis=axis), g)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), depth=st.integers(1, 1200), rows=st.integers(1, 3),
       strided=st.booleans())
def test_log_softmax_i8(seed: int, depth: int, rows: int, strided: bool) -> None:
    rng = np.random.default_rng(seed)
    s_in = float(log_uniform(rng, 1e-3, 2.0))
    # Logits from a narrow or the full int8 range: ties of the max and cut-off tails both occur.
    lo = int(rng.integers(-128, 127))
    x = rng.integers(lo, 128, (rows, depth)).astype(np.int8)
    axis = 1
    if strided:  # along a middle axis (LiteRT only has the last; ONNX models may differ)
        x = np.ascontiguousarray(np.stack([x, x[::-1]], axis=-1))
    graph = log_softmax_graph(x.shape, s_in, int(rng.integers(-128, 128)), axis)
    want = log_softmax_i8(x, s_in, axis)
    got = run_graph(graph, [x])[0]
    assert np.array_equal(got, want), np.argwhere(got != want)[:5]
    # Real log softmax to about 1 LSB (1/16), where it is above the output's floor -255/16.
    real = np.float32(real_log_softmax(x, s_in, axis))
    inside = real > -15.5
    assert np.max(np.abs(want[inside] - (real[inside] * 16 + 127))) <= 1.5


@pytest.mark.parametrize("s_in", [0.0371, 0.25, 1.0 / 16, 0.004, 0.9, 1.0, 2e-3, 40.0])
def test_log_softmax_i8_every_difference(s_in: float) -> None:
    # Rows holding every int8 value once (every difference to the max 127), shuffled, plus
    # rows of equal values; 40.0 hits the multiplier cap of 2^31 - 1.
    rng = np.random.default_rng(7)
    full = np.arange(-128, 128, dtype=np.int8)
    x = np.stack([rng.permutation(full), full, np.full(256, 5, np.int8),
                  np.full(256, -128, np.int8)])
    got = run_graph(log_softmax_graph(x.shape, s_in, 0, 1), [x])[0]
    assert np.array_equal(got, log_softmax_i8(x, s_in, 1))


def test_fixed_point_log_approximates_log() -> None:
    # Q12.19 inputs from 1 to 4095, log in Q5.26: within a few units of 2^-26.
    raw = np.unique(np.round(np.geomspace(1.0, 4095.0, 20001) * 2**19).astype(np.int64))
    got = log_x(raw) / 2**26
    assert np.max(np.abs(got - np.log(raw / 2**19))) < 1e-6


@pytest.mark.parametrize("s_out,zp_out", [(16.0 / 256 * 1.0001, 127), (16.0 / 256, 0),
                                          (1.0 / 256, -128)])
def test_log_softmax_i8_output_quantization_is_checked(s_out: float, zp_out: int) -> None:
    with pytest.raises(InvalidModelError, match="scale 16/256 and zero point 127"):
        run_graph(log_softmax_graph((2, 5), 0.1, 0, 1, s_out, zp_out),
                  [np.zeros((2, 5), np.int8)])


def test_log_softmax_i8_rejects_tiny_input_scale() -> None:
    with pytest.raises(InvalidModelError, match="beta x input scale"):
        run_graph(log_softmax_graph((3,), 1e-8, 0, 0), [np.zeros(3, np.int8)])


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_log_softmax_div.py) -----

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_log_softmax_div.litert_results(tmp_path_factory)


TFLITE_CASES = [*LOG_SOFTMAX, "conv_log_softmax_channels"]


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    keras_int8_log_softmax_div.check_identical_to_reference(results, name)


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


def test_log_softmax_output_quantization_is_checked_on_import() -> None:
    # TFLiteConverter writes scale 16/256 and zero point 127, which the importer accepts; the
    # same file with the output's quantization edited is refused, as LiteRT refuses it.
    from emberlite.converter.importers.tflite_quantized import int8_problems
    from emberlite.converter.importers.tflite_ops import TFLITE_OPS
    from emberlite.converter.ir import QuantParams

    tf = require_module("tensorflow")
    rng = np.random.default_rng(5)
    x = tf.keras.layers.Input((6,))
    model = tf.keras.Model(x, tf.keras.layers.Lambda(lambda t: tf.nn.log_softmax(t))(
        tf.keras.layers.Dense(4)(x)))
    m = read_tflite(int8_tflite(tf, model, lambda: signed_uniform(rng, (6,))))
    op = next(o for o in m.operators if o.op_name == "LOG_SOFTMAX")
    out = m.tensors[op.outputs[0]]
    assert out.quant.scale == (16.0 / 256,) and out.quant.zero_point == (127,)
    constant = {i for i, t in enumerate(m.tensors) if t.data is not None}
    assert int8_problems(m, op, TFLITE_OPS[op.code], constant) == []
    for scale, zp in [(16.0 / 256 * 1.0001, 127), (16.0 / 256, 0), (1.0 / 256, -128)]:
        out.quant = QuantParams((scale,), (zp,))
        problems = int8_problems(m, op, TFLITE_OPS[op.code], constant)
        assert any("scale 16/256 and zero point 127" in p for p in problems), problems


# (shape, beta): the axis last; row lengths cover every tail of the 4-value steps
FAST_CASES = [((1, 1000), 1.0), ((7, 13), 0.5), ((3, 4, 33), 2.5), ((64, 1), 1.0),
              ((5, 70), -1.0), ((2, 9, 3, 6), 1.0)]


@pytest.mark.parametrize("shape,beta", FAST_CASES, ids=str)
def test_fast_f32_close_to_reference(shape: tuple[int, ...], beta: float) -> None:
    """The vectorised-exp row microkernel (default isa_mask) against the reference loop
    (ISA_NONE, libm's exp in double): bit-identical on 1 and 2 threads, within 1e-6 of the
    reference absolute plus its float rounding (csrc/ukernels/softmax.h)."""
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 6).astype(np.float32)
    model = float_node(OpType.LOG_SOFTMAX, SoftmaxParams(axis=len(shape) - 1, beta=beta),
                       shape, shape)
    check_fast_path(model, [x], "log_softmax", rtol=2e-7, atol=1e-6)
