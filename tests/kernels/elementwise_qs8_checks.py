"""The int8 element-wise microkernels (csrc/ukernels/vbinary_qs8.h, vunary_qs8.h) against the
reference loops they stand beside: a one-node int8 graph run under an isa_mask that picks a
microkernel (AVX2 or NEON, or the portable one), at 1 and 2 threads, byte for byte against
the same graph under ISA_NONE (the reference loop, the oracle) and against a numpy model of
LiteRT's reference kernel. Used by test_add.py, test_mul.py, test_sigmoid.py, test_tanh.py,
test_hard_swish.py and test_quantize.py."""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from emberlite import ISA_AVX2, ISA_AVX512F, ISA_NEON, ISA_NONE, ISA_SHA, Interpreter
from emberlite.converter.ir import Graph
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.kernels import fixed_point_activations
from tests.kernels.fixed_point import _FEATURES, log_uniform

# The masks that pick each int8 element-wise variant this CPU runs: its SIMD ISA, and a mask
# with no SIMD bit (ISA_SHA alone), which selects the portable microkernels rather than the
# reference loops. Only the CPU's own ISAs are listed, so nothing is skipped (CI=1).
FAST_VARIANTS = [pytest.param(ISA_SHA, "scalar", id="portable")] + [
    pytest.param(isa, name, id=name) for isa, name in ((ISA_AVX2, "avx2"), (ISA_NEON, "neon"))
    if _FEATURES & isa]
# ADD and MUL also have AVX-512F kernels.
BINARY_VARIANTS = FAST_VARIANTS + (
    [pytest.param(ISA_AVX2 | ISA_AVX512F, "avx512f", id="avx512f")]
    if _FEATURES & ISA_AVX512F else [])

# Row lengths around the 16- and 32-byte steps: every tail.
LENGTHS = [1, 2, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 257]


def run(graph: Graph, inputs: list[np.ndarray], isa_mask: int, threads: int, op: str
        ) -> tuple[list[np.ndarray], list[str]]:
    """Outputs of `graph` and the variants of its `op` nodes."""
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)), isa_mask=isa_mask,
                         num_threads=threads)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], np.require(value, requirements="C"))
    interp.invoke()
    variants = [v for o, v in zip(interp.node_ops(), interp.node_variants()) if o == op]
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()], variants


def check_variant(graph: Graph, inputs: list[np.ndarray], op: str, isa_mask: int, suffix: str,
                  expected: np.ndarray | None = None) -> None:
    """`op` runs a microkernel named ..._<suffix> under isa_mask, at 1 and 2 threads, and its
    bytes equal the reference loop's (ISA_NONE) and `expected` (the numpy model) if given."""
    ref, ref_variants = run(graph, inputs, ISA_NONE, 1, op)
    assert ref_variants == ["reference"] * len(ref_variants), ref_variants
    if expected is not None:
        assert np.array_equal(ref[0], expected)
    for threads in (1, 2):
        got, variants = run(graph, inputs, isa_mask, threads, op)
        assert variants and all(v.endswith("_" + suffix) for v in variants), variants
        for g, r in zip(got, ref):
            assert g.dtype == r.dtype and g.tobytes() == r.tobytes(), (threads, variants)


def zero_point(rng: np.random.Generator) -> int:
    """-128, 127 or random, a third each."""
    return int(rng.choice([-128, 127, int(rng.integers(-128, 128))]))


