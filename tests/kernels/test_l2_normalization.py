"""L2_NORMALIZATION in every type:
- float32: one IR node against numpy written here (independent of converter/reference.py)
  and against the reference evaluator; a zero row stays zero.
- int8 against a numpy model of LiteRT's kernel (int8_oracles.py: the inverse-sqrt
  multiplier of docs/int8-arithmetic.md section 6; output scale 1/128, zero point 0):
  bit-exact, with hypothesis over scales, zero points, shapes and values.
- the post-training int8 quantizer on a one-node L2_NORMALIZATION IR graph.
- int8 .tflite files from TFLiteConverter (tests/importers/keras_int8_misc.py): byte for
  byte LiteRT's reference kernels (BUILTIN_REF) and within 1 LSB of its default kernels."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from tests.importers import keras_int8_misc
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels.fixed_point import empty_graph, int8_tensor, log_uniform, run_graph, single_op
from tests.kernels.int8_oracles import l2_reference
from tests.kernels.single_node import assert_close, run_node
from tests.quantize.int8_op_checks import check_ir_op_runs_int8_close_to_float, ir_case

RNG = np.random.default_rng(5)


def test_l2_normalization() -> None:
    x = RNG.standard_normal((3, 4, 7)).astype(np.float32)
    x[1, 2] = 0.0  # a zero row stays zero (the norm is floored at 1e-6)
    x64 = x.astype(np.float64)
    want = (x64 / np.maximum(np.sqrt(np.sum(x64 ** 2, axis=-1, keepdims=True)), 1e-6))
    assert_close(*run_node(OpType.L2_NORMALIZATION, [x], x.shape, DType.FLOAT32),
                 want.astype(np.float32))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(3, 5), (2, 4, 16), (1, 300),
                                                              (4, 1)]))
def test_l2_normalization_i8(seed: int, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(seed)
    s, zp = float(log_uniform(rng, 1e-3, 0.5)), int(rng.integers(-128, 128))
    x = rng.integers(-128, 128, shape).astype(np.int8)
    x[0] = zp  # a zero row: acc 0 takes the INT32_MAX multiplier
    g = empty_graph()
    int8_tensor(g, "x", shape, s, zp)
    int8_tensor(g, "out", shape, 1 / 128, 0)
    got = run_graph(single_op(OpType.L2_NORMALIZATION, ["x"], None, g), [x])[0]
    assert np.array_equal(got, l2_reference(x, zp))


# ---- the int8 quantizer on an IR graph (tests/quantize/int8_op_checks.py) ----------------

def _quantized_l2(g, node, x: np.ndarray) -> np.ndarray:
    return l2_reference(x, g.tensors[node.inputs[0]].quant.zero_point[0])


IR_QUANTIZER_CASES = {
    "l2_normalization": (lambda: ir_case(OpType.L2_NORMALIZATION, None), _quantized_l2)}


@pytest.mark.parametrize("name", list(IR_QUANTIZER_CASES))
def test_ir_op_runs_int8_close_to_float(name: str) -> None:
    check_ir_op_runs_int8_close_to_float(*IR_QUANTIZER_CASES[name])


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_misc.py) ----------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_misc.litert_results(tmp_path_factory)


@pytest.mark.parametrize("name", ["l2_normalization"])
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", ["l2_normalization"])
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
