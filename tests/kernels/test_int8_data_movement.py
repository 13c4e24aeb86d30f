"""int8 through the ops that move values without arithmetic (reshape, transpose, concatenation,
slice, pad): the stored bytes move exactly as numpy moves them, pad fills with its real
constant quantized (the zero point for 0), and each op rejects an output whose scale or zero point differs from its input's."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from emberlite.converter import reference
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


PAD_WIDTHS = ((0, 0), (1, 0), (0, 2), (1, 1))
PADS = tuple(b for b, _ in PAD_WIDTHS) + tuple(a for _, a in PAD_WIDTHS)


# Real constants: ordinary, negative, halfway between two steps (ties round away from zero,
# as LiteRT's QUANTIZE does), and beyond the int8 range (saturates).
@pytest.mark.parametrize("value", [0.7, -1.3, 2.5 * SCALE, -3.5 * SCALE, 100.0, -100.0])
def test_pad_int8_quantizes_its_real_constant(value: float) -> None:
    ratio = np.float32(value) / np.float32(SCALE)
    fill = int(np.clip(np.sign(ratio) * np.floor(np.abs(np.float64(ratio)) + 0.5) + ZP,
                       -128, 127))
    want = np.pad(X, PAD_WIDTHS, constant_values=fill)
    g = build(OpType.PAD, PadParams(pads=PADS, value=value), {"x": X}, want.shape)
    assert np.array_equal(run_graph(g, [X])[0], want)
    assert np.array_equal(reference.evaluate(g, {"x": X})["out"], want)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_pad_int8_rejects_a_constant_that_is_not_finite(value: float) -> None:
    want = np.pad(X, PAD_WIDTHS)
    g = build(OpType.PAD, PadParams(pads=PADS, value=value), {"x": X}, want.shape)
    with pytest.raises(InvalidModelError, match="must be finite"):
        run_graph(g, [X])
