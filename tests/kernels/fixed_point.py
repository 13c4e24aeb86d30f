"""A numpy model of LiteRT's reference int8 arithmetic (the double-rounding build), written from
docs/int8-arithmetic.md independently of csrc/kernels/fixed_point.c: the oracle of the int8
kernel tests, plus helpers that build single-op int8 graphs and run them."""
from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import in_ci

from emberlite import Interpreter
from emberlite._ember import lib
from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """real = m * 2^(shift - 31), m in [2^30, 2^31); (0, 0) for 0 and multipliers below 2^-32."""
    if not real > 0.0 or not math.isfinite(real):
        return 0, 0
    fraction, exponent = math.frexp(real)
    m = math.floor(fraction * 2.0**31 + 0.5)  # exact: fraction * 2^31 has no low bits
    if m == 2**31:
        m //= 2
        exponent += 1
    if exponent < -31:
        return 0, 0
    return m, exponent


def _wrap32(x: np.ndarray) -> np.ndarray:
    return ((x.astype(np.int64) + 2**31) % 2**32 - 2**31).astype(np.int64)


def srdhm(a: np.ndarray, b: int) -> np.ndarray:
    """Saturating rounding doubling high multiply (int64 arrays): a * b / 2^31 with the
    nudge 2^30, or 1 - 2^30 for a negative product, then truncation toward zero."""
    a = np.asarray(a, dtype=np.int64)
    p = a * np.int64(b)
    nudge = np.where(p >= 0, 2**30, 1 - 2**30)
    q = p + nudge
    # Truncating division by 2^31 (numpy's // floors, so divide the magnitude).
    result = np.sign(q) * (np.abs(q) // 2**31)
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, result)


