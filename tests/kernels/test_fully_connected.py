"""FULLY_CONNECTED in every type and kernel variant:
- float32: ONNX Gemm and MatMul with a constant B against ONNX Runtime: transB 0 and 1, bias
  present or absent, inputs of rank 2 to 4, odd and 1-sized dims, a fused Relu.
- float32 on the packed GEMM path: against the reference loop (isa_mask NONE) within
  1e-5 x sum |a*b|, bit-identical on 1 and 2 threads (tests/kernels/gemm_checks.py).
- int8 (per-tensor and per-channel weights, int32 bias, fused activations) against a numpy
  model of LiteRT's reference arithmetic: bit-exact, for each kernel variant (isa_mask NONE
  forces the reference loop); and against LiteRT's BUILTIN_REF kernel on a TFLiteConverter
  model.
- int8 on the packed int8 GEMM path (every ISA's microkernels): byte-identical to the
  reference loop at 1 and 2 threads, with zero points and scales at their extremes.
- int16 (16x8) against the numpy model in fixed_point16.py: bit-exact.
- int8 .tflite files from TFLiteConverter (a Keras Dense, tests/importers/keras_int8_layers.py):
  byte for byte LiteRT's reference kernels (BUILTIN_REF) and within 1 LSB of its default
  kernels.
- 16x8 .tflite files from TFLiteConverter (tests/importers/keras_int16x8.py): byte for byte
  LiteRT's reference kernels (BUILTIN_REF)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper, numpy_helper

from emberlite import Interpreter
from emberlite._ember import lib
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort
from tests.importers import keras_int8_layers, keras_int16x8
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.conv_models import checked_model
from tests.kernels.epilogue_checks import check_epilogue, epilogue_graph
from tests.kernels.fixed_point import (ISA_VARIANTS, activation_range, empty_graph,
                                       int8_tensor, log_uniform, quant_tensor, round_half_away,
                                       run_graph, single_op, snap_pow2, wrap_sum)
from tests.kernels.fixed_point16 import fully_connected16_double
from tests.kernels.gemm_checks import check_gemm_path
from tests.kernels.int16_graphs import bias64, int16_values, weighted_graph, weighted_scales
from tests.kernels.litert_int8 import check_matches_litert_reference


def _model(nodes: list[onnx.NodeProto], x: np.ndarray,
           inits: list[onnx.TensorProto]) -> onnx.ModelProto:
    return checked_model(nodes, "fc_test", x.shape, inits)


# (M, K, N): 1-sized, below/at/above the 8-wide blocks, and a classifier-like shape.
GEMM_SIZES = [(1, 1, 1), (1, 7, 3), (4, 8, 10), (3, 9, 1), (5, 33, 17), (2, 512, 100)]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("m,k,n", GEMM_SIZES, ids=str)
def test_gemm(m: int, k: int, n: int, trans_b: int, bias: bool) -> None:
    rng = np.random.default_rng(m * 100 + k + n)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = (rng.standard_normal((n, k) if trans_b else (k, n)) / np.sqrt(k)).astype(np.float32)
    inits = [numpy_helper.from_array(w, "w")]
    inputs = ["x", "w"]
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(n).astype(np.float32), "c"))
        inputs.append("c")
    node = helper.make_node("Gemm", inputs, ["y"], transB=trans_b, alpha=1.0, beta=1.0)
    assert_matches_ort(_model([node], x, inits), [x])


@pytest.mark.parametrize("act", [FusedActivation.SILU, FusedActivation.HARD_SWISH],
                         ids=lambda a: a.name)
@pytest.mark.parametrize("m,k,n", [(1, 7, 3), (5, 33, 17), (2, 64, 40)], ids=str)
def test_fully_connected_epilogues(m: int, k: int, n: int, act: FusedActivation) -> None:
    """SILU and HARD_SWISH fused into the float32 fully connected: see epilogue_checks."""
    rng = np.random.default_rng(m + k + n + int(act))
    x = (rng.standard_normal((m, k)) * 2).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    graph, feed = epilogue_graph(OpType.FULLY_CONNECTED, x, w, bias,
                                 FullyConnectedParams(activation=act))
    check_epilogue(graph, feed, "gemm_")


def test_gemm_fused_relu() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 20)).astype(np.float32)
    inits = [numpy_helper.from_array(rng.standard_normal((6, 20)).astype(np.float32), "w"),
             numpy_helper.from_array(rng.standard_normal(6).astype(np.float32), "c")]
    nodes = [helper.make_node("Gemm", ["x", "w", "c"], ["g"], transB=1),
             helper.make_node("Relu", ["g"], ["y"])]
    out = assert_matches_ort(_model(nodes, x, inits), [x])[0]
    assert out.min() == 0.0 and out.max() > 0.0


@pytest.mark.parametrize("x_shape,n", [
    ((3, 5), 4),
    ((1, 1), 1),
    ((2, 7, 9), 5),
    ((1, 6, 16), 16),
    ((2, 3, 4, 11), 3),
    ((2, 1, 3, 1), 8),
], ids=str)
def test_matmul_constant_b(x_shape: tuple[int, ...], n: int) -> None:
    rng = np.random.default_rng(len(x_shape) * 10 + n)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((x_shape[-1], n)).astype(np.float32)
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    assert_matches_ort(_model([node], x, [numpy_helper.from_array(w, "w")]), [x])


def test_flatten_then_gemm() -> None:
    """The classifier head of a CNN: Flatten of a 4D tensor feeding Gemm with a bias."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 8, 3, 3)).astype(np.float32)
    inits = [numpy_helper.from_array(rng.standard_normal((10, 72)).astype(np.float32), "w"),
             numpy_helper.from_array(rng.standard_normal(10).astype(np.float32), "c")]
    nodes = [helper.make_node("Flatten", ["x"], ["f"]),
             helper.make_node("Gemm", ["f", "w", "c"], ["y"], transB=1)]
    assert_matches_ort(_model(nodes, x, inits), [x])


