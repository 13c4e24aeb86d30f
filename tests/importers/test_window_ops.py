"""ONNX HannWindow, HammingWindow, BlackmanWindow, ConstantOfShape and Range whose size, shape
or start/limit/delta are graph inputs (converter/importers/onnx_window_ops.py): the declared
output shape fixes the length, and a ONE_HOT of the run-time size checks it at invoke.
Random sizes and values against ONNX Runtime; a size that gives another length fails invoke
with EvalError naming the node; malformed models and undeclared shapes refuse conversion."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from emberlite.converter import ModelImportError, UnsupportedOpsError

REFUSED = (ModelImportError, UnsupportedOpsError)
from emberlite.errors import EvalError
from tests.helpers import convert_onnx, run_ember
from tests.kernels.select_models import oracle

RNG = np.random.default_rng(17)
WINDOWS = ["HannWindow", "HammingWindow", "BlackmanWindow"]


def _model(node: onnx.NodeProto, inputs: dict[str, np.ndarray], out_type: int,
           out_shape: list[int] | None, opset: int = 17,
           initializers: dict[str, np.ndarray] | None = None) -> onnx.ModelProto:
    graph = helper.make_graph(
        [node], "window_ops",
        [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
         for n, v in inputs.items()],
        [helper.make_tensor_value_info("y", out_type, out_shape)],
        initializer=[numpy_helper.from_array(v, n) for n, v in (initializers or {}).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _check(model: onnx.ModelProto, inputs: list[np.ndarray], atol: float = 0.0) -> bytes:
    """Emberlite equals the oracle (ONNX Runtime) in shape, type and values; returns the
    converted model."""
    data = convert_onnx(model)
    want = oracle(model, inputs)[0]
    got = run_ember(data, inputs)[0]
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype,
                                                                  want.shape, want.dtype)
    np.testing.assert_allclose(got, want, rtol=0, atol=atol)
    return data


def _fails(data: bytes, inputs: list[np.ndarray]) -> None:
    with pytest.raises(EvalError, match=r"node \d+ \(one_hot\): the run-time depth"):
        run_ember(data, inputs)


# --- windows -----------------------------------------------------------------------------------
@pytest.mark.parametrize("size_type", [np.int32, np.int64])
@pytest.mark.parametrize("out_type", [onnx.TensorProto.FLOAT, onnx.TensorProto.INT32,
                                      onnx.TensorProto.INT64])
@pytest.mark.parametrize("periodic", [0, 1])
@pytest.mark.parametrize("kind", WINDOWS)
def test_window_runtime_size(kind: str, periodic: int, out_type: int, size_type: type) -> None:
    for n in [1, 2, int(RNG.integers(3, 64))]:
        size = np.array(n, dtype=size_type)
        node = helper.make_node(kind, ["size"], ["y"], periodic=periodic,
                                output_datatype=out_type)
        model = _model(node, {"size": size}, out_type, [n])
        if n == 1 and not periodic:
            continue  # 0 / 0: NaN in float, and undefined once cast to an integer
        data = _check(model, [size], atol=1e-6)
        _fails(data, [np.array(n + 1, dtype=size_type)])
        _fails(data, [np.array(n - 1, dtype=size_type)])
        _fails(data, [np.array(-1, dtype=size_type)])


def test_window_declared_length_zero() -> None:
    """An empty output is an empty constant (the converter folds empty outputs; nothing is left
    to check the size with)."""
    node = helper.make_node("HannWindow", ["size"], ["y"])
    data = convert_onnx(_model(node, {"size": np.array(0, np.int64)}, onnx.TensorProto.FLOAT,
                               [0]))
    got = run_ember(data, [np.array(0, np.int64)])[0]
    assert got.shape == (0,) and got.dtype == np.float32


@pytest.mark.parametrize("case,match", [
    ("float_size", "size must be one int32 or int64"),
    ("double_out", "float32, int32 and int64 are supported"),
    ("undeclared", "the output's shape is not known"),
    ("rank_2_out", "must have rank 1"),
])
def test_window_malformed(case: str, match: str) -> None:
    size = np.array(8, np.float32 if case == "float_size" else np.int64)
    out = onnx.TensorProto.DOUBLE if case == "double_out" else onnx.TensorProto.FLOAT
    shape = {"undeclared": None, "rank_2_out": [2, 4]}.get(case, [8])
    node = helper.make_node("HannWindow", ["size"], ["y"], name="win", output_datatype=out)
    model = _model(node, {"size": size}, out, shape)
    with pytest.raises(REFUSED, match=match):
        convert_onnx(model)


# --- ConstantOfShape ---------------------------------------------------------------------------
@pytest.mark.parametrize("value_type", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("dims", [(5,), (3, 4), (2, 1, 3), (4, 0), (0,), (1, 1)], ids=str)
def test_constant_of_shape_runtime_shape(dims: tuple, value_type: type) -> None:
    value = np.array([RNG.integers(-50, 50)], dtype=value_type)
    node = helper.make_node("ConstantOfShape", ["shape"], ["y"],
                            value=numpy_helper.from_array(value))
    shape = np.array(dims, np.int64)
    out = helper.np_dtype_to_tensor_dtype(np.dtype(value_type))
    model = _model(node, {"shape": shape}, out, list(dims),
                   opset=21)
    data = _check(model, [shape])
    if 0 in dims:
        return  # an empty output is a constant: no size check is left (see above)
    for axis in range(len(dims)):
        for wrong in (dims[axis] + 1, dims[axis] - 1, -1):
            bad = shape.copy()
            bad[axis] = wrong
            _fails(data, [bad])


def test_constant_of_shape_default_value_and_malformed() -> None:
    node = helper.make_node("ConstantOfShape", ["shape"], ["y"], name="cos")
    shape = np.array([2, 3], np.int64)
    _check(_model(node, {"shape": shape}, onnx.TensorProto.FLOAT, [2, 3], opset=21), [shape])
    with pytest.raises(REFUSED, match="one element per dim"):
        convert_onnx(_model(node, {"shape": shape}, onnx.TensorProto.FLOAT, [2, 3, 1],
                            opset=21))
    with pytest.raises(REFUSED, match="the output's shape is not known"):
        convert_onnx(_model(node, {"shape": shape}, onnx.TensorProto.FLOAT, None, opset=21))
    flag = helper.make_node("ConstantOfShape", ["shape"], ["y"], name="cos",
                            value=numpy_helper.from_array(np.array([True])))
    with pytest.raises(REFUSED, match="float32, int32 and int64 are supported"):
        convert_onnx(_model(flag, {"shape": shape}, onnx.TensorProto.BOOL, [2, 3], opset=21))


# --- Range -------------------------------------------------------------------------------------
def _range_args(dtype: type) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if np.issubdtype(dtype, np.integer):
        start = int(RNG.integers(-40, 40))
        delta = int(RNG.choice([-7, -3, -1, 1, 2, 5]))
        limit = start + delta * int(RNG.integers(0, 12)) + int(RNG.integers(-2, 3))
    else:
        start = float(RNG.uniform(-20, 20))
        delta = float(RNG.choice([-1, 1]) * RNG.uniform(0.3, 4))
        limit = start + delta * float(RNG.uniform(-1, 12))
    return tuple(np.array(v, dtype=dtype) for v in (start, limit, delta))


@pytest.mark.parametrize("runtime", ["start limit delta", "limit", "start", "delta"])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
def test_range_runtime_inputs(dtype: type, runtime: str) -> None:
    for _ in range(6):
        args = dict(zip(["start", "limit", "delta"], _range_args(dtype)))
        n = len(np.arange(args["start"], args["limit"], args["delta"]))
        inputs = {k: v for k, v in args.items() if k in runtime.split()}
        consts = {k: v for k, v in args.items() if k not in inputs}
        node = helper.make_node("Range", ["start", "limit", "delta"], ["y"])
        out = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        model = _model(node, inputs, out, [n], opset=11,
                       initializers=consts)
        data = _check(model, list(inputs.values()), atol=1e-4)
        if "limit" in inputs and n > 0:  # one step further gives one element more
            longer = dict(inputs, limit=np.array(args["limit"] + args["delta"] * 1.01,
                                                 dtype=dtype))
            _fails(data, list(longer.values()))


def test_range_empty_and_malformed() -> None:
    node = helper.make_node("Range", ["start", "limit", "delta"], ["y"], name="rng")
    args = {"start": np.array(5, np.int64), "limit": np.array(2, np.int64),
            "delta": np.array(1, np.int64)}
    _check(_model(node, args, onnx.TensorProto.INT64, [0], opset=11), list(args.values()))
    args["start"] = np.array(-1, np.int64)
    data = _check(_model(node, args, onnx.TensorProto.INT64, [3], opset=11), list(args.values()))
    _fails(data, [np.array(0, np.int64), np.array(2, np.int64), np.array(1, np.int64)])
    _fails(data, [np.array(-1, np.int64), np.array(2, np.int64), np.array(2, np.int64)])
    with pytest.raises(REFUSED, match="the output's shape is not known"):
        convert_onnx(_model(node, args, onnx.TensorProto.INT64, None, opset=11))
    halves = {k: v.astype(np.int16) for k, v in args.items()}
    with pytest.raises(REFUSED, match="float32, int32 and int64 are supported"):
        convert_onnx(_model(node, halves, onnx.TensorProto.INT16, [0], opset=11))


def test_runtime_size_with_dynamic_dims_is_refused() -> None:
    """A model with dynamic dims refuses a size checked at invoke (its ONE_HOT's depth)."""
    window = helper.make_node("HannWindow", ["size"], ["y"], name="win")
    relu = helper.make_node("Relu", ["x"], ["z"])
    graph = helper.make_graph(
        [window, relu], "dynamic",
        [helper.make_tensor_value_info("size", onnx.TensorProto.INT64, []),
         helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, "n"])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [8]),
         helper.make_tensor_value_info("z", onnx.TensorProto.FLOAT, [1, "n"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(REFUSED, match="run-time (operand|tensor)"):
        convert_onnx(model, input_shapes={"x": [1, (2, 8)]})
