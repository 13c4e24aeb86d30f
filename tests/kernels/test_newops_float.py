"""MAXIMUM, MINIMUM, PRELU, ARG_MAX, ARG_MIN and CAST (float32 and their integer outputs):
single-node IR graphs run by the C kernels, compared with numpy written here (independent of
converter/reference.py) and with the reference evaluator. The TFLite single-op tests compare
the same kernels with LiteRT."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pytest

from emberlite.converter.ir import DType, Graph, Node, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.arg_max import ArgParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.reference import evaluate
from emberlite.converter.writer import serialize
from helpers import run_ember

RNG = np.random.default_rng(5)


def _run(op: OpType, inputs: list[np.ndarray], out_shape: tuple[int, ...], out_dtype: DType,
         params: Any = None, const: tuple[int, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(Emberlite's output, the reference evaluator's) for one node; inputs at positions in
    `const` become constants."""
    names = [f"x{i}" for i in range(len(inputs))]
    tensors = [Tensor(n, DType.from_numpy(v.dtype), v.shape,
                      constant_array(v) if i in const else None)
               for i, (n, v) in enumerate(zip(names, inputs))]
    tensors.append(Tensor("y", out_dtype, out_shape))
    graph_inputs = [n for i, n in enumerate(names) if i not in const]
    graph = Graph({t.name: t for t in tensors}, [Node(op, op.name.lower(), names, ["y"], params)],
                  graph_inputs, ["y"])
    feed = [v for i, v in enumerate(inputs) if i not in const]
    got, = run_ember(serialize(graph, plan_memory(graph)), feed)
    want = evaluate(graph, dict(zip(graph_inputs, feed)))["y"]
    return got, want


def _close(got: np.ndarray, want: np.ndarray, *refs: np.ndarray) -> None:
    for ref in (want, *refs):
        assert got.shape == ref.shape and got.dtype == ref.dtype
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op, fn", [(OpType.MAXIMUM, np.maximum), (OpType.MINIMUM, np.minimum)])
@pytest.mark.parametrize("shapes", [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)),
                                    ((1, 3, 1), (2, 1, 5)), ((), (3,))])
def test_maximum_minimum_broadcast(op: OpType, fn: Callable, shapes: tuple) -> None:
    a, b = (RNG.standard_normal(s).astype(np.float32) for s in shapes)
    want = fn(a, b)
    _close(*_run(op, [a, b], want.shape, DType.FLOAT32), want)


@pytest.mark.parametrize("alpha_shape", [(3,), (1, 1, 3), (4, 5, 3), (1,)])
def test_prelu_alpha_broadcasts(alpha_shape: tuple[int, ...]) -> None:
    x = RNG.standard_normal((2, 4, 5, 3)).astype(np.float32)
    alpha = RNG.uniform(-1, 1, alpha_shape).astype(np.float32)
    want = np.where(x < 0, x * alpha, x)
    _close(*_run(OpType.PRELU, [x, alpha], x.shape, DType.FLOAT32, const=(1,)), want)


@pytest.mark.parametrize("op", [OpType.ARG_MAX, OpType.ARG_MIN])
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("dtype", [DType.INT32, DType.INT64])
def test_arg_first_index_wins_ties(op: OpType, axis: int, dtype: DType) -> None:
    # Few distinct values, so most slices have ties.
    x = RNG.integers(-2, 3, (4, 5, 6)).astype(np.float32)
    fn = np.argmax if op == OpType.ARG_MAX else np.argmin
    want = fn(x, axis=axis).astype(dtype.numpy)
    got, ref = _run(op, [x], want.shape, dtype, ArgParams(axis))
    assert got.dtype == dtype.numpy
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(ref, want)


def test_arg_max_keeps_axis_when_the_output_does() -> None:
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    got, _ = _run(OpType.ARG_MAX, [x], (3, 1), DType.INT32, ArgParams(1))
    np.testing.assert_array_equal(got, np.argmax(x, axis=1)[:, None])


CASTS = [(np.float32, np.int32), (np.float32, np.int8), (np.float32, np.int64),
         (np.int32, np.float32), (np.int32, np.int8), (np.int8, np.int32),
         (np.int8, np.float32), (np.int64, np.int32), (np.int32, np.int64)]


@pytest.mark.parametrize("src, dst", CASTS, ids=lambda t: np.dtype(t).name)
def test_cast_like_c(src: type, dst: type) -> None:
    if np.issubdtype(src, np.floating):
        # Truncation toward zero, with exact halves, negatives and values beyond int8.
        x = np.concatenate([RNG.uniform(-300, 300, 40), [-2.5, -0.5, 0.5, 2.5, -1.0, 127.9,
                                                         -128.9, 255.0]]).astype(src)
        want = np.trunc(x.astype(np.float64)).astype(np.int64).astype(dst)
    else:
        lo, hi = np.iinfo(src).min, np.iinfo(src).max
        x = np.concatenate([RNG.integers(lo, hi, 40, dtype=np.int64),
                            [lo, hi, -1, 0, 128, -129]]).clip(lo, hi).astype(src)
        want = x.astype(dst)  # two's complement wrap when narrowing
    got, ref = _run(OpType.CAST, [x], x.shape, DType.from_numpy(np.dtype(dst)))
    assert got.dtype == np.dtype(dst)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(ref, want)