# (input shape, N): rows and units past the microkernels' tiles (MR up to 12, NR 16), K from 1
# to 1000 (130 x 1001 packed floats span several column tiles), a rank-3 input.
FC_GEMM_CASES = [((1, 1), 1), ((3, 9), 1), ((5, 33), 17), ((13, 64), 33), ((2, 512), 100),
                 ((25, 1000), 130), ((2, 3, 20), 17)]


@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("x_shape,n", FC_GEMM_CASES, ids=str)
def test_fully_connected_gemm_path(x_shape: tuple[int, ...], n: int, bias: bool,
                                   relu: bool) -> None:
    rng = np.random.default_rng(sum(x_shape) * 31 + n)
    k = x_shape[-1]
    x = rng.standard_normal(x_shape).astype(np.float32)
    inits = [numpy_helper.from_array((rng.standard_normal((k, n)) / np.sqrt(k))
                                     .astype(np.float32), "w")]
    inputs = ["x", "w"]
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(n).astype(np.float32), "c"))
        inputs.append("c")
    op = "Gemm" if len(x_shape) == 2 else "MatMul"
    inputs = inputs if op == "Gemm" else inputs[:2]
    linear = [helper.make_node(op, inputs, ["y"])]
    nodes = [helper.make_node(op, inputs, ["g"]), helper.make_node("Relu", ["g"], ["y"])]
    check_gemm_path(_model(nodes if relu else linear, x, inits), [x], "gemm_",
                    bound_model=_model(linear, x, inits))


def reference(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None, s_in: float,
              zp_in: int, s_w: np.ndarray, s_out: float, zp_out: int, act: int) -> np.ndarray:
    """Section 3: int32 sums, then a double-precision rescale rounded half away from zero."""
    rows = x.reshape(-1, x.shape[-1]).astype(np.int64) - zp_in
    acc = wrap_sum(rows[:, None, :] * w.astype(np.int64)[None, :, :], axis=2)
    if bias is not None:
        acc = acc + bias
    scale = (np.float64(np.float32(s_in)) * np.float32(s_w).astype(np.float64)
             / np.float64(np.float32(s_out)))
    lo, hi = activation_range(act, s_out, zp_out)
    out = np.clip(round_half_away(acc * scale) + zp_out, lo, hi)
    return out.astype(np.int8).reshape(x.shape[:-1] + (w.shape[0],))


