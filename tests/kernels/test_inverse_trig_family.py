"""ACOS, ASIN and ATAN (csrc/kernels/math_unary.c, format 9): ONNX Acos, Asin and Atan against
ONNX Runtime on several ranks; special values (NaN, infinities, signed zeros, the ends of the
domain and beyond it) against numpy in float64; malformed nodes refused by the verifier.
TFLite has none of them."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort
from tests.kernels.single_node import run_node

OPS = {"Acos": OpType.ACOS, "Asin": OpType.ASIN, "Atan": OpType.ATAN}
SHAPES = [(7,), (3, 5), (2, 3, 4), (1, 3, 4, 5)]
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.0000001,
                    -1.0000001, 2.0, 1e-30, -1e-40, 1e30, -1e30], np.float32)


def _model(op: str, shape: tuple[int, ...]) -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"])], "trig",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_matches_onnx_runtime(op: str, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(shape))
    scale = 5.0 if op == "Atan" else 1.0  # Acos and Asin inside their domain
    x = (rng.uniform(-1, 1, shape) * scale).astype(np.float32)
    assert_matches_ort(_model(op, shape), [x], tol=1e-6)


@pytest.mark.parametrize("op", OPS.values(), ids=lambda op: op.name.lower())
def test_special_values(op: OpType) -> None:
    got, want = run_node(op, [SPECIAL], SPECIAL.shape, DType.FLOAT32)
    assert got.dtype == np.float32
    assert np.array_equal(np.isnan(got), np.isnan(want)), (SPECIAL, got, want)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert np.array_equal(np.signbit(got[3:5]), np.signbit(want[3:5]))


@pytest.mark.parametrize("op", OPS.values(), ids=lambda op: op.name.lower())
def test_wrong_type_or_shape_is_refused_with_node_and_reason(op: OpType) -> None:
    name = op.name.lower()
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    with pytest.raises(InvalidModelError, match=f"node 0 \\({name}\\): input 0 .* must be "
                                                f"float32"):
        run_node(op, [x], (2, 3), DType.INT32)
    with pytest.raises(InvalidModelError, match=f"node 0 \\({name}\\): output"):
        run_node(op, [x.astype(np.float32)], (3, 2), DType.FLOAT32)
