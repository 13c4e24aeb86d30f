"""Run-time shape-like operands (converter/ops/operands.py, csrc/kernels/operand.h): ONNX
Reshape, Squeeze, Unsqueeze, Trilu, TopK, OneHot, CumSum, Split, Slice and Pad whose shape,
axes, k, depth, sizes, starts or pads are graph inputs, with the output shapes the model
declares. Random values against ONNX Runtime; values that give other shapes (or are out of
range) fail invoke with EvalError naming the node; no declared shape, or dynamic dims,
refuse conversion. The ops: RESHAPE, TOP_K, ONE_HOT, CUM_SUM, SPLIT, SLICE and PAD."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.one_hot import OneHotParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.ops.top_k import TopKParams
from emberlite.errors import EvalError, InvalidModelError
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.kernels.select_models import ONNX_TYPES, oracle, run_ir


def _model(op: str, inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray],
           opset: int = 18, declare: bool = True, **attrs) -> onnx.ModelProto:
    """One `op` node reading every entry of `inputs` as a graph input; `outputs` give each
    output's type and (when `declare`) its shape."""
    node = helper.make_node(op, list(inputs), list(outputs), name="under_test", **attrs)
    graph = helper.make_graph(
        [node], "operands",
        [helper.make_tensor_value_info(n, ONNX_TYPES[v.dtype], v.shape)
         for n, v in inputs.items()],
        [helper.make_tensor_value_info(n, ONNX_TYPES[v.dtype], v.shape if declare else None)
         for n, v in outputs.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _check(op: str, inputs: dict[str, np.ndarray], types: list[type] | None = None,
           opset: int = 18, **attrs) -> bytes:
    """Emberlite equals ONNX Runtime (its reference evaluator where ONNX Runtime has no kernel)
    exactly, on a model whose outputs (of `types`, default one of the first input's type)
    declare the shapes ONNX Runtime gives; returns the converted model."""
    types = types or [next(iter(inputs.values())).dtype.type]
    names = [f"y{i}" for i in range(len(types))]
    probe = _model(op, inputs, {n: np.zeros(0, t) for n, t in zip(names, types)}, opset,
                   declare=False, **attrs)
    want = oracle(probe, list(inputs.values()))
    model = _model(op, inputs, dict(zip(names, want)), opset, **attrs)
    data = convert_onnx(model)
    got = run_ember(data, list(inputs.values()))
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    return data


def _fails(data: bytes, inputs: list[np.ndarray], what: str) -> None:
    """Invoking with these operand values fails with EvalError naming the node and `what`."""
    with pytest.raises(EvalError, match=rf"node \d+ \({what}\)"):
        run_ember(data, inputs)


RNG = np.random.default_rng(13)


def _x(shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    return (RNG.standard_normal(shape) * 10).astype(dtype)


# --- Reshape, Squeeze, Unsqueeze ----------------------------------------------------------
RESHAPES = [((2, 3, 4), [4, 6]), ((2, 3, 4), [-1]), ((2, 3, 4), [0, -1]),
            ((2, 3, 4), [0, 0, 2, 2]), ((6,), [1, 2, 1, 3]), ((2, 3, 4), [4, -1, 2]),
            ((1, 5), [5])]


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("shape,target", RESHAPES, ids=str)
def test_reshape_runtime_shape(shape: tuple, target: list, dtype: type) -> None:
    x = _x(shape, dtype)
    data = _check("Reshape", {"x": x, "shape": np.array(target, np.int64)})
    out = np.reshape(x, [s if t == 0 else t for s, t in zip(shape + (0,) * 8, target)])
    if len(set(out.shape)) > 1:  # the same elements under another shape: not the stored one
        _fails(data, [x, np.array(out.shape[::-1], np.int64)], "reshape")
    if len(target) > 1:  # two dims to infer
        _fails(data, [x, np.array([-1] * len(target), np.int64)], "reshape")
    _fails(data, [x, np.array([7] * len(target), np.int64)], "reshape")
    _fails(data, [x, np.array([-3] * len(target), np.int64)], "reshape")


def test_reshape_allowzero_with_runtime_shape_is_refused() -> None:
    x = _x((2, 3))
    model = _model("Reshape", {"x": x, "shape": np.array([3, 2], np.int64)},
                   {"y": np.zeros((3, 2), np.float32)}, allowzero=1)
    with pytest.raises(UnsupportedOpsError, match="allowzero"):
        convert_onnx(model)


def test_undeclared_output_shape_is_refused() -> None:
    x = _x((2, 3))
    model = _model("Reshape", {"x": x, "shape": np.array([3, 2], np.int64)},
                   {"y": np.zeros((3, 2), np.float32)}, declare=False)
    with pytest.raises(UnsupportedOpsError, match="run-time tensor.*declare the output"):
        convert_onnx(model)


@pytest.mark.parametrize("shape,axes", [((1, 3, 1, 4), [0]), ((1, 3, 1, 4), [0, 2]),
                                        ((1, 3, 1, 4), [-2]), ((5, 1), [1])], ids=str)
def test_squeeze_runtime_axes(shape: tuple, axes: list) -> None:
    x = _x(shape)
    data = _check("Squeeze", {"x": x, "axes": np.array(axes, np.int64)})
    ones = [i for i, d in enumerate(shape) if d == 1]
    wrong = [a for a in ones if a % len(shape) not in [b % len(shape) for b in axes]]
    if wrong:
        _fails(data, [x, np.array(wrong[:1] * len(axes), np.int64)], "reshape")
    _fails(data, [x, np.array([len(shape)] * len(axes), np.int64)], "reshape")  # out of range
    big = next(i for i, d in enumerate(shape) if d != 1)
    _fails(data, [x, np.array([big] * len(axes), np.int64)], "reshape")  # its dim is not 1


@pytest.mark.parametrize("shape,axes", [((3, 4), [0]), ((3, 4), [1, 0]), ((3, 4), [-1]),
                                        ((2,), [0, 2, 3]), ((3, 4), [1, 3])], ids=str)
def test_unsqueeze_runtime_axes(shape: tuple, axes: list) -> None:
    x = _x(shape)
    data = _check("Unsqueeze", {"x": x, "axes": np.array(axes, np.int64)})
    rank = len(shape) + len(axes)
    _fails(data, [x, np.array([rank] * len(axes), np.int64)], "reshape")  # out of range
    if len(axes) > 1:
        _fails(data, [x, np.array([0] * len(axes), np.int64)], "reshape")  # repeated
    moved = sorted((a + 1) % rank for a in axes)
    if sorted(a % rank for a in axes) != moved and 3 not in shape[:1]:
        _fails(data, [x, np.array(moved, np.int64)], "reshape")


# --- Trilu ----------------------------------------------------------------------------------
@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 3), (1, 6, 2)], ids=str)
def test_trilu_runtime_k(shape: tuple, upper: int) -> None:
    x = _x(shape, np.int64)
    data = None
    for k in (-7, -1, 0, 2, 9):
        inputs = {"x": x, "k": np.array(k, np.int64)}
        if data is None:
            data = _check("Trilu", inputs, opset=14, upper=upper)
        got = run_ember(data, list(inputs.values()))[0]
        want = np.triu(x, k) if upper else np.tril(x, k)
        np.testing.assert_array_equal(got, want)