def build(rng: np.random.Generator, lead: tuple[int, ...], depth: int, units: int,
          per_channel: bool, with_bias: bool, act: int, extreme: bool = False):
    """(graph, input, numpy model's output) of one int8 FULLY_CONNECTED. extreme: zero points
    -128/127 (or random), weights in [-128, 127], per-unit scales spanning 1e-6..1."""
    s_in = float(log_uniform(rng, 1e-3, 0.1))
    s_w = log_uniform(rng, 1e-6 if extreme else 1e-3, 1.0 if extreme else 0.05,
                      units if per_channel else 1)
    mid = np.median(s_w) if extreme else np.mean(s_w)
    s_out = float(s_in * mid * np.sqrt(depth) * 40 * log_uniform(rng, 0.05, 2.0))
    q = snap_pow2(rng, {"s_in": s_in, "s_w": s_w, "s_out": s_out})
    s_in, s_w, s_out = q["s_in"], q["s_w"], q["s_out"]
    if extreme:
        zp_in, zp_out = (int(rng.choice([-128, 127, int(rng.integers(-128, 128))]))
                         for _ in range(2))
    else:
        zp_in, zp_out = int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    w = rng.integers(-128 if extreme else -127, 128, (units, depth)).astype(np.int8)
    g = empty_graph()
    int8_tensor(g, "x", lead + (depth,), s_in, zp_in)
    quant_tensor(g, "w", w, s_w, 0)
    inputs = ["x", "w"]
    bias = None
    if with_bias:
        bias = rng.integers(-5000, 5000, units).astype(np.int32)
        quant_tensor(g, "b", bias, np.float32(s_in) * np.float32(s_w), 0)
        inputs.append("b")
    int8_tensor(g, "out", lead + (units,), s_out, zp_out)
    single_op(OpType.FULLY_CONNECTED, inputs,
              FullyConnectedParams(activation=FusedActivation(act)), g)
    x = rng.integers(-128, 128, lead + (depth,)).astype(np.int8)
    want = reference(x, w, bias, s_in, zp_in, np.broadcast_to(s_w, (units,)), s_out, zp_out,
                     act)
    return g, x, want


def _run_threads(g, x: np.ndarray, isa: int, threads: int) -> tuple[np.ndarray, str]:
    """The output of the one-node graph g and the variant its node ran."""
    interp = Interpreter(model_content=serialize(g, plan_memory(g)), isa_mask=isa,
                         num_threads=threads)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"]).copy(), \
        interp.node_variants()[0]


@pytest.mark.parametrize("isa", ISA_VARIANTS[1:])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lead=st.sampled_from([(1,), (3,), (2, 5), (37,)]),
       depth=st.sampled_from([1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 64, 65, 130, 300]),
       units=st.integers(1, 70), per_channel=st.booleans(), with_bias=st.booleans(),
       act=st.integers(0, 3))
def test_fully_connected_i8_gemm(isa: int, seed: int, lead: tuple[int, ...], depth: int,
                                 units: int, per_channel: bool, with_bias: bool,
                                 act: int) -> None:
    """The int8 GEMM path (kernels/conv_gemm_qs8.c: packed weights, int32 sums finished by the
    reference's double rescale) with batch rows, every tail of the 16-column panels and of
    the k groups, zero points -128/127 and scales 1e-6..1: byte-identical to the reference
    loop at 1 and 2 threads."""
    g, x, want = build(np.random.default_rng(seed), lead, depth, units, per_channel,
                       with_bias, act, extreme=True)
    ref, ref_variant = _run_threads(g, x, lib.EMBER_ISA_NONE, 1)
    assert ref_variant == "reference"
    assert np.array_equal(ref, want)
    for threads in (1, 2):
        got, variant = _run_threads(g, x, isa, threads)
        assert variant.startswith("gemm_qs8"), f"{variant} is not the int8 GEMM"
        assert np.array_equal(got, ref), f"{threads} threads"


