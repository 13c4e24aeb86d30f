"""Models of the data movement ops (RESHAPE, TRANSPOSE, CONCATENATION, SPLIT, SLICE, PAD,
GATHER) for their tests/kernels/test_<op>.py: float32 ONNX models checked against ONNX Runtime
(and that the expected kernel really ran), and one-node int8 graphs whose stored bytes must
move exactly as numpy moves them, with the output's scale and zero point equal to the
input's."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter.ir import Graph
from emberlite.converter.ops import OpType
from emberlite.converter.ops.pad import PadParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.errors import InvalidModelError
from tests.helpers import assert_matches_ort, convert_onnx
from tests.kernels.fixed_point import empty_graph, int8_tensor, run_graph, single_op

OPSET = 17


def onnx_model(nodes: list[onnx.NodeProto], inputs: dict[str, np.ndarray], outputs: list[str],
               consts: dict[str, np.ndarray] | None = None) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "data_movement",
        [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
         for n, a in inputs.items()],
        [helper.make_empty_tensor_value_info(n) for n in outputs],
        [numpy_helper.from_array(a, n) for n, a in (consts or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    # ONNX's own shape inference declares the outputs' types and shapes.
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def check(model: onnx.ModelProto, inputs: list[np.ndarray], kernel: str | None) -> None:
    """Matches ONNX Runtime, and (when `kernel` is given) really ran that kernel."""
    if kernel is not None:
        ops = Interpreter(model_content=convert_onnx(model)).node_ops()
        assert kernel in ops, f"expected a {kernel} node, got {ops}"
    assert_matches_ort(model, inputs)


def random_array(shape: tuple[int, ...], dtype: Any = np.float32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + sum(shape))
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def i64(values: Any) -> np.ndarray:
    return np.array(values, np.int64)


# ---- int8 ----------------------------------------------------------------------------------

SCALE, ZP = 0.037, -19
X = np.random.default_rng(0).integers(-128, 128, (2, 3, 4, 5)).astype(np.int8)

# (op, params, numpy of the move) of the one-input moves, as pytest parameters named as before.
INT8_CASES = [
    (OpType.RESHAPE, ReshapeParams(), lambda x: x.reshape(6, 20)),
    (OpType.TRANSPOSE, TransposeParams(perm=(0, 3, 1, 2)), lambda x: x.transpose(0, 3, 1, 2)),
    (OpType.SLICE, SliceParams(begin=(1, 0, 1, 2), step=(1, 2, 1, 1)),
     lambda x: x[1:2, 0:3:2, 1:4, 2:5]),
    (OpType.PAD, PadParams(pads=(0, 1, 2, 0, 0, 1, 0, 3)),
     lambda x: np.pad(x, ((0, 0), (1, 1), (2, 0), (0, 3)), constant_values=ZP)),
]


def int8_cases(op: OpType) -> list:
    """`op`'s case of "op,params,expect", with the id it has always had ("RESHAPE--")."""
    return [pytest.param(*case, id=f"{op.name}--") for case in INT8_CASES if case[0] == op]


def build(op: OpType, params: object, inputs: dict[str, np.ndarray], out_shape) -> Graph:
    g = empty_graph()
    for name, value in inputs.items():
        int8_tensor(g, name, value.shape, SCALE, ZP)
    int8_tensor(g, "out", out_shape, SCALE, ZP)
    return single_op(op, list(inputs), params, g)


def check_moves_int8(op: OpType, params: object, expect) -> None:
    want = expect(X)
    got = run_graph(build(op, params, {"x": X}, want.shape), [X])[0]
    assert got.dtype == np.int8 and np.array_equal(got, want)


def check_rejects_requantizing_move(op: OpType, params: object, expect) -> None:
    g = build(op, params, {"x": X}, expect(X).shape)
    g.tensors["out"].quant = replace(g.tensors["out"].quant, zero_point=(ZP + 1,))
    with pytest.raises(InvalidModelError, match="same scale and zero point"):
        run_graph(g, [X])
