"""One-node 16x8 graphs (int16 activations with zero point 0, int8 per-channel weights, int64
biases) and the random values and scales the int16 kernel tests of CONV2D, DEPTHWISE_CONV2D,
FULLY_CONNECTED, QUANTIZE and DEQUANTIZE build them from."""
from __future__ import annotations

import numpy as np

from emberlite.converter.ir import DType, Tensor
from emberlite.converter.ops import OpType
from tests.kernels.fixed_point import (empty_graph, int8_tensor, log_uniform, quant_tensor,
                                       single_op, snap_pow2)
from tests.kernels.fixed_point16 import INT16_MAX, INT16_MIN, int16_tensor


def int16_values(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(INT16_MIN, INT16_MAX + 1, shape).astype(np.int16)


def weighted_scales(rng: np.random.Generator, cout: int, per_channel: bool,
                    fan_in: int) -> dict:
    """Input, weight and output scales putting typical outputs near 10^4 (some saturate)."""
    s_in = float(log_uniform(rng, 1e-5, 1e-3))
    s_w = log_uniform(rng, 1e-3, 0.05, cout if per_channel else 1)
    s_out = float(s_in * np.mean(s_w) * np.sqrt(fan_in) * 140 * log_uniform(rng, 0.05, 2.0))
    return snap_pow2(rng, {"s_in": s_in, "s_w": s_w, "s_out": s_out})


def bias64(rng: np.random.Generator, n: int, with_bias: bool, big: bool) -> np.ndarray | None:
    """int64 biases; `big` ones pass the int32 range (outputs then mostly saturate)."""
    if not with_bias:
        return None
    return rng.integers(-2**35 if big else -2**24, 2**35 if big else 2**24, n).astype(np.int64)


def weighted_graph(op: OpType, x: np.ndarray, w: np.ndarray, bias, params, q: dict, axis: int,
                   want: np.ndarray):
    """One int16 CONV2D, DEPTHWISE_CONV2D or FULLY_CONNECTED node with weights `w` quantized
    along `axis`, and `bias` when there is one."""
    g = empty_graph()
    int16_tensor(g, "x", x.shape, q["s_in"])
    quant_tensor(g, "w", w, q["s_w"], axis)
    inputs = ["x", "w"]
    if bias is not None:
        quant_tensor(g, "b", bias, np.float32(q["s_in"]) * np.float32(q["s_w"]), 0)
        inputs.append("b")
    int16_tensor(g, "out", want.shape, q["s_out"])
    return single_op(op, inputs, params, g)


def conversion_graph(src_type: DType, dst_type: DType, shape, s_in, zp_in, s_out, zp_out,
                     op: OpType = OpType.QUANTIZE):
    """One QUANTIZE or DEQUANTIZE node from `src_type` to `dst_type`."""
    g = empty_graph()
    for name, dtype, s, zp in (("x", src_type, s_in, zp_in), ("out", dst_type, s_out, zp_out)):
        if dtype == DType.INT16:
            int16_tensor(g, name, shape, s)
        elif dtype == DType.INT8:
            int8_tensor(g, name, shape, s, zp)
        else:
            g.tensors[name] = Tensor(name, DType.FLOAT32, tuple(shape))
    return single_op(op, ["x"], None, g)
