"""Activation tests that draw or chain several ops in one test, so they cannot be split by op
without changing them (tests/README.md lists this family): int8 SIGMOID and TANH (hypothesis
draws the op) against the numpy model of LiteRT's table kernels, int8 RELU, RELU6 and CLAMP
(hypothesis draws the case) against the requantize-then-clamp model, and float32 HARD_SWISH,
TANH, LEAKY_RELU and HARD_SIGMOID back to back after a Conv. Everything else about each op is
in its tests/kernels/test_<op>.py."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper

from emberlite.converter.ops import OpType
from emberlite.converter.ops.clamp import ClampParams
from tests.helpers import assert_matches_ort
from tests.kernels.activation_models import after_conv
from tests.kernels.fixed_point import run_graph
from tests.kernels.fixed_point_activations import (SHAPES, build, random_quant, relu_x_reference,
                                                   table, table_op_reference)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from(SHAPES),
       op=st.sampled_from([OpType.SIGMOID, OpType.TANH]))
def test_table_ops_i8(seed: int, shape, op: OpType) -> None:
    rng = np.random.default_rng(seed)
    q = random_quant(rng)
    if op == OpType.SIGMOID and rng.random() < 0.5:
        q.update(s_out=1.0 / 256, zp_out=-128)  # what TFLite files have
    x = rng.integers(-128, 128, shape).astype(np.int8)
    got = run_graph(build(op, shape, q, table=table(op, q)), [x])[0]
    assert np.array_equal(got, table_op_reference(op, x, q))


RELU_CASES = [(OpType.RELU, None, 0.0, math.inf), (OpType.RELU6, None, 0.0, 6.0),
              (OpType.CLAMP, ClampParams(-1.0, 1.0), -1.0, 1.0),
              (OpType.CLAMP, ClampParams(-0.5, 2.0), -0.5, 2.0),
              (OpType.CLAMP, ClampParams(-math.inf, 0.25), -math.inf, 0.25),
              (OpType.CLAMP, ClampParams(1.0, -1.0), 1.0, -1.0)]


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from(SHAPES),
       case=st.sampled_from(RELU_CASES))
def test_relu_x_i8(seed: int, shape, case) -> None:
    op, params, lo, hi = case
    rng = np.random.default_rng(seed)
    q = random_quant(rng)
    if rng.random() < 0.25:
        q.update(s_out=q["s_in"], zp_out=q["zp_in"])  # what a fused activation would see
    x = rng.integers(-128, 128, shape).astype(np.int8)
    got = run_graph(build(op, shape, q, params), [x])[0]
    assert np.array_equal(got, relu_x_reference(x, q, lo, hi))


def test_chain_after_conv() -> None:
    """Activations back to back, each able to run in place on the previous one's output."""
    model, feeds = after_conv([helper.make_node("HardSwish", ["c"], ["h"]),
                               helper.make_node("Tanh", ["h"], ["t"]),
                               helper.make_node("LeakyRelu", ["t"], ["l"], alpha=0.3),
                               helper.make_node("HardSigmoid", ["l"], ["y"])], [])
    assert_matches_ort(model, feeds)
