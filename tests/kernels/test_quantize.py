"""QUANTIZE in every type pair (and DEQUANTIZE where a test runs both as a round trip; the
DEQUANTIZE-only tests are in test_dequantize.py):
- float32 -> int8 -> float32: bit-exact against LiteRT's reference kernels (BUILTIN_REF) on a
  TFLiteConverter model with float input and output, and against the converter's reference
  evaluator over random scales. LiteRT runs in a subprocess.
- int8 -> int8, uint8 -> int8 and int8 -> uint8 (requantization): bit-exact against the numpy
  model of tests/kernels/fixed_point.py on all 256 inputs for random scale pairs.
- float32 -> int16 and between int8 and int16: bit-exact against fixed_point16.py.
- int8 -> int8 in TFLiteConverter models (a tensor requantized for one of two
  CONCATENATIONs): byte for byte LiteRT's reference kernels (BUILTIN_REF) and within 1 LSB of
  its default kernels."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tflite.TensorType import TensorType

from conftest import require_module
from emberlite import InvalidModelError
from emberlite.converter.importers.tflite_reader import read_tflite
from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.reference import evaluate
from emberlite.converter.writer import serialize
from emberlite.interpreter import Interpreter
from tests.importers.keras_sets import Built, session_cases
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default, int8_tflite,
                                                random_int8_samples, uniform)
from emberlite import ISA_AVX2, ISA_SHA
from tests.kernels import elementwise_qs8_checks
from tests.kernels.fixed_point import _FEATURES, round_half_away
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, mbqm,
                                       quantize_multiplier, run_graph, single_op, snap_pow2)
from tests.kernels.fixed_point16 import INT16_MAX, INT16_MIN, quantize16, requantize_int
from tests.kernels.int16_graphs import conversion_graph

WORKER = Path(__file__).with_name("litert_qdq_worker.py")


def round_trip(shape: tuple[int, ...], scale: float, zp: int) -> Graph:
    """x (float) -> QUANTIZE -> q (int8) -> DEQUANTIZE -> y (float); q and y are outputs."""
    quant = QuantParams((float(np.float32(scale)),), (zp,))
    tensors = {"x": Tensor("x", DType.FLOAT32, shape), "q": Tensor("q", DType.INT8, shape, None,
                                                                   quant),
               "y": Tensor("y", DType.FLOAT32, shape)}
    nodes = [Node(OpType.QUANTIZE, "quantize", ["x"], ["q"]),
             Node(OpType.DEQUANTIZE, "dequantize", ["q"], ["y"])]
    return Graph(tensors, nodes, ["x"], ["q", "y"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bit_exact_with_litert(seed: int, tmp_path: Path) -> None:
    require_module("tensorflow")
    require_module("ai_edge_litert")
    out = tmp_path / "qdq.npz"
    run = subprocess.run([sys.executable, str(WORKER), str(seed), str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    d = dict(np.load(out))
    assert d["ops"][0] == "QUANTIZE" and d["ops"][-1] == "DEQUANTIZE"
    q, y = run_graph(round_trip(d["x"].shape, float(d["scale"]), int(d["zp"])), [d["x"]])
    np.testing.assert_array_equal(q, d["q"])
    # The reshape between them moves values only, so LiteRT's output is DEQUANTIZE(q).
    np.testing.assert_array_equal(y.view(np.int32), d["y"].reshape(y.shape).view(np.int32))


@pytest.mark.parametrize("seed", range(6))
def test_matches_reference_evaluator(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scale = float(np.exp(rng.uniform(np.log(1e-3), np.log(10.0))))
    if seed % 2:  # a power-of-two scale makes x / scale exact, so ties are common
        scale = float(2.0 ** np.round(np.log2(scale)))
    zp = int(rng.integers(-128, 128))
    ties = (np.arange(-140, 140) - zp + 0.5) * scale
    x = np.concatenate([ties, rng.normal(0, 200 * scale, 500), [1e38, -1e38, np.inf, -np.inf]])
    x = x.astype(np.float32).reshape(2, -1, 2)
    graph = round_trip(x.shape, scale, zp)
    want = evaluate(graph, {"x": x})
    q, y = run_graph(graph, [x])
    np.testing.assert_array_equal(q, want["q"])
    np.testing.assert_array_equal(y, want["y"])
    assert q.min() == -128 and q.max() == 127  # saturation was exercised


def _rejected(graph: Graph, match: str) -> None:
    with pytest.raises(InvalidModelError, match=match):
        Interpreter(model_content=serialize(graph, plan_memory(graph)))


def test_int8_side_needs_one_scale() -> None:
    graph = round_trip((2, 3), 0.5, 0)
    graph.tensors["q"].quant = QuantParams((0.5, 0.25), (0, 0), 0)
    _rejected(graph, "one scale")


def test_types_and_shapes_are_checked() -> None:
    graph = round_trip((2, 3), 0.5, 0)
    graph.nodes[0] = Node(OpType.DEQUANTIZE, "wrong", ["x"], ["q"])
    _rejected(graph, "input 0")
    graph = round_trip((2, 3), 0.5, 0)
    graph.tensors["y"].shape = (3, 2)
    _rejected(graph, "output dim 0 must equal")


def requantize_graph(q: dict, shape: tuple[int, ...] = (256,), in_type: DType = DType.INT8,
                     out_type: DType = DType.INT8) -> Graph:
    g = empty_graph()
    int8_tensor(g, "x", shape, q["s_in"], q["zp_in"])
    int8_tensor(g, "out", shape, q["s_out"], q["zp_out"])
    g.tensors["x"].dtype, g.tensors["out"].dtype = in_type, out_type
    return single_op(OpType.QUANTIZE, ["x"], None, g)


def requantize_reference(x: np.ndarray, q: dict, out_type: type = np.int8) -> np.ndarray:
    """Section 5: MBQM by QM(double(s_in) / double(s_out)) of q - zp_in, plus zp_out, clamped
    to the output type."""
    s_in, s_out = (float(np.float32(q[k])) for k in ("s_in", "s_out"))
    m, shift = quantize_multiplier(s_in / s_out)
    y = mbqm(x.astype(np.int64) - q["zp_in"], m, shift) + q["zp_out"]
    info = np.iinfo(out_type)
    return np.clip(y, info.min, info.max).astype(out_type)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_requantize_i8_all_inputs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s_in = float(log_uniform(rng, 1e-4, 1.0))
    # Ratios well below and above 1 (clamping at both ends), and exact powers of two.
    q = snap_pow2(rng, {"s_in": s_in, "s_out": s_in * float(log_uniform(rng, 0.05, 20.0)),
                        "zp_in": int(rng.integers(-128, 128)),
                        "zp_out": int(rng.integers(-128, 128))})
    x = np.arange(-128, 128, dtype=np.int8)
    got = run_graph(requantize_graph(q), [x])[0]
    assert np.array_equal(got, requantize_reference(x, q))


def test_requantize_i8_same_quantization_is_identity() -> None:
    q = {"s_in": 0.0173, "s_out": 0.0173, "zp_in": -9, "zp_out": -9}
    x = np.arange(-128, 128, dtype=np.int8).reshape(4, 64)
    assert np.array_equal(run_graph(requantize_graph(q, x.shape), [x])[0], x)


@pytest.mark.parametrize("ratio", [0.5, 0.25, 2.0**-7])
def test_requantize_i8_ties(ratio: float) -> None:
    # Power-of-two ratios put many q - zp_in on exact halves: 1/2 rounds them inside SRDHM
    # (negative ties toward zero), smaller ones in the final shift (away from zero).
    q = {"s_in": 0.25 * ratio, "s_out": 0.25, "zp_in": 3, "zp_out": -1}
    x = np.arange(-128, 128, dtype=np.int8)
    got = run_graph(requantize_graph(q), [x])[0]
    assert np.array_equal(got, requantize_reference(x, q))
    # Not the same as one round-half-away of the real value everywhere.
    real = (x.astype(np.float64) - 3) * ratio
    once = np.clip(np.sign(real) * np.floor(np.abs(real) + 0.5) - 1, -128, 127)
    assert ratio != 0.5 or np.any(got != once)


def test_requantize_i8_output_needs_one_scale() -> None:
    graph = requantize_graph({"s_in": 0.1, "s_out": 0.2, "zp_in": 0, "zp_out": 0}, (2,))
    graph.tensors["out"].quant = QuantParams((0.2, 0.3), (0, 0), 0)
    _rejected(graph, "one scale")


# uint8 <-> int8: the QUANTIZE ops at the uint8 inputs and outputs of a full-integer model.
UINT8_DIRECTIONS = {"u8_to_i8": (DType.UINT8, DType.INT8), "i8_to_u8": (DType.INT8, DType.UINT8)}


def _zero_point(rng: np.random.Generator, dtype: DType) -> int:
    return int(rng.integers(0, 256) if dtype == DType.UINT8 else rng.integers(-128, 128))


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), direction=st.sampled_from(sorted(UINT8_DIRECTIONS)),
       equal_scales=st.booleans())
def test_requantize_uint8_all_inputs(seed: int, direction: str, equal_scales: bool) -> None:
    in_type, out_type = UINT8_DIRECTIONS[direction]
    rng = np.random.default_rng(seed)
    s_in = float(log_uniform(rng, 1e-4, 1.0))
    ratio = 1.0 if equal_scales else float(log_uniform(rng, 0.05, 20.0))
    q = {"s_in": s_in, "s_out": s_in * ratio, "zp_in": _zero_point(rng, in_type),
         "zp_out": _zero_point(rng, out_type)}
    q = q if equal_scales else snap_pow2(rng, q)
    if equal_scales and rng.random() < 0.5:  # TFLite's edges: zero points 128 apart
        q["zp_out"] = q["zp_in"] + (128 if out_type == DType.UINT8 else -128)
    x = np.arange(256).astype(in_type.numpy)
    got = run_graph(requantize_graph(q, in_type=in_type, out_type=out_type), [x])[0]
    assert got.dtype == out_type.numpy
    assert np.array_equal(got, requantize_reference(x, q, out_type.numpy))


@pytest.mark.parametrize("direction", sorted(UINT8_DIRECTIONS))
def test_requantize_uint8_equal_scales_is_a_bit_flip(direction: str) -> None:
    # Equal scales, zero points 128 apart: the multiplier is exactly 1, so each stored byte
    # only has its top bit flipped (no rounding, no clamping).
    in_type, out_type = UINT8_DIRECTIONS[direction]
    zp_in = 131 if in_type == DType.UINT8 else 3
    q = {"s_in": 0.0173, "s_out": 0.0173, "zp_in": zp_in,
         "zp_out": zp_in + (128 if out_type == DType.UINT8 else -128)}
    x = np.arange(256).astype(in_type.numpy).reshape(4, 64)
    got = run_graph(requantize_graph(q, x.shape, in_type, out_type), [x])[0]
    assert np.array_equal(got.view(np.uint8), x.view(np.uint8) ^ 0x80)


def test_uint8_quantization_is_checked() -> None:
    q = {"s_in": 0.1, "s_out": 0.2, "zp_in": 0, "zp_out": 0}
    graph = requantize_graph(q, (2,), DType.UINT8, DType.INT8)
    graph.tensors["x"].quant = QuantParams((0.1, 0.3), (0, 0), 0)
    _rejected(graph, "uint8 input 'x' needs one scale")
    graph = requantize_graph(q, (2,), DType.INT8, DType.UINT8)
    graph.tensors["out"].quant = QuantParams((0.2, 0.3), (0, 0), 0)
    _rejected(graph, "uint8 output 'out' needs one scale")
    for zp in (-1, 256):
        graph = requantize_graph({**q, "zp_out": zp}, (2,), DType.INT8, DType.UINT8)
        _rejected(graph, r"uint8 zero point 0 is %d, must be in \[0, 255\]" % zp)


@pytest.mark.parametrize("types, match", [
    ((DType.UINT8, DType.UINT8), "output 'out' must be int8, got uint8"),
    ((DType.FLOAT32, DType.UINT8), "output 'out' must be int8, got uint8"),
    ((DType.UINT8, DType.FLOAT32), "output 'out' must be int8, got float32")])
def test_other_uint8_pairs_are_refused(types: tuple[DType, DType], match: str) -> None:
    graph = requantize_graph({"s_in": 0.1, "s_out": 0.1, "zp_in": 0, "zp_out": 0}, (2,), *types)
    for name, dtype in zip(("x", "out"), types):
        if dtype == DType.FLOAT32:
            graph.tensors[name].quant = None
    _rejected(graph, match)


def test_quantize_f32_i16_ties_and_saturation() -> None:
    scale = 3e-4
    k = np.arange(-40000, 40000, 7, dtype=np.float64)
    x = np.concatenate([(k + 0.5) * scale, k * scale, [np.inf, -np.inf, 1e30]]).astype(
        np.float32)
    got = run_graph(conversion_graph(DType.FLOAT32, DType.INT16, x.shape, 0, 0, scale, 0),
                    [x])[0]
    assert np.array_equal(got, quantize16(x, scale))


@pytest.mark.parametrize("src, dst", [(DType.INT16, DType.INT8), (DType.INT8, DType.INT16),
                                      (DType.INT16, DType.INT16)])
def test_requantize_between_int8_and_int16(src: DType, dst: DType) -> None:
    rng = np.random.default_rng(7)
    info = {DType.INT8: (-128, 127), DType.INT16: (INT16_MIN, INT16_MAX)}
    x = np.arange(info[src][0], info[src][1] + 1).astype(np.int8 if src == DType.INT8
                                                          else np.int16)
    for _ in range(4):
        s_in, s_out = float(log_uniform(rng, 1e-5, 1e-1)), float(log_uniform(rng, 1e-5, 1e-1))
        zp_in = int(rng.integers(-128, 128)) if src == DType.INT8 else 0
        zp_out = int(rng.integers(-128, 128)) if dst == DType.INT8 else 0
        got = run_graph(conversion_graph(src, dst, x.shape, s_in, zp_in, s_out, zp_out), [x])[0]
        assert np.array_equal(got, requantize_int(x, s_in, zp_in, s_out, zp_out, *info[dst]))


# ---- int8 -> int8 QUANTIZE in TFLiteConverter models against LiteRT -------------------------
# A tensor feeding two CONCATENATIONs whose other inputs have very different ranges cannot
# share both outputs' scales, so TF requantizes it for one of them. LiteRT runs in one
# subprocess for all models (see tests/importers/tflite_int8_models.py).

TFLITE_SAMPLES = 6
GAINS = {"two_concats_x30": 30.0, "two_concats_x4": 4.0, "two_concats_x200": 200.0}


def _two_concats(tf: Any, gain: float) -> Any:
    L = tf.keras.layers
    x = L.Input((12,))
    shared = L.Dense(8)(x)
    wide = L.Dense(8, kernel_initializer=tf.keras.initializers.RandomNormal(stddev=gain))(x)
    narrow = L.Dense(8)(x)
    return tf.keras.Model(x, [L.Concatenate()([shared, wide]),
                              L.Concatenate()([shared, narrow])])


def _requantizations(data: bytes) -> list[Any]:
    """The QUANTIZE ops of the file whose input and output are both int8."""
    model = read_tflite(data)
    return [op for op in model.operators if op.op_name == "QUANTIZE"
            and all(model.tensors[t].type == TensorType.INT8 for t in (*op.inputs, *op.outputs))]


def _litert_models(tf: Any, rng: np.random.Generator) -> Built:
    models, inputs = {}, {}
    for name, gain in GAINS.items():
        models[name] = int8_tflite(tf, _two_concats(tf, gain), uniform(rng, (12,)))
        inputs[name] = random_int8_samples(models[name], rng, TFLITE_SAMPLES)
    return models, inputs


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return session_cases({}, tmp_path_factory, "int8_requantize", 31, _litert_models)


@pytest.mark.parametrize("name", list(GAINS))
def test_requantize_identical_to_litert_reference(results: dict, name: str) -> None:
    assert _requantizations(results[name]["data"]), \
        [op.op_name for op in read_tflite(results[name]["data"]).operators]
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", list(GAINS))
def test_requantize_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


@pytest.mark.parametrize("in_type,out_type", [(DType.INT8, DType.INT8), (DType.UINT8, DType.INT8),
                                              (DType.INT8, DType.UINT8)], ids=str)
@pytest.mark.parametrize("isa_mask,suffix", elementwise_qs8_checks.FAST_VARIANTS)
def test_requantize_fast_path(isa_mask: int, suffix: str, in_type: DType,
                              out_type: DType) -> None:
    """8-bit to 8-bit requantization as a lookup in the table of the reference's results for
    every input byte: the reference loop's bytes and the numpy model's, 1 and 2 threads."""
    np_in, np_out = (np.int8 if t == DType.INT8 else np.uint8 for t in (in_type, out_type))

    def graph_of(shape: tuple[int, ...], q: dict) -> tuple[Graph, dict]:
        q = dict(q)
        if in_type == DType.UINT8:
            q["zp_in"] += 128
        if out_type == DType.UINT8:
            q["zp_out"] += 128
        return requantize_graph(q, shape, in_type, out_type), q

    elementwise_qs8_checks.check_lookup(
        "quantize", graph_of, isa_mask, suffix, 9,
        lambda x, q: requantize_reference(x, q, np_out), np_in)


# ---- float32 -> int8 microkernels (csrc/ukernels/vcvt_qs8.h) -------------------------------

# The masks that pick each conversion microkernel this CPU runs: the portable one (a mask with
# no SIMD bit) and AVX2 where present.
VCVT_VARIANTS = [pytest.param(ISA_SHA, "scalar", id="portable")] + (
    [pytest.param(ISA_AVX2, "avx2", id="avx2")] if _FEATURES & ISA_AVX2 else [])


def quantize_f32_reference(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """roundf(f32(x / scale)) (ties away from zero), bound to [-512, 512] with NaN -> -512,
    + zero point, clamped to int8."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        r = (x.astype(np.float32) / np.float32(scale)).astype(np.float64)
        r = np.where(np.isnan(r), -512.0, np.clip(round_half_away(r), -512.0, 512.0))
    return np.clip(r.astype(np.int64) + zp, -128, 127).astype(np.int8)


