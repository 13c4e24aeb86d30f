"""int8 tests that draw MAXIMUM or MINIMUM, and ARG_MAX or ARG_MIN, from a hypothesis strategy,
so they cannot be split by op without changing them (tests/README.md lists this family):
MAXIMUM and MINIMUM compare the stored values (inputs and output share one quantization), and
ARG_MAX and ARG_MIN return the first index of the extreme value. Everything else about each
op is in its tests/kernels/test_<op>.py."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ir import DType, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.ops.arg_max import ArgParams
from tests.kernels.extremum_models import BROADCASTS, random_scale_zp
from tests.kernels.fixed_point import empty_graph, int8_tensor, run_graph, single_op


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shapes=st.sampled_from(BROADCASTS),
       op=st.sampled_from([OpType.MAXIMUM, OpType.MINIMUM]))
def test_maximum_minimum_i8_compare_stored_values(seed: int, shapes, op: OpType) -> None:
    rng = np.random.default_rng(seed)
    s, zp = random_scale_zp(rng)
    a = rng.integers(-128, 128, shapes[0]).astype(np.int8)
    b = rng.integers(-128, 128, shapes[1]).astype(np.int8)
    g = empty_graph()
    int8_tensor(g, "a", a.shape, s, zp)
    int8_tensor(g, "b", b.shape, s, zp)
    int8_tensor(g, "out", np.broadcast_shapes(a.shape, b.shape), s, zp)
    got = run_graph(single_op(op, ["a", "b"], None, g), [a, b])[0]
    want = (np.maximum if op == OpType.MAXIMUM else np.minimum)(a, b)
    assert np.array_equal(got, want)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), axis=st.integers(0, 2),
       op=st.sampled_from([OpType.ARG_MAX, OpType.ARG_MIN]),
       dtype=st.sampled_from([DType.INT32, DType.INT64]))
def test_arg_i8_first_index_wins(seed: int, axis: int, op: OpType, dtype: DType) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 3, (3, 4, 5)).astype(np.int8)  # many ties
    fn = np.argmax if op == OpType.ARG_MAX else np.argmin
    want = fn(x, axis=axis).astype(dtype.numpy)
    g = empty_graph()
    int8_tensor(g, "x", x.shape, *random_scale_zp(rng))
    g.tensors["out"] = Tensor("out", dtype, want.shape)
    got = run_graph(single_op(op, ["x"], ArgParams(axis), g), [x])[0]
    assert got.dtype == want.dtype and np.array_equal(got, want)
