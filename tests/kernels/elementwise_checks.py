"""Shared by the float32 tests of the element-wise ops (ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM,
PRELU and the activations): their microkernel paths (csrc/ukernels/vbinary.h, vunary.h) against
the reference loops that isa_mask NONE forces, and bit-identical for 1 and 2 threads. The exact
ops must match the reference bit for bit; SIGMOID and TANH within the relative error that
csrc/ukernels/vunary.h states (EMBER_VSIGMOID_MAX_REL_ERR, EMBER_VTANH_MAX_REL_ERR)."""
from __future__ import annotations

from typing import Any

import numpy as np

from emberlite import ISA_ALL, ISA_NONE, Interpreter
from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import run_ember

# vunary.h's bounds; outputs below 2^-126 (sigmoid's flushed subnormals) may be off by that.
APPROX_REL_BOUND = {OpType.SIGMOID: 1.8e-7, OpType.TANH: 1.95e-7}
TINY = 2.0 ** -126

# Operand shapes of the binary ops: same shape, scalar either side, per-channel [C] and
# [1,1,1,C], squeeze-excite [N,1,1,C], a per-pixel [N,H,W,1], a general broadcast and shapes
# large enough to be split into tiles over two threads (odd sizes, so tiles end mid-vector).
BINARY_SHAPES = [
    ((2, 5, 7, 3), (2, 5, 7, 3)),
    ((1, 9, 9, 17), ()),
    ((), (1, 9, 9, 17)),
    ((1, 6, 6, 37), (37,)),
    ((1, 6, 6, 37), (1, 1, 1, 37)),
    ((37,), (1, 6, 6, 37)),
    ((2, 5, 5, 24), (2, 1, 1, 24)),
    ((1, 1, 1, 24), (2, 5, 5, 24)),
    ((2, 6, 5, 19), (2, 6, 5, 1)),
    ((3, 1, 4, 1), (1, 5, 1, 6)),
    ((1, 61, 59, 19), (1, 61, 59, 19)),
    ((1, 61, 59, 19), ()),
    ((1, 57, 57, 21), (21,)),
    ((1, 3, 3, 40000), (1, 1, 1, 40000)),
    ((2, 45, 45, 13), (2, 1, 1, 13)),
]


def shapes_id(shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> str:
    return "x".join(map(str, shapes[0])) + "_" + "x".join(map(str, shapes[1]))


def one_node(op: OpType, inputs: list[np.ndarray], out_shape: tuple[int, ...],
             params: Any = None, const: tuple[int, ...] = ()) -> tuple[bytes, list[np.ndarray]]:
    """A serialized one-node float32 model and the feeds of its non-constant inputs."""
    names = [f"x{i}" for i in range(len(inputs))]
    tensors = [Tensor(n, DType.FLOAT32, v.shape, constant_array(v) if i in const else None)
               for i, (n, v) in enumerate(zip(names, inputs))]
    tensors.append(Tensor("y", DType.FLOAT32, out_shape))
    graph_inputs = [n for i, n in enumerate(names) if i not in const]
    graph = Graph({t.name: t for t in tensors}, [Node(op, op.name.lower(), names, ["y"], params)],
                  graph_inputs, ["y"])
    feed = [v for i, v in enumerate(inputs) if i not in const]
    return serialize(graph, plan_memory(graph)), feed


def _run(model: bytes, feed: list[np.ndarray], isa_mask: int,
         num_threads: int) -> tuple[np.ndarray, str]:
    interp = Interpreter(model_content=model, num_threads=num_threads, isa_mask=isa_mask)
    interp.allocate_tensors()
    out = run_ember(model, feed, interpreter=interp)[0].copy()
    return out, interp.node_variants()[0]


def check_fast_path(op: OpType, inputs: list[np.ndarray], out_shape: tuple[int, ...],
                    prefix: str, params: Any = None, const: tuple[int, ...] = ()) -> np.ndarray:
    """Every ISA allowed, on 1 and 2 threads, against ISA_NONE: the node runs a microkernel whose
    name starts with `prefix`, the reference under ISA_NONE, 1 and 2 threads agree bit for
    bit, and the result equals the reference (bit for bit, or within the approximation's
    bound). Returns the optimised output."""
    model, feed = one_node(op, inputs, out_shape, params, const)
    # ISA_ALL spelt out: the reference_kernels plugin turns a missing mask into ISA_NONE.
    fast, variant = _run(model, feed, ISA_ALL, 1)
    fast2, _ = _run(model, feed, ISA_ALL, 2)
    ref, ref_variant = _run(model, feed, ISA_NONE, 1)
    assert variant.startswith(prefix), f"runs {variant}, expected {prefix}*"
    assert ref_variant == "reference"
    assert np.array_equal(fast.view(np.uint32), fast2.view(np.uint32)), "1 vs 2 threads differ"
    if op in APPROX_REL_BOUND:
        # Against the exact function: the float32 reference has its own rounding errors.
        x = inputs[0].astype(np.float64)
        with np.errstate(over="ignore"):
            want = 1.0 / (1.0 + np.exp(-x)) if op == OpType.SIGMOID else np.tanh(x)
        err = np.abs(fast - want)
        ok = (err <= APPROX_REL_BOUND[op] * np.abs(want) + TINY) | (np.isnan(fast) & np.isnan(ref))
        assert ok.all(), f"worst: {fast[~ok][:4]} vs {want[~ok][:4]}"
    else:
        same = (fast.view(np.uint32) == ref.view(np.uint32)) | (np.isnan(fast) & np.isnan(ref))
        assert same.all(), f"differ: {fast[~same][:4]} vs {ref[~same][:4]}"
    return fast


def values(rng: np.random.Generator, shape: tuple[int, ...], specials: bool = True
           ) -> np.ndarray:
    """Normal values with, where `specials`, +-0, +-inf and NaN sprinkled in."""
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    if specials and x.size >= 8:
        flat = x.reshape(-1)
        idx = rng.choice(flat.size, size=5, replace=False)
        flat[idx] = [0.0, -0.0, np.inf, -np.inf, np.nan]
    return x


UNARY_SHAPES = [(1,), (7,), (2, 5, 5, 3), (1, 61, 59, 19)]


def check_binary(op: OpType, shapes: tuple[tuple[int, ...], tuple[int, ...]], prefix: str,
                 params: Any = None, const: tuple[int, ...] = (), seed: int = 0) -> None:
    """check_fast_path on one broadcast of two operands drawn by `values`."""
    rng = np.random.default_rng(seed)
    a, b = values(rng, shapes[0]), values(rng, shapes[1])
    out_shape = tuple(np.broadcast_shapes(shapes[0], shapes[1]))
    check_fast_path(op, [a, b], out_shape, prefix, params, const)


def check_unary(op: OpType, shape: tuple[int, ...], prefix: str, params: Any = None,
                seed: int = 0) -> None:
    """check_fast_path on one input drawn by `values`."""
    x = values(np.random.default_rng(seed), shape)
    check_fast_path(op, [x], shape, prefix, params)


def check_approximation_sweep(op: OpType, prefix: str) -> None:
    """Every 1e-4 step of [-20, 20] and values spread over every binade, in one tensor."""
    sweep = np.arange(-200000, 200001, dtype=np.float64) * 1e-4
    binades = np.ldexp(1.0 + np.arange(16) / 16.0, np.arange(-149, 128)[:, None]).ravel()
    x = np.concatenate([sweep, binades, -binades]).astype(np.float32)
    check_fast_path(op, [x], x.shape, prefix)
