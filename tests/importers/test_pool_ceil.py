"""ONNX AveragePool with ceil_mode=1 and count_include_pad=1 whose last window runs past the
padding (converter/importers/onnx_nn_ops.py): the padding counts, the cells past it do not.
1-D, 2-D and 3-D windows of random shapes, pads, strides and dilations against ONNX Runtime
(with count_include_pad=0 and MaxPool alongside, the same windows)."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from tests.helpers import convert_onnx, run_ember, run_ort

RNG = np.random.default_rng(23)


def _window(rank: int) -> dict:
    """Random attributes of a `rank`-D window, its last window often past the padding."""
    kernel = [int(RNG.integers(1, 4)) for _ in range(rank)]
    pads = [int(RNG.integers(0, k)) for k in kernel] + [int(RNG.integers(0, k)) for k in kernel]
    return {"kernel_shape": kernel, "pads": pads,
            "strides": [int(RNG.integers(1, 4)) for _ in range(rank)],
            "dilations": [int(RNG.integers(1, 3)) for _ in range(rank)]}


@pytest.mark.parametrize("op,count_include_pad", [("AveragePool", 1), ("AveragePool", 0),
                                                  ("MaxPool", None)])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_pool_ceil_mode_past_padding(rank: int, op: str, count_include_pad: int | None) -> None:
    for _ in range(8):
        attrs = _window(rank)
        if count_include_pad is not None:
            attrs["count_include_pad"] = count_include_pad
        span = [(k - 1) * d + 1 for k, d in zip(attrs["kernel_shape"], attrs["dilations"])]
        dims = [int(RNG.integers(s, s + 6)) for s in span]
        shape = [int(RNG.integers(1, 3)), int(RNG.integers(1, 4)), *dims]
        node = helper.make_node(op, ["x"], ["y"], ceil_mode=1, **attrs)
        graph = helper.make_graph([node], "pool",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
        x = RNG.standard_normal(shape).astype(np.float32)
        want = run_ort(model, [x])[0]
        got = run_ember(convert_onnx(model), [x])[0]
        assert got.shape == want.shape, (attrs, shape)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=str((attrs, shape)))