def rdbpot(x: np.ndarray, exponent: int) -> np.ndarray:
    """x / 2^exponent rounded half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def srdhm16(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """The int16 SRDHM: a * b / 2^15 with the nudge 2^14, or 1 - 2^14 for a negative product,
    then truncation toward zero; INT16_MIN * INT16_MIN gives INT16_MAX."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    q = a * b + np.where(a * b >= 0, 2**14, 1 - 2**14)
    return np.where((a == -2**15) & (b == -2**15), 2**15 - 1, np.sign(q) * (np.abs(q) // 2**15))


def doubling_high_mul16(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * b / 2^15 truncated toward zero (no nudge); INT16_MIN * INT16_MIN saturates."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    p = a * b
    return np.where((a == -2**15) & (b == -2**15), 2**15 - 1, np.sign(p) * (np.abs(p) // 2**15))


def sat16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64), -2**15, 2**15 - 1)


def multiplier_to_int16(m: int) -> int:
    """A Q0.31 multiplier rounded to Q0.15, saturating at 32767."""
    return 2**15 - 1 if m >= 2**31 - 1 - 2**15 else (m + 2**15) >> 16


def mbqm(x: np.ndarray, m: int, shift: int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier: wrapping left shift, SRDHM, rounding right shift."""
    left = max(shift, 0)
    right = max(-shift, 0)
    shifted = _wrap32(np.asarray(x, dtype=np.int64) * (2**left if left < 32 else 0))
    return rdbpot(srdhm(shifted, m), min(right, 31))


def activation_range(act: int, scale: float, zero_point: int) -> tuple[int, int]:
    """Clamp range of a fused activation (0 none, 1 relu, 2 relu6, 3 relu_n1_to_1)."""
    def q(bound: float) -> int:
        v = float(np.float32(bound) / np.float32(scale))  # float32 division, as LiteRT
        return zero_point + int(math.copysign(math.floor(abs(v) + 0.5), v))
    lo, hi = -128, 127
    bounds = {0: (None, None), 1: (0.0, None), 2: (0.0, 6.0), 3: (-1.0, 1.0)}[act]
    if bounds[0] is not None:
        lo = max(lo, q(bounds[0]))
    if bounds[1] is not None:
        hi = min(hi, q(bounds[1]))
    return lo, hi


def round_half_away(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def wrap_sum(x: np.ndarray, axis: int) -> np.ndarray:
    """int32 sum that wraps like the C accumulators."""
    return _wrap32(np.sum(x.astype(np.int64), axis=axis))


# ---- graphs ------------------------------------------------------------------------------

def int8_tensor(graph: Graph, name: str, shape: tuple[int, ...], scale: float, zp: int,
                data: np.ndarray | None = None) -> str:
    arr = None if data is None else constant_array(data)
    dtype = DType.INT8 if data is None else DType.from_numpy(arr.dtype)
    graph.tensors[name] = Tensor(name, dtype, tuple(shape), arr,
                                 QuantParams((float(np.float32(scale)),), (int(zp),)))
    return name


def quant_tensor(graph: Graph, name: str, data: np.ndarray, scales: np.ndarray,
                 axis: int) -> str:
    """A constant with one scale per entry along `axis` (or one scale), zero points 0."""
    arr = constant_array(data)
    scales = [float(np.float32(s)) for s in np.atleast_1d(scales)]
    graph.tensors[name] = Tensor(name, DType.from_numpy(arr.dtype), arr.shape, arr,
                                 QuantParams(tuple(scales), (0,) * len(scales), axis))
    return name


def single_op(op: OpType, inputs: list[str], params: object, graph: Graph) -> Graph:
    """Finishes `graph` (whose tensors include an int8 `out`) with one node and its I/O."""
    graph.nodes.append(Node(op, op.name.lower(), list(inputs), ["out"], params))
    graph.inputs = [n for n in inputs if graph.tensors[n].data is None]
    graph.outputs = ["out"]
    return graph


def empty_graph() -> Graph:
    return Graph(tensors={}, nodes=[], inputs=[], outputs=[])


def log_uniform(rng: np.random.Generator, lo: float, hi: float, size: int | None = None):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def snap_pow2(rng: np.random.Generator, scales: dict) -> dict:
    """With probability 1/3, every scale rounded to a power of two: multipliers become exact
    powers of two and ties (x.5 before rounding) common, the cases rounding rules decide."""
    if rng.random() >= 1 / 3:
        return scales
    return {k: (2.0 ** np.round(np.log2(v)) if k.startswith("s_") else v)
            for k, v in scales.items()}


def product_quant(rng: np.random.Generator, gain_low: float, gain_high: float) -> dict:
    """Random quantization of a product a * b (MUL, BATCH_MATMUL): input scales log-uniform
    in [1e-3, 0.5], the output's s_a * s_b times a log-uniform gain in [gain_low, gain_high],
    random zero points, then snap_pow2."""
    s_a = float(log_uniform(rng, 1e-3, 0.5))
    s_b = float(log_uniform(rng, 1e-3, 0.5))
    return snap_pow2(rng, {"s_a": s_a, "s_b": s_b,
                           "s_out": s_a * s_b * float(log_uniform(rng, gain_low, gain_high)),
                           "zp_a": int(rng.integers(-128, 128)),
                           "zp_b": int(rng.integers(-128, 128)),
                           "zp_out": int(rng.integers(-128, 128))})


def run_graph(graph: Graph, inputs: list[np.ndarray], isa_mask: int | None = None
              ) -> list[np.ndarray]:
    """Outputs of `graph` on `inputs`; isa_mask (EMBER_ISA_* bits, default all) limits which
    optimised kernel variants the interpreter may pick."""
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)), isa_mask=isa_mask)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], np.require(value, requirements="C"))
    interp.invoke()
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]


def _cpu_features() -> int:
    g = empty_graph()
    int8_tensor(g, "x", (1, 1), 0.5, 0)
    quant_tensor(g, "w", np.ones((1, 1), dtype=np.int8), np.array([0.5]), 0)
    int8_tensor(g, "out", (1, 1), 0.5, 0)
    single_op(OpType.FULLY_CONNECTED, ["x", "w"], FullyConnectedParams(), g)
    return Interpreter(model_content=serialize(g, plan_memory(g))).cpu_features()


# The isa_mask that selects each int8 kernel variant, for @pytest.mark.parametrize: the
# reference loops alone (NONE), then each ISA; one this CPU lacks is skipped with the reason.
# avx512vnni is skipped only outside CI: in CI it then runs what the mask leaves (AVX2 or the
# portable microkernels), which must be byte-identical too.
_FEATURES = _cpu_features()
ISA_VARIANTS = [
    pytest.param(lib.EMBER_ISA_NONE, id="ref"),
    pytest.param(lib.EMBER_ISA_AVX2, id="avx2",
                 marks=pytest.mark.skipif(not _FEATURES & lib.EMBER_ISA_AVX2,
                                          reason="this CPU has no AVX2")),
    pytest.param(lib.EMBER_ISA_AVX2 | lib.EMBER_ISA_AVX512F | lib.EMBER_ISA_AVX512VNNI,
                 id="avx512vnni",
                 marks=pytest.mark.skipif(not _FEATURES & lib.EMBER_ISA_AVX512VNNI and not in_ci(),
                                          reason="this CPU has no AVX-512 VNNI")),
]