@pytest.mark.parametrize("isa", ISA_VARIANTS)
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lead=st.sampled_from([(1,), (3,), (2, 5)]),
       depth=st.integers(1, 70), units=st.integers(1, 20), per_channel=st.booleans(),
       with_bias=st.booleans(), act=st.integers(0, 3))
def test_fully_connected_i8(isa: int, seed: int, lead: tuple[int, ...], depth: int, units: int,
                            per_channel: bool, with_bias: bool, act: int) -> None:
    g, x, want = build(np.random.default_rng(seed), lead, depth, units, per_channel, with_bias,
                       act)
    got = run_graph(g, [x], isa_mask=isa)[0]
    assert got.dtype == np.int8
    assert np.array_equal(got, want)


def test_fully_connected_i8_rejects_bad_bias_scale() -> None:
    g, x, _ = build(np.random.default_rng(1), (2,), 8, 4, True, True, 0)
    q = g.tensors["b"].quant
    g.tensors["b"].quant = replace(q, scale=tuple(s * 1.01 for s in q.scale))
    with pytest.raises(InvalidModelError, match="bias"):
        run_graph(g, [x])


def test_fully_connected_i8_rejects_weight_zero_point() -> None:
    g, x, _ = build(np.random.default_rng(2), (2,), 8, 4, False, False, 0)
    g.tensors["w"].quant = replace(g.tensors["w"].quant, zero_point=(3,))
    with pytest.raises(InvalidModelError, match="zero point"):
        run_graph(g, [x])


@pytest.mark.parametrize("isa", ISA_VARIANTS)
def test_fully_connected_i8_ties_round_away_from_zero(isa: int) -> None:
    # Multiplier exactly 0.5 and one unit weight: every odd input is a tie.
    g = empty_graph()
    int8_tensor(g, "x", (256, 1), 0.5, 0)
    w = np.ones((1, 1), dtype=np.int8)
    quant_tensor(g, "w", w, np.array([0.25]), 0)
    int8_tensor(g, "out", (256, 1), 0.25, 0)
    single_op(OpType.FULLY_CONNECTED, ["x", "w"], FullyConnectedParams(), g)
    x = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    got = run_graph(g, [x], isa_mask=isa)[0]
    assert np.array_equal(got, reference(x, w, None, 0.5, 0, np.array([0.25]), 0.25, 0, 0))
    assert got[x == -3].item() == -2 and got[x == 3].item() == 2


@pytest.mark.parametrize("kind", ["fully_connected"])
def test_matches_litert_reference(kind: str, tmp_path: Path) -> None:
    check_matches_litert_reference(kind, tmp_path)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 6), depth=st.integers(1, 70),
       units=st.integers(1, 40), per_channel=st.booleans(), with_bias=st.booleans(),
       big=st.booleans(), act=st.integers(0, 3))
def test_fully_connected_i16(seed, rows, depth, units, per_channel, with_bias, big,
                             act) -> None:
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, (units, depth)).astype(np.int8)
    q = weighted_scales(rng, units, per_channel, depth)
    x = int16_values(rng, (rows, depth))
    bias = bias64(rng, units, with_bias, big)
    acc = x.astype(np.int64) @ w.T.astype(np.int64) + (0 if bias is None else bias)
    want = fully_connected16_double(acc, q["s_in"], q["s_w"], q["s_out"], act)
    g = weighted_graph(OpType.FULLY_CONNECTED, x, w, bias,
                       FullyConnectedParams(FusedActivation(act)), q, 0, want)
    assert np.array_equal(run_graph(g, [x])[0], want)


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_layers.py) --------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_layers.litert_results(tmp_path_factory)


TFLITE_CASES = ["dense"]


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


# ---- 16x8 .tflite files against LiteRT (tests/importers/keras_int16x8.py) ----------------

@pytest.fixture(scope="module")
def int16_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int16x8.litert_results(tmp_path_factory)


@pytest.mark.parametrize("name", ["dense", "dense_3d_relu", "dense_wide"])
def test_int16x8_identical_to_litert_reference(int16_results: dict, name: str) -> None:
    assert_identical_to_reference(int16_results[name])
