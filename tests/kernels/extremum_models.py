"""Checks shared by MAXIMUM and MINIMUM, and by ARG_MAX and ARG_MIN (tests/kernels/test_<op>.py
and test_extremum_family.py): one IR node run by the C kernels and the reference evaluator,
compared with numpy."""
from __future__ import annotations

from typing import Callable

import numpy as np

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.arg_max import ArgParams
from tests.kernels.fixed_point import log_uniform
from tests.kernels.single_node import assert_close, run_node

# (shape of a, shape of b) of the float32 MAXIMUM and MINIMUM tests.
FLOAT_SHAPES = [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((1, 3, 1), (2, 1, 5)), ((), (3,))]
# ... and of the int8 ones.
BROADCASTS = [((2, 3, 4, 5), (2, 3, 4, 5)), ((1, 4, 4, 8), (8,)), ((3, 1, 5), (1, 4, 1)),
              ((7,), ()), ((2, 1, 3, 1), (1, 5, 1, 4))]


def random_scale_zp(rng: np.random.Generator) -> tuple[float, int]:
    """An int8 scale in [1e-3, 0.5] (log-uniform) and a zero point."""
    return float(log_uniform(rng, 1e-3, 0.5)), int(rng.integers(-128, 128))


def check_maximum_minimum_broadcast(op: OpType, fn: Callable, shapes: tuple,
                                    rng: np.random.Generator) -> None:
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    want = fn(a, b)
    assert_close(*run_node(op, [a, b], want.shape, DType.FLOAT32), want)


def check_arg_first_index_wins_ties(op: OpType, axis: int, dtype: DType,
                                    rng: np.random.Generator) -> None:
    # Few distinct values, so most slices have ties.
    x = rng.integers(-2, 3, (4, 5, 6)).astype(np.float32)
    fn = np.argmax if op == OpType.ARG_MAX else np.argmin
    want = fn(x, axis=axis).astype(dtype.numpy)
    got, ref = run_node(op, [x], want.shape, dtype, ArgParams(axis))
    assert got.dtype == dtype.numpy
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(ref, want)
