"""DEQUANTIZE from int16 (the int8 -> float32 round trips with QUANTIZE are in
test_quantize.py): every int16 value of one scale exactly, and per-channel scales along each
axis of a run-time input and of a constant computed at prepare."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.ir import DType, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from tests.kernels.fixed_point import empty_graph, log_uniform, run_graph, single_op
from tests.kernels.fixed_point16 import INT16_MAX, INT16_MIN
from tests.kernels.int16_graphs import conversion_graph, int16_values


def test_dequantize_i16_exact() -> None:
    x = np.arange(INT16_MIN, INT16_MAX + 1).astype(np.int16)
    scale = 1.2345e-4
    g = conversion_graph(DType.INT16, DType.FLOAT32, x.shape, scale, 0, 0, 0, OpType.DEQUANTIZE)
    got = run_graph(g, [x])[0]
    assert np.array_equal(got, (np.float64(np.float32(scale)) * x).astype(np.float32))


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("constant", [False, True], ids=["runtime", "constant"])
def test_dequantize_i16_per_channel(axis: int, constant: bool) -> None:
    """Each int16 element is scaled by its own channel's scale along `axis` (a per-channel
    walk that counted bytes as elements read and wrote twice the tensor)."""
    rng = np.random.default_rng(axis)
    x = int16_values(rng, (2, 47, 3))
    scales = np.float32(log_uniform(rng, 1e-5, 1e-2, x.shape[axis]))
    g = empty_graph()
    quant = QuantParams(tuple(float(s) for s in scales), (0,) * x.shape[axis], axis)
    g.tensors["x"] = Tensor("x", DType.INT16, x.shape, constant_array(x) if constant else None,
                            quant)
    g.tensors["y"] = Tensor("y", DType.FLOAT32, x.shape)
    g.tensors["one"] = Tensor("one", DType.FLOAT32, (1,), constant_array(np.ones(1, np.float32)))
    g.tensors["out"] = Tensor("out", DType.FLOAT32, x.shape)
    # A float op reads the dequantized tensor, so a constant input is computed at prepare.
    g = single_op(OpType.MUL, ["y", "one"], BinaryParams(), g)
    g.nodes.insert(0, Node(OpType.DEQUANTIZE, "dequantize", ["x"], ["y"], None))
    g.inputs = [] if constant else ["x"]
    got = run_graph(g, [] if constant else [x])[0]
    shape = [1, 1, 1]
    shape[axis] = -1
    want = (np.float64(scales.reshape(shape)) * x).astype(np.float32)
    assert np.array_equal(got, want)
