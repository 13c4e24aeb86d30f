"""DEQUANTIZE from int16 (the int8 -> float32 round trips with QUANTIZE are in
test_quantize.py): every int16 value of one scale exactly, and per-channel scales along each
axis of a run-time input and of a constant computed at prepare."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite import ISA_AVX2, ISA_SHA
from emberlite.converter.ir import DType, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from tests.kernels import elementwise_qs8_checks
from tests.kernels.fixed_point import _FEATURES, empty_graph, log_uniform, run_graph, single_op
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


# ---- int8 -> float32 microkernels (csrc/ukernels/vcvt_qs8.h) -------------------------------

VCVT_VARIANTS = [pytest.param(ISA_SHA, "scalar", id="portable")] + (
    [pytest.param(ISA_AVX2, "avx2", id="avx2")] if _FEATURES & ISA_AVX2 else [])


def dequantize_i8_reference(x: np.ndarray, scales: np.ndarray, zps: np.ndarray) -> np.ndarray:
    """f32(scale * (q - zp)): the double product is exact, so one rounding, as float32's."""
    return (np.float64(scales) * (x.astype(np.int64) - zps)).astype(np.float32)


@pytest.mark.parametrize("seed", [5, 6])
@pytest.mark.parametrize("isa_mask,suffix", VCVT_VARIANTS)
def test_fast_path_i8(isa_mask: int, suffix: str, seed: int) -> None:
    """int8 -> float32 through the vcvt microkernel, one scale: the reference loop's bits and
    the numpy model's, every tail, 1 and 2 threads, zero points at -128 and 127, scales over
    six decades."""
    rng = np.random.default_rng(seed)
    for shape in [(n,) for n in elementwise_qs8_checks.LENGTHS] + [(3, 5, 7), (70001,)]:
        scale = float(np.float32(log_uniform(rng, 1e-6, 1.0)))
        zp = elementwise_qs8_checks.zero_point(rng)
        x = elementwise_qs8_checks.int8_data(rng, shape)
        g = conversion_graph(DType.INT8, DType.FLOAT32, shape, scale, zp, 0.0, 0,
                             OpType.DEQUANTIZE)
        elementwise_qs8_checks.check_variant(g, [x], "dequantize", isa_mask, suffix,
                                             dequantize_i8_reference(x, np.float32(scale), zp))


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("isa_mask,suffix", VCVT_VARIANTS)
def test_fast_path_i8_per_channel(isa_mask: int, suffix: str, axis: int) -> None:
    """Per channel, each channel's inner run (1 to 47 x 9 elements: every tail) through the
    microkernel, with its own scale (1e-6..1) and zero point (-128 and 127 among them)."""
    rng = np.random.default_rng(axis)
    shape = (3, 47, 9)
    x = elementwise_qs8_checks.int8_data(rng, shape)
    scales = np.float32(log_uniform(rng, 1e-6, 1.0, shape[axis]))
    zps = rng.integers(-128, 128, shape[axis])
    zps[0], zps[-1] = -128, 127
    g = empty_graph()
    g.tensors["x"] = Tensor("x", DType.INT8, shape, None,
                            QuantParams(tuple(float(s) for s in scales),
                                        tuple(int(z) for z in zps), axis))
    g.tensors["out"] = Tensor("out", DType.FLOAT32, shape)
    g = single_op(OpType.DEQUANTIZE, ["x"], None, g)
    bshape = [1, 1, 1]
    bshape[axis] = -1
    elementwise_qs8_checks.check_variant(
        g, [x], "dequantize", isa_mask, suffix,
        dequantize_i8_reference(x, scales.reshape(bshape), zps.reshape(bshape)))
