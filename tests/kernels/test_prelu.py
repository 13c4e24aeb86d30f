"""PRELU: float32 (alpha broadcast over trailing dims) against numpy and the reference
evaluator, int8 (two multipliers from float32 ratios; the negative branch multiplies by the
centred alpha first) against a numpy model of LiteRT's kernel, bit-exact, int8 on .tflite
files against LiteRT, and the int8 quantizer on a PRELU graph."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ir import DType, Graph, Node
from emberlite.converter.ops import OpType
from tests.importers import keras_int8_misc
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import elementwise_checks
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, mbqm,
                                       quantize_multiplier, run_graph, single_op, snap_pow2)
from tests.kernels.single_node import assert_close, run_node
from tests.quantize.int8_op_checks import (check_ir_op_runs_int8_close_to_float, ir_case, params,
                                           value)

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("alpha_shape", [(3,), (1, 1, 3), (4, 5, 3), (1,)])
def test_prelu_alpha_broadcasts(alpha_shape: tuple[int, ...]) -> None:
    x = RNG.standard_normal((2, 4, 5, 3)).astype(np.float32)
    alpha = RNG.uniform(-1, 1, alpha_shape).astype(np.float32)
    want = np.where(x < 0, x * alpha, x)
    assert_close(*run_node(OpType.PRELU, [x, alpha], x.shape, DType.FLOAT32, const=(1,)), want)


def prelu_reference(x: np.ndarray, alpha: np.ndarray, q: dict) -> np.ndarray:
    """Section 6: two multipliers from float32 ratios; the negative branch multiplies by the
    centred alpha before requantizing."""
    f32 = np.float32
    m1 = quantize_multiplier(float(f32(f32(q["s_x"]) / f32(q["s_out"]))))
    m2 = quantize_multiplier(float(f32(f32(f32(q["s_x"]) * f32(q["s_a"])) / f32(q["s_out"]))))
    v = x.astype(np.int64) - q["zp_x"]
    va = np.broadcast_to(alpha.astype(np.int64) - q["zp_a"], v.shape)
    y = np.where(v >= 0, mbqm(v, *m1), mbqm(v * va, *m2))
    return np.clip(y + q["zp_out"], -128, 127).astype(np.int8)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       shapes=st.sampled_from([((1, 4, 5, 3), (3,)), ((1, 4, 5, 3), (1, 1, 3)),
                               ((2, 6, 4), (6, 4)), ((9,), (1,))]))
def test_prelu_i8(seed: int, shapes) -> None:
    rng = np.random.default_rng(seed)
    q = snap_pow2(rng, {"s_x": float(log_uniform(rng, 1e-3, 0.2)),
                        "s_a": float(log_uniform(rng, 1e-3, 0.05)),
                        "s_out": float(log_uniform(rng, 1e-3, 0.2)),
                        "zp_x": int(rng.integers(-128, 128)), "zp_a": int(rng.integers(-128, 128)),
                        "zp_out": int(rng.integers(-128, 128))})
    x = rng.integers(-128, 128, shapes[0]).astype(np.int8)
    alpha = rng.integers(-128, 128, shapes[1]).astype(np.int8)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, q["s_x"], q["zp_x"])
    int8_tensor(g, "alpha", alpha.shape, q["s_a"], q["zp_a"], data=alpha)
    int8_tensor(g, "out", x.shape, q["s_out"], q["zp_out"])
    got = run_graph(single_op(OpType.PRELU, ["x", "alpha"], None, g), [x])[0]
    assert np.array_equal(got, prelu_reference(x, alpha, q))


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_misc.litert_results(tmp_path_factory)


CASES = ["prelu_channel", "prelu_full"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


def _prelu(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
    q = {**params(g, node.inputs[0], "x"), **params(g, node.inputs[1], "a"),
         **params(g, node.outputs[0], "out")}
    return prelu_reference(x, value(g, node.inputs[1], x), q)


_ALPHA = np.linspace(-0.5, 0.5, 16)
IR_CASES = {"prelu": (lambda: ir_case(OpType.PRELU, _ALPHA), _prelu)}


@pytest.mark.parametrize("name", list(IR_CASES))
def test_ir_op_runs_int8_close_to_float(name: str) -> None:
    check_ir_op_runs_int8_close_to_float(*IR_CASES[name])


# ---- float32 microkernels (csrc/ukernels/vbinary.h) ----------------------------------------

PRELU_SHAPES = [((2, 5, 7, 3), (2, 5, 7, 3)), ((1, 6, 6, 37), (37,)),
                ((1, 6, 6, 37), (1, 1, 1, 37)), ((1, 9, 9, 17), (1,)),
                ((1, 57, 57, 21), (21,)), ((2, 45, 45, 13), (2, 1, 1, 13))]


@pytest.mark.parametrize("const", [(), (1,)], ids=["runtime", "const_alpha"])
@pytest.mark.parametrize("shapes", PRELU_SHAPES, ids=elementwise_checks.shapes_id)
def test_fast_path(shapes: tuple[tuple[int, ...], tuple[int, ...]],
                   const: tuple[int, ...]) -> None:
    """The vbinary PRELU microkernels, threaded: the reference's bits."""
    elementwise_checks.check_binary(OpType.PRELU, shapes, "vbinary_f32_prelu_", None, const)
