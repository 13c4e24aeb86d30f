"""int8 through the ops that move values without arithmetic (reshape, transpose, concatenation,
slice, pad): the stored bytes move exactly as numpy moves them, pad fills with the zero point,
and each op rejects an output whose scale or zero point differs from its input's."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from emberlite.converter.ops import OpType
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.pad import PadParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.errors import InvalidModelError
from tests.kernels.fixed_point import empty_graph, int8_tensor, run_graph, single_op

SCALE, ZP = 0.037, -19
X = np.random.default_rng(0).integers(-128, 128, (2, 3, 4, 5)).astype(np.int8)

CASES = [
    (OpType.RESHAPE, ReshapeParams(), lambda x: x.reshape(6, 20)),
    (OpType.TRANSPOSE, TransposeParams(perm=(0, 3, 1, 2)), lambda x: x.transpose(0, 3, 1, 2)),
    (OpType.SLICE, SliceParams(begin=(1, 0, 1, 2), step=(1, 2, 1, 1)),
     lambda x: x[1:2, 0:3:2, 1:4, 2:5]),
    (OpType.PAD, PadParams(pads=(0, 1, 2, 0, 0, 1, 0, 3)),
     lambda x: np.pad(x, ((0, 0), (1, 1), (2, 0), (0, 3)), constant_values=ZP)),
]


def build(op: OpType, params: object, inputs: dict[str, np.ndarray], out_shape) -> object:
    g = empty_graph()
    for name, value in inputs.items():
        int8_tensor(g, name, value.shape, SCALE, ZP)
    int8_tensor(g, "out", out_shape, SCALE, ZP)
    return single_op(op, list(inputs), params, g)


@pytest.mark.parametrize("op,params,expect", CASES, ids=lambda c: getattr(c, "name", ""))
def test_moves_int8(op: OpType, params: object, expect) -> None:
    want = expect(X)
    got = run_graph(build(op, params, {"x": X}, want.shape), [X])[0]
    assert got.dtype == np.int8 and np.array_equal(got, want)


@pytest.mark.parametrize("op,params,expect", CASES, ids=lambda c: getattr(c, "name", ""))
def test_rejects_requantizing_move(op: OpType, params: object, expect) -> None:
    g = build(op, params, {"x": X}, expect(X).shape)
    g.tensors["out"].quant = replace(g.tensors["out"].quant, zero_point=(ZP + 1,))
    with pytest.raises(InvalidModelError, match="same scale and zero point"):
        run_graph(g, [X])


def test_concatenation_int8() -> None:
    y = np.random.default_rng(1).integers(-128, 128, (2, 3, 4, 2)).astype(np.int8)
    want = np.concatenate([X, y], axis=3)
    g = build(OpType.CONCATENATION, ConcatenationParams(axis=3), {"x": X, "y": y}, want.shape)
    assert np.array_equal(run_graph(g, [X, y])[0], want)
    g.tensors["y"].quant = replace(g.tensors["y"].quant, scale=(SCALE * 2,))
    with pytest.raises(InvalidModelError, match="same scale and zero point"):
        run_graph(g, [X, y])
