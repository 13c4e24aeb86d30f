"""ONNX Gemm and MatMul with a constant B (-> FULLY_CONNECTED) against ONNX Runtime: transB 0
and 1, bias present or absent, inputs of rank 2 to 4, odd and 1-sized dims, a fused Relu."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import assert_matches_ort

OPSET = 17


def _model(nodes: list[onnx.NodeProto], x: np.ndarray,
           inits: list[onnx.TensorProto]) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "fc_test",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


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
