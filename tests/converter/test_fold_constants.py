"""fold_constants: all-constant nodes become constants computed by the reference."""
from __future__ import annotations

import numpy as np

from emberlite.converter.ops import OpType
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.passes.fold_constants import fold_constants
from tests.converter.ir_builder import GraphBuilder, assert_equivalent, ops

rng = np.random.default_rng(2)


def test_folds_constant_chains_and_keeps_outputs():
    b = GraphBuilder()
    x = b.input("x", (3, 4))
    # An ONNX-style [K, N] weight transposed to [N, K], then scaled: both fold.
    w = b.node(OpType.TRANSPOSE, [b.const("w_kn", rng.standard_normal((4, 5)).astype(np.float32))],
               TransposeParams((1, 0)))
    w = b.node(OpType.MUL, [w, b.const("two", np.float32(2.0))])
    y = b.node(OpType.FULLY_CONNECTED, [x, w])
    shape = b.node(OpType.ADD, [b.const("a", np.array([1, 2], np.int64)),
                                b.const("b", np.array([3, -7], np.int64))])
    b.output(y, shape)
    before = b.build()
    after = fold_constants(before)
    assert ops(after) == [OpType.FULLY_CONNECTED]
    assert after.outputs == before.outputs
    folded = after.tensors[shape]
    assert folded.is_constant and folded.data.dtype == np.int64 and not folded.data.flags.writeable
    np.testing.assert_array_equal(folded.data, [4, -5])
    np.testing.assert_allclose(after.tensors[after.nodes[0].inputs[1]].data,
                               2 * before.tensors["w_kn"].data.T, rtol=1e-6)
    assert_equivalent(before, after)


def test_leaves_nodes_with_a_variable_input():
    b = GraphBuilder()
    x = b.input("x", (2, 2))
    b.output(b.node(OpType.ADD, [x, b.const("c", np.ones((2, 2), np.float32))]))
    assert ops(fold_constants(b.build())) == [OpType.ADD]
