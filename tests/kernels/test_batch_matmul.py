"""BATCH_MATMUL in every type:
- float32: ONNX MatMul of two graph inputs against ONNX Runtime: ranks 2 to 4, equal and
  different ranks, numpy broadcasting of the batch dims on either side, odd and 1-sized dims.
- float32 on the packed GEMM path (b packed at prepare when constant, else per batch at
  invoke; a's rows direct): against the reference loop (isa_mask NONE) within
  1e-5 x sum |a*b|, bit-identical on 1 and 2 threads (tests/kernels/gemm_checks.py).
- int8 (int32 sums of zero-point-corrected products, one per-tensor requantization by
  double(s_a) * double(s_b) / double(s_out), full int8 clamp; batch broadcasting and adjoint
  flags) against a numpy model of LiteRT's reference kernel (int8_oracles.py): bit-exact;
  on the int8 GEMM path (M >= 8 or a constant b) byte-identical at 1 and 2 threads.
- int8 .tflite files from TFLiteConverter (tests/importers/keras_int8_arith.py): byte for
  byte LiteRT's reference kernels (BUILTIN_REF) and within 1 LSB of its default kernels.
- the post-training int8 quantizer on an ONNX x @ x^T."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from emberlite import ISA_ALL, ISA_NONE, Interpreter
from emberlite.converter.ir import DType, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.batch_matmul import BatchMatMulParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import assert_matches_ort
from tests.importers import keras_int8_arith
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.fixed_point import empty_graph, int8_tensor, product_quant, run_graph, \
    single_op
from tests.kernels.gemm_checks import check_gemm_bytes, check_gemm_path
from tests.kernels.int8_oracles import batch_matmul_reference
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, info
from tests.quantize.models import onnx_model

OPSET = 17

# (shape of a, shape of b)
SHAPES = [
    ((3, 4), (4, 5)),
    ((1, 1), (1, 1)),
    ((7, 13), (13, 9)),
    ((1, 17), (17, 1)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((1, 3, 4), (5, 4, 2)),
    ((5, 3, 4), (1, 4, 2)),
    ((2, 1, 3, 4), (1, 5, 4, 6)),
    ((2, 3, 1, 7), (3, 7, 2)),
    ((4, 2, 6), (2, 2, 1, 6, 3)),
    ((2, 2, 9, 10), (2, 2, 10, 11)),
]


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_matmul(shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    a_shape, b_shape = shapes
    rng = np.random.default_rng(sum(a_shape) * 7 + sum(b_shape))
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["y"])], "matmul_test",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, a_shape),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, b_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, np.matmul(a, b).shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    assert_matches_ort(model, [a, b])


# (shape of a, shape of b, b constant, the path): b packed per batch (or once when it
# broadcasts), rows and columns past the tiles, b constant as one matrix or one per batch, and
# fewer rows than are worth packing b for (the reference).
GEMM_SHAPES = [
    ((9, 13), (13, 7), False, "gemm_"),
    ((2, 3, 11, 33), (3, 33, 17), False, "gemm_"),
    ((2, 13, 40), (40, 70), False, "gemm_"),
    ((3, 8, 6), (1, 6, 1), False, "gemm_"),
    ((2, 25, 300), (2, 300, 33), False, "gemm_"),
    ((2, 9, 8), (1, 8, 19), True, "gemm_"),
    ((2, 9, 8), (2, 8, 19), True, "gemm_"),
    ((2, 7, 8), (2, 8, 5), False, "reference"),
]


@pytest.mark.parametrize("a_shape,b_shape,constant,path", GEMM_SHAPES, ids=str)
def test_matmul_gemm_path(a_shape: tuple[int, ...], b_shape: tuple[int, ...], constant: bool,
                          path: str) -> None:
    rng = np.random.default_rng(sum(a_shape) * 5 + sum(b_shape))
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, a_shape)]
    inits = [numpy_helper.from_array(b, "b")] if constant else []
    if not constant:
        inputs.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, b_shape))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["y"])], "matmul_gemm", inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, np.matmul(a, b).shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    check_gemm_path(model, [a] if constant else [a, b], path)


@pytest.mark.parametrize("constant", [False, True], ids=["b_input", "b_constant"])
@pytest.mark.parametrize("adj_a,adj_b", [(False, True), (True, False), (True, True)])
def test_batch_matmul_gemm_path_adjoint(adj_a: bool, adj_b: bool, constant: bool) -> None:
    """b stored [N, K] runs on the GEMM path (packed from its rows); a stored [K, M] has no
    contiguous rows and keeps the reference loop."""
    rng = np.random.default_rng(adj_a * 2 + adj_b + 4 * constant)
    m, k, n = 21, 24, 18
    a = rng.standard_normal((2, k, m) if adj_a else (2, m, k)).astype(np.float32)
    b = rng.standard_normal((2, n, k) if adj_b else (2, k, n)).astype(np.float32)
    g = empty_graph()
    g.tensors["a"] = Tensor("a", DType.FLOAT32, a.shape)
    g.tensors["b"] = Tensor("b", DType.FLOAT32, b.shape, constant_array(b) if constant else None)
    g.tensors["out"] = Tensor("out", DType.FLOAT32, (2, m, n))
    single_op(OpType.BATCH_MATMUL, ["a", "b"], BatchMatMulParams(adj_a, adj_b), g)
    sums = np.matmul(np.abs(np.swapaxes(a, 1, 2) if adj_a else a),
                     np.abs(np.swapaxes(b, 1, 2) if adj_b else b))
    check_gemm_bytes(serialize(g, plan_memory(g)), [a] if constant else [a, b],
                     "reference" if adj_a else "gemm_", sums)


def test_matmul_of_intermediates() -> None:
    """Attention-like: both operands computed in the graph, b transposed by a Transpose."""
    rng = np.random.default_rng(4)
    q = rng.standard_normal((2, 5, 8)).astype(np.float32)
    k = rng.standard_normal((2, 6, 8)).astype(np.float32)
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
             helper.make_node("MatMul", ["q", "kt"], ["y"])]
    graph = helper.make_graph(
        nodes, "attention_scores",
        [helper.make_tensor_value_info("q", TensorProto.FLOAT, q.shape),
         helper.make_tensor_value_info("k", TensorProto.FLOAT, k.shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (2, 5, 6))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    assert_matches_ort(model, [q, k])


def build(a_shape, b_shape, out_shape, adj_a: bool, adj_b: bool, q: dict):
    g = empty_graph()
    int8_tensor(g, "a", a_shape, q["s_a"], q["zp_a"])
    int8_tensor(g, "b", b_shape, q["s_b"], q["zp_b"])
    int8_tensor(g, "out", out_shape, q["s_out"], q["zp_out"])
    return single_op(OpType.BATCH_MATMUL, ["a", "b"], BatchMatMulParams(adj_a, adj_b), g)


# (batch dims of a, batch dims of b, M, K, N)
I8_SHAPES = [((), (), 3, 5, 4), ((2,), (2,), 4, 7, 3), ((2, 3), (1,), 2, 6, 5),
             ((1, 4), (3, 1), 3, 2, 2), ((), (3,), 1, 16, 8), ((2,), (), 5, 33, 1)]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(I8_SHAPES), adj_a=st.booleans(),
       adj_b=st.booleans())
def test_batch_matmul_i8(seed: int, shapes, adj_a: bool, adj_b: bool) -> None:
    rng = np.random.default_rng(seed)
    ba, bb, m, k, n = shapes
    a_shape = (*ba, *((k, m) if adj_a else (m, k)))
    b_shape = (*bb, *((n, k) if adj_b else (k, n)))
    q = product_quant(rng, 1.0, 3000.0)
    a = rng.integers(-128, 128, a_shape).astype(np.int8)
    b = rng.integers(-128, 128, b_shape).astype(np.int8)
    want = batch_matmul_reference(a, b, adj_a, adj_b, q)
    got = run_graph(build(a_shape, b_shape, want.shape, adj_a, adj_b, q), [a, b])[0]
    assert np.array_equal(got, want)


# (batch dims of a, batch dims of b, M, K, N): M >= 8, so b is packed for the int8 GEMM even
# when it changes per batch; every tail of the 16-column panels and of the k groups.
I8_GEMM_SHAPES = [((), (), 8, 5, 4), ((2,), (2,), 9, 7, 17), ((2, 3), (1,), 8, 33, 5),
                  ((3,), (), 13, 16, 31), ((1, 2), (3, 1), 8, 3, 40), ((), (), 37, 64, 16)]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(I8_GEMM_SHAPES),
       adj_b=st.booleans(), constant_b=st.booleans(),
       zps=st.tuples(*[st.sampled_from([-128, 127, None])] * 3))
def test_batch_matmul_i8_gemm(seed: int, shapes, adj_b: bool, constant_b: bool,
                              zps: tuple) -> None:
    """The int8 GEMM path (a's zero point in the packed b, b's taken out of the sums; b packed
    at prepare when constant and one matrix, else per batch): byte-identical to the reference
    loop and the numpy model at 1 and 2 threads, zero points at their extremes."""
    rng = np.random.default_rng(seed)
    ba, bb, m, k, n = shapes
    a_shape, b_shape = (*ba, m, k), (*bb, *((n, k) if adj_b else (k, n)))
    q = product_quant(rng, 1.0, 3000.0)
    for key, zp in zip(("zp_a", "zp_b", "zp_out"), zps):
        q[key] = q[key] if zp is None else zp
    a = rng.integers(-128, 128, a_shape).astype(np.int8)
    b = rng.integers(-128, 128, b_shape).astype(np.int8)
    want = batch_matmul_reference(a, b, False, adj_b, q)
    g = build(a_shape, b_shape, want.shape, False, adj_b, q)
    if constant_b:
        int8_tensor(g, "b", b_shape, q["s_b"], q["zp_b"], data=b)
        g.inputs = [name for name in g.inputs if name != "b"]
    runs = [(ISA_NONE, 1), (ISA_ALL, 1), (ISA_ALL, 2)]
    outs = []
    for isa, threads in runs:
        interp = Interpreter(model_content=serialize(g, plan_memory(g)), isa_mask=isa,
                             num_threads=threads)
        interp.allocate_tensors()
        for detail, value in zip(interp.get_input_details(), [a, b]):
            interp.set_tensor(detail["index"], value)
        interp.invoke()
        outs.append(interp.get_tensor(interp.get_output_details()[0]["index"]).copy())
        variant = interp.node_variants()[0]
        assert variant.startswith("reference" if isa == ISA_NONE else "gemm_qs8"), variant
    assert np.array_equal(outs[0], want)
    assert np.array_equal(outs[1], want) and np.array_equal(outs[2], want)


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

def _batch_matmul() -> onnx.ModelProto:
    # x @ x^T: both operands are run-time activations.
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 1, 3, 2], name="t"),
             helper.make_node("MatMul", ["x", "xt"], ["y"], name="gram")]
    return onnx_model(nodes, [info("x", [1, 2, 5, 8])], [info("y", [1, 2, 5, 5])], [])


QUANTIZER_CASES = {"batch_matmul": Case(_batch_matmul, (2, 5, 8), OpType.BATCH_MATMUL)}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_arith.py) ---------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_arith.litert_results(tmp_path_factory)


TFLITE_CASES = ["matmul", "matmul_adj_b", "matmul_adj_a", "matmul_heads", "matmul_two_inputs"]


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", TFLITE_CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
