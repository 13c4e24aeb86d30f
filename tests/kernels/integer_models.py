"""Plain-integer test models shared by test_integer_types_family.py and
test_bitwise_family.py: every integer width, broadcast shape pairs, one-node ONNX models,
operands across each type's whole range and the exact check against the oracle."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from tests.helpers import convert_onnx, run_ember
from tests.kernels.select_models import oracle

TYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]
SHAPES = [((7,), (7,)), ((3, 5), (5,)), ((2, 3, 4), (2, 1, 4)), ((2, 1, 3, 5), (4, 1, 1)),
          ((1,), (2, 3, 1, 2))]


def model(op: str, inputs: dict[str, np.ndarray], out_type: type, opset: int = 14,
          name: str = "n", **attrs) -> onnx.ModelProto:
    node = helper.make_node(op, list(inputs), ["y"], name=name, **attrs)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
         for n, v in inputs.items()],
        [helper.make_tensor_value_info("y", helper.np_dtype_to_tensor_dtype(np.dtype(out_type)),
                                       None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def operands(dtype: type, shapes: tuple, seed: int, divisor: bool = False
             ) -> tuple[np.ndarray, np.ndarray]:
    """Values across the type's whole range; a divisor is never 0 or -1 (ONNX Runtime traps
    on INT_MIN / -1; both edges have their own test)."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, shapes[0], dtype=dtype, endpoint=True)
    b = rng.integers(info.min, info.max, shapes[1], dtype=dtype, endpoint=True)
    if divisor:
        small = rng.integers(1, 20, shapes[1]).astype(dtype)
        b = np.where(rng.random(shapes[1]) < 0.5, small, b)
        b = np.where((b == 0) | (b == np.array(-1).astype(dtype)), 3, b).astype(dtype)
    return a, b


def check(m: onnx.ModelProto, inputs: list[np.ndarray]) -> None:
    got = run_ember(convert_onnx(m), inputs)
    want = oracle(m, inputs)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        np.testing.assert_array_equal(g, w)
