"""MAX_POOL2D and AVERAGE_POOL2D int8 in one hypothesis test (the op is drawn with the rest of
the example) against the numpy model of LiteRT's reference kernels in pool2d_models.py
(stored values, padding excluded, the average rounded half away from zero, activation
clamp): bit-exact. Each op's other tests are in test_max_pool2d.py and
test_average_pool2d.py."""
from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.pool2d import Pool2DParams
from tests.kernels.fixed_point import activation_range, log_uniform, run_graph
from tests.kernels.pool2d_models import average_reference, max_reference, pool_graph, windows


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), op=st.sampled_from([OpType.MAX_POOL2D,
                                                           OpType.AVERAGE_POOL2D]),
       k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       pads=st.tuples(*[st.integers(0, 2)] * 4),
       hw=st.tuples(st.integers(3, 10), st.integers(3, 10)), channels=st.integers(1, 6),
       act=st.integers(0, 3))
def test_pool2d_i8(seed, op, k, stride, dilation, pads, hw, channels, act) -> None:
    rng = np.random.default_rng(seed)
    t, l, b, r = pads
    # Padding narrower than the window, so every window holds an in-image tap (as with SAME).
    assume(t < k[0] and b < k[0] and l < k[1] and r < k[1])
    assume((k[0] - 1) * dilation[0] < hw[0] + t + b and (k[1] - 1) * dilation[1] < hw[1] + l + r)
    p = Pool2DParams(filter_h=k[0], filter_w=k[1], stride_h=stride[0], stride_w=stride[1],
                     dilation_h=dilation[0], dilation_w=dilation[1], pad_top=t, pad_left=l,
                     pad_bottom=b, pad_right=r, activation=FusedActivation(act))
    scale = float(log_uniform(rng, 1e-3, 0.1))
    zp = int(rng.integers(-128, 128))
    x = rng.integers(-128, 128, (int(rng.integers(1, 3)),) + hw + (channels,)).astype(np.int8)
    lo, hi = activation_range(act, scale, zp)
    ref = max_reference if op == OpType.MAX_POOL2D else average_reference
    want = ref(x, p, lo, hi)
    _, inside = windows(x, p)
    assume(inside.any(axis=3).all())  # dilation can still step over a small input
    got = run_graph(pool_graph(op, x, p, scale, zp, want.shape), [x])[0]
    assert np.array_equal(got, want)