def test_runtime_operand_with_dynamic_dims_is_refused() -> None:
    x = _x((1, 4, 3))
    model = _model("Reshape", {"x": x, "shape": np.array([0, -1], np.int64)},
                   {"y": np.zeros((1, 12), np.float32)})
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "n"
    model.graph.output[0].type.tensor_type.shape.dim[1].dim_param = "m"
    with pytest.raises((ModelImportError, UnsupportedOpsError),
                       match="run-time (operand|tensor)"):
        convert_onnx(model, input_shapes={"x": [1, (2, 8), 3]})


# --- TopK, OneHot --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("shape,axis", [((7,), 0), ((3, 5), 1), ((2, 6, 3), -2)], ids=str)
def test_top_k_runtime_k(shape: tuple, axis: int, dtype: type) -> None:
    x = _x(shape, dtype)
    n = shape[axis]
    for k in sorted({1, n // 2 + 1, n}):
        inputs = {"x": x, "k": np.array([k], np.int64)}
        data = _check("TopK", inputs, [dtype, np.int64], axis=axis, largest=k % 2)
        for wrong in {k - 1, k + 1, n + 5, -1} - {k}:
            _fails(data, [x, np.array([wrong], np.int64)], "top_k")


@pytest.mark.parametrize("depth_type", [np.int64, np.int32, np.float32])
@pytest.mark.parametrize("values_type", [np.float32, np.int64])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot_runtime_depth_and_values(axis: int, values_type: type,
                                          depth_type: type) -> None:
    indices = RNG.integers(-6, 6, (3, 4)).astype(np.int64)
    depth = 5
    values = np.array([RNG.integers(-9, 0), RNG.integers(1, 9)], values_type)
    inputs = {"indices": indices, "depth": np.array(depth, depth_type), "values": values}
    data = _check("OneHot", inputs, [values_type], opset=11, axis=axis)
    got = run_ember(data, [indices, inputs["depth"], values[::-1].copy()])[0]
    assert set(np.unique(got)) <= set(values.tolist())  # run-time values are read
    for wrong in (depth - 1, depth + 1, 0):
        _fails(data, [indices, np.array(wrong, depth_type), values], "one_hot")


# --- Split, CumSum --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
@pytest.mark.parametrize("shape,axis,sizes", [((7,), 0, [2, 5]), ((3, 6), 1, [1, 2, 3]),
                                              ((4, 2, 3), -3, [4]), ((2, 5), 1, [0, 5])], ids=str)
def test_split_runtime_sizes(shape: tuple, axis: int, sizes: list, dtype: type) -> None:
    x = _x(shape).astype(dtype)
    inputs = {"x": x, "split": np.array(sizes, np.int64)}
    data = _check("Split", inputs, [dtype] * len(sizes), opset=13, axis=axis)
    if len(sizes) > 1:
        _fails(data, [x, np.array(sizes[::-1], np.int64)], "split")
    _fails(data, [x, np.array([sizes[0] + 1] + sizes[1:], np.int64)], "split")


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_cum_sum_runtime_axis(exclusive: int, reverse: int, dtype: type) -> None:
    x = _x((2, 3, 4), dtype)
    data = None
    for axis in range(-3, 3):
        inputs = {"x": x, "axis": np.array(axis, np.int64)}
        if data is None:
            data = _check("CumSum", inputs, opset=14, exclusive=exclusive, reverse=reverse)
        got = run_ember(data, list(inputs.values()))[0]
        want = oracle(_model("CumSum", inputs, {"y": x}, 14, exclusive=exclusive,
                             reverse=reverse), list(inputs.values()))[0]
        np.testing.assert_allclose(got, want, rtol=1e-6)
    for wrong in (3, -4, 99):
        _fails(data, [x, np.array(wrong, np.int64)], "cum_sum")


def test_cum_sum_runtime_axis_with_dynamic_dims_is_refused() -> None:
    x = _x((1, 4, 3))
    model = _model("CumSum", {"x": x, "axis": np.array(1, np.int64)}, {"y": x}, 14)
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "n"
    model.graph.output[0].type.tensor_type.shape.dim[1].dim_param = "n"
    with pytest.raises(ModelImportError, match=r"\(cum_sum\).*run-time operand.*fixed shapes"):
        convert_onnx(model, input_shapes={"x": [1, (2, 8), 3]})


# --- Slice -----------------------------------------------------------------------------------
BIG = np.iinfo(np.int64).max


def _slice_args(shape: tuple, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random ONNX starts, ends, axes and steps over some axes of `shape` (negative, out of
    range and huge values included)."""
    n = int(rng.integers(1, len(shape) + 1))
    axes = rng.permutation(len(shape))[:n]
    axes = np.where(rng.random(n) < 0.5, axes - len(shape), axes)
    steps = rng.choice([-3, -2, -1, 1, 1, 2, 3, BIG], n)
    forward = steps > 0  # mostly starts before ends in the step's direction: few empties
    starts = np.where(forward, rng.choice([-BIG - 1, -9, -3, 0, 1, 2], n),
                      rng.choice([BIG, 9, -1, 3, 1], n))
    ends = np.where(forward, rng.choice([BIG, 9, -1, 3, 4], n),
                    rng.choice([-BIG - 1, -9, -4, 0, 1], n))
    return {"starts": starts.astype(np.int64), "ends": ends.astype(np.int64),
            "axes": axes.astype(np.int64), "steps": steps.astype(np.int64)}


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
@pytest.mark.parametrize("seed", range(16))
def test_slice_runtime_starts_ends_axes_steps(seed: int, dtype: type) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(1, 6, int(rng.integers(1, 5))))
    x = _x(shape).astype(dtype)
    args = _slice_args(shape, rng)
    if seed % 3 == 0:
        del args["steps"]
    if seed % 4 == 0:
        args = {k: args[k] for k in ("starts", "ends")}
        args = {k: v[:len(shape)] for k, v in args.items()}
    data = _check("Slice", {"x": x, **args}, opset=13)
    want = run_ort(_model("Slice", {"x": x, **args}, {"y": x}, 13, declare=False),
                   [x, *args.values()])[0]
    bigger = {k: v.copy() for k, v in args.items()}
    bigger["ends"] = np.where(bigger["starts"] >= 0, bigger["starts"] + 1, bigger["ends"])
    other = run_ort(_model("Slice", {"x": x, **bigger}, {"y": x}, 13, declare=False),
                    [x, *bigger.values()])[0]
    if other.shape != want.shape and want.size:  # the same node, other values: another shape
        _fails(data, [x, *bigger.values()], "slice")
    if not want.size:
        return  # the runtime skips a node whose output is empty
    if "axes" in args:
        _fails(data, [x, *(np.full_like(v, len(shape)) if k == "axes" else v
                           for k, v in args.items())], "slice")  # axis out of range
    if "steps" in args:
        _fails(data, [x, *(np.zeros_like(v) if k == "steps" else v
                           for k, v in args.items())], "slice")  # step 0


# --- Pad -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("seed", range(6))
def test_pad_runtime_pads_value_axes(seed: int, mode: str, dtype: type) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(d) for d in rng.integers(2, 6, int(rng.integers(1, 4))))
    x = _x(shape, dtype)
    n = int(rng.integers(1, len(shape) + 1))
    axes = rng.permutation(len(shape))[:n] - len(shape) * (seed % 2)
    low = -1 if mode == "constant" else 0  # negative pads crop
    pads = rng.integers(low, 2, 2 * n).astype(np.int64)
    inputs = {"x": x, "pads": pads}
    if mode == "constant":
        inputs["constant_value"] = np.array(rng.integers(-9, 9), dtype)
    if seed % 3:
        inputs.setdefault("constant_value", np.array(0, dtype))
        inputs["axes"] = axes.astype(np.int64)
    elif n < len(shape):  # no axes: every axis
        inputs["pads"] = pads = rng.integers(low, 2, 2 * len(shape)).astype(np.int64)
    data = _check("Pad", inputs, opset=18, mode=mode)
    if mode == "constant":  # the run-time constant is read
        other = dict(inputs, constant_value=np.array(7, dtype))
        got = run_ember(data, list(other.values()))[0]
        np.testing.assert_array_equal(got, oracle(_model("Pad", other, {"y": got}, 18,
                                                         mode=mode), list(other.values()))[0])
    moved = np.roll(pads, 1)
    if not np.array_equal(moved[:len(moved) // 2] + moved[len(moved) // 2:],
                          pads[:len(pads) // 2] + pads[len(pads) // 2:]):
        _fails(data, [*(moved if k == "pads" else v for k, v in inputs.items())], "pad")
    _fails(data, [*(pads + 1 if k == "pads" else v for k, v in inputs.items())], "pad")
    if "axes" in inputs:
        _fails(data, [*(np.full_like(v, 7) if k == "axes" else v for k, v in inputs.items())],
               "pad")


# --- the C checks of a file the converter would not write --------------------------------
X = np.zeros((2, 3), np.float32)
F32 = DType.FLOAT32


@pytest.mark.parametrize("op,inputs,outputs,params,message", [
    (OpType.RESHAPE, [X, np.array([3, 2], np.float32)], [((3, 2), F32)], ReshapeParams(),
     "shape must be INT32 or INT64"),
    (OpType.RESHAPE, [X, np.array([[3, 2]], np.int64)], [((3, 2), F32)], ReshapeParams(),
     "shape must be a scalar or a vector"),
    (OpType.RESHAPE, [X, np.array([3, 2], np.int64), np.array([0], np.int64)],
     [((3, 2), F32)], ReshapeParams(), "2 run-time operands"),
    (OpType.TOP_K, [X, np.array([2.0], np.float32)], [((2, 2), F32), ((2, 2), DType.INT64)],
     TopKParams(1), "k must be INT32 or INT64"),
    (OpType.TOP_K, [X, np.array([2, 2], np.int64)], [((2, 2), F32), ((2, 2), DType.INT64)],
     TopKParams(1), "k must be a scalar or a vector of at most 1"),
    (OpType.ONE_HOT, [np.zeros(3, np.int64), np.zeros(2, np.float32), np.array(4.0, np.float32)],
     [((3, 4), F32)], OneHotParams(1), "depth must be INT32 or INT64"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_c_check_refuses_malformed_operands(op: OpType, inputs: list, outputs: list,
                                            params: object, message: str) -> None:
    with pytest.raises(InvalidModelError, match=rf"node 0 \({op.name.lower()}\): {message}"):
        run_ir(op, inputs, outputs, params)