def quantize_inputs(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """Values around the int8 range, exact and inexact ties (k + 0.5) * scale, huge values,
    +-inf, NaN, +-0 and subnormals, shuffled."""
    s = np.float32(scale)
    k = rng.integers(-700, 700, n)
    pool = [rng.normal(0.0, 80.0, n).astype(np.float32) * s,
            ((k + 0.5) * s).astype(np.float32),
            ((k + 0.5).astype(np.float32) * s).astype(np.float32),
            np.array([np.inf, -np.inf, np.nan, -np.nan, 0.0, -0.0, 1e-45, -1e-45, 3e38, -3e38,
                      1e20, -1e20, 512.5 * s, -512.5 * s, 127.5 * s, -128.5 * s], np.float32)]
    allv = np.concatenate(pool)
    return allv[rng.integers(0, allv.size, n)].astype(np.float32)


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize("isa_mask,suffix", VCVT_VARIANTS)
def test_fast_path_f32_i8(isa_mask: int, suffix: str, seed: int) -> None:
    """float32 -> int8 through the vcvt microkernel: the reference loop's bytes and the numpy
    model's, every tail, 1 and 2 threads, ties, huge values, +-inf and NaN, zero points at
    -128 and 127, scales over six decades and powers of two."""
    rng = np.random.default_rng(seed)
    shapes = [(n,) for n in elementwise_qs8_checks.LENGTHS] + [(3, 5, 7), (70001,)]
    for shape in shapes:
        scale = float(rng.choice([log_uniform(rng, 1e-6, 1.0), 2.0 ** int(rng.integers(-12, 2)),
                                  1.0]))
        zp = elementwise_qs8_checks.zero_point(rng)
        x = quantize_inputs(rng, int(np.prod(shape)), scale).reshape(shape)
        g = conversion_graph(DType.FLOAT32, DType.INT8, shape, 0.0, 0, scale, zp)
        elementwise_qs8_checks.check_variant(g, [x], "quantize", isa_mask, suffix,
                                             quantize_f32_reference(x, scale, zp))