def int8_data(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random int8 values with -128 and 127 forced in where there is room."""
    x = rng.integers(-128, 128, shape).astype(np.int8)
    flat = x.reshape(-1)
    if flat.size >= 2:
        flat[rng.integers(flat.size)] = -128
        flat[rng.integers(flat.size)] = 127
    return x


def binary_shapes(rng: np.random.Generator) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Same shapes of every tail length, per-channel broadcast both ways, scalars both ways,
    a broadcast of both operands, and one output over the threads' split size."""
    cases = [((n,), (n,)) for n in LENGTHS]
    for c in (1, 3, 16, 17, 40):
        hw = int(rng.integers(1, 6))
        cases += [((1, hw, 3, c), (c,)), ((c,), (2, hw, 1, c)), ((2, hw, 2, c), (1, 1, 1, c))]
    # scalars both ways; rows from 1024 on run as a lookup in a table of the vs kernel
    cases += [((n,), ()) for n in (1, 17, 33, 100, 1023, 1024, 5001)]
    cases += [((), (n,)) for n in (5, 47, 3000)] + [((1, 50, 50, 3), (1, 1, 1, 1))]
    cases += [((3, 1, 5), (1, 4, 1)), ((2, 1, 3, 1), (1, 5, 1, 19)), ((70000,), (70000,)),
              ((1, 40, 40, 24), (1, 40, 40, 24)), ((1, 30, 30, 40), (1, 1, 1, 40))]
    return cases


def random_scales(rng: np.random.Generator, op: str) -> dict:
    """Input scales over several decades; ADD's output scale around the larger input's (it
    must stay above 2^-19 of it), MUL's around the product's, gains either side of 1 (MUL's
    reach left shifts)."""
    s_a = float(log_uniform(rng, 1e-4, 1.0))
    s_b = float(log_uniform(rng, 1e-4, 1.0))
    if op == "add":
        s_out = max(s_a, s_b) * float(log_uniform(rng, 1e-2, 1e2))
    else:
        s_out = s_a * s_b * float(log_uniform(rng, 1e-3, 1e3))
    return {"s_a": s_a, "s_b": s_b, "s_out": s_out, "zp_a": zero_point(rng),
            "zp_b": zero_point(rng), "zp_out": zero_point(rng)}


def check_binary(op: str, build: Callable, reference: Callable, isa_mask: int, suffix: str,
                 seed: int) -> None:
    """build(a_shape, b_shape, q, act) and reference(a, b, q, act) of ADD or MUL, over
    binary_shapes with random quantization and fused activations."""
    rng = np.random.default_rng(seed)
    for a_shape, b_shape in binary_shapes(rng):
        q = random_scales(rng, op)
        act = int(rng.integers(0, 4))
        a, b = int8_data(rng, a_shape), int8_data(rng, b_shape)
        check_variant(build(a_shape, b_shape, q, act), [a, b], op, isa_mask, suffix,
                      reference(a, b, q, act))


def check_lookup(op: str, graph_of: Callable, isa_mask: int, suffix: str, seed: int,
                 reference: Callable | None = None, dtype: type = np.int8) -> None:
    """A unary int8 op computed as a table lookup: graph_of(shape, q) over every tail length,
    a multi-dim shape and one over the threads' split size, every input byte included."""
    rng = np.random.default_rng(seed)
    for shape in [(n,) for n in LENGTHS] + [(256,), (2, 7, 9, 5), (1, 160, 160, 8)]:
        q = {"s_in": float(log_uniform(rng, 1e-3, 0.5)), "zp_in": zero_point(rng),
             "zp_out": zero_point(rng)}
        q["s_out"] = q["s_in"] * float(log_uniform(rng, 0.05, 20.0))
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max + 1, shape).astype(dtype)
        if x.size >= 256:
            x.reshape(-1)[:256] = np.arange(info.min, info.max + 1).astype(dtype)
        graph, q = graph_of(shape, q)
        check_variant(graph, [x], op, isa_mask, suffix,
                      None if reference is None else reference(x, q))


def check_table_op(op: OpType, isa_mask: int, suffix: str, seed: int) -> None:
    """SIGMOID or TANH int8: the lookup microkernel gives the converter's table entry of every
    input byte, as the reference loop does."""
    tables = {}

    def graph_of(shape: tuple[int, ...], q: dict) -> tuple[Graph, dict]:
        tables["t"] = fixed_point_activations.table(op, q)
        return fixed_point_activations.build(op, shape, q, table=tables["t"]), q

    check_lookup(op.name.lower(), graph_of, isa_mask, suffix, seed,
                 lambda x, q: tables["t"][x.view(np.uint8)])


def check_hard_swish(isa_mask: int, suffix: str, seed: int) -> None:
    """HARD_SWISH int8: the lookup in the table prepare builds equals the int16 fixed point."""
    check_lookup("hard_swish",
                 lambda shape, q: (fixed_point_activations.build(OpType.HARD_SWISH, shape, q), q),
                 isa_mask, suffix, seed, fixed_point_activations.hard_swish_reference)
