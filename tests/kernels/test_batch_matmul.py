"""ONNX MatMul of two graph inputs (-> BATCH_MATMUL) against ONNX Runtime: ranks 2 to 4, equal
and different ranks, numpy broadcasting of the batch dims on either side, odd and 1-sized dims."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from tests.helpers import assert_matches_ort

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
