"""Data movement kernels against ONNX Runtime: RESHAPE (Reshape, Flatten, Squeeze, Unsqueeze),
TRANSPOSE, CONCATENATION, SPLIT, SLICE (negative steps, clamped ends), PAD (constant, reflect,
edge, negative pads) and GATHER (constant and runtime indices, negative and out-of-range
indices), on float32 and on 1-, 2- and 8-byte integer types."""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.pad import PadMode, PadParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from emberlite.errors import EvalError
from tests.converter.ir_builder import GraphBuilder
from tests.helpers import assert_matches_ort, convert_onnx, run_ember

OPSET = 17


def _model(nodes: list[onnx.NodeProto], inputs: dict[str, np.ndarray], outputs: list[str],
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


def _check(model: onnx.ModelProto, inputs: list[np.ndarray], kernel: str | None) -> None:
    """Matches ONNX Runtime, and (when `kernel` is given) really ran that kernel."""
    if kernel is not None:
        ops = Interpreter(model_content=convert_onnx(model)).node_ops()
        assert kernel in ops, f"expected a {kernel} node, got {ops}"
    assert_matches_ort(model, inputs)


def _random(shape: tuple[int, ...], dtype: Any = np.float32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + sum(shape))
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def _i64(values: Any) -> np.ndarray:
    return np.array(values, np.int64)


# ---- reshape ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,target", [
    ((2, 3, 4), (6, 4)), ((2, 3, 4), (-1,)), ((2, 3, 4), (0, -1)), ((1, 12), (3, 1, 4)),
    ((5,), (1, 5, 1)), ((2, 3, 4, 5), (2, 60)),
], ids=str)
def test_reshape(shape: tuple[int, ...], target: tuple[int, ...]) -> None:
    x = _random(shape)
    model = _model([helper.make_node("Reshape", ["x", "s"], ["y"])], {"x": x}, ["y"],
                   {"s": _i64(target)})
    _check(model, [x], "reshape")


@pytest.mark.parametrize("shape,axis", [
    ((2, 3, 4, 5), 0), ((2, 3, 4, 5), 1), ((2, 3, 4, 5), 2), ((2, 3, 4, 5), -1), ((3, 1), 1),
], ids=str)
def test_flatten(shape: tuple[int, ...], axis: int) -> None:
    x = _random(shape)
    model = _model([helper.make_node("Flatten", ["x"], ["y"], axis=axis)], {"x": x}, ["y"])
    _check(model, [x], None)


@pytest.mark.parametrize("shape,axes", [((1, 3, 1, 4), [0, 2]), ((1, 3, 1, 4), None),
                                        ((5, 1), [-1])], ids=str)
def test_squeeze(shape: tuple[int, ...], axes: list[int] | None) -> None:
    x = _random(shape)
    inputs, consts = ["x"], {}
    if axes is not None:
        inputs, consts = ["x", "a"], {"a": _i64(axes)}
    model = _model([helper.make_node("Squeeze", inputs, ["y"])], {"x": x}, ["y"], consts)
    _check(model, [x], "reshape")


@pytest.mark.parametrize("shape,axes", [((3, 4), [0, 3]), ((3, 4), [-1]), ((7,), [0])],
                         ids=str)
def test_unsqueeze(shape: tuple[int, ...], axes: list[int]) -> None:
    x = _random(shape)
    model = _model([helper.make_node("Unsqueeze", ["x", "a"], ["y"])], {"x": x}, ["y"],
                   {"a": _i64(axes)})
    _check(model, [x], "reshape")


# ---- transpose ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape,perm", [
    ((3, 4), None), ((2, 3), (0, 1)), ((2, 3, 4), (0, 2, 1)), ((2, 3, 4), (2, 0, 1)),
    ((2, 3, 4), (1, 2, 0)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((2, 3, 4, 5), (0, 3, 1, 2)),
    ((2, 3, 4, 5), (3, 2, 1, 0)), ((1, 3, 1, 5), (2, 0, 3, 1)), ((2, 3, 4, 5, 6), (4, 0, 2, 1, 3)),
    ((1, 3, 64, 64), (0, 2, 3, 1)),
], ids=str)
def test_transpose(shape: tuple[int, ...], perm: tuple[int, ...] | None) -> None:
    x = _random(shape)
    attrs = {} if perm is None else {"perm": list(perm)}
    model = _model([helper.make_node("Transpose", ["x"], ["y"], **attrs)], {"x": x}, ["y"])
    # A 4D transpose may be absorbed by the NHWC layout pass, so only check the result there.
    _check(model, [x], "transpose" if len(shape) != 4 and perm != (0, 1) else None)


# ---- concatenation ------------------------------------------------------------------------

@pytest.mark.parametrize("shapes,axis", [
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 5)], 1), ([(2, 3, 4), (2, 3, 4)], -1),
    ([(1, 2, 3, 4), (1, 5, 3, 4), (1, 1, 3, 4)], 1), ([(2, 3, 4, 5), (2, 3, 4, 5)], 0),
    ([(2, 3, 4, 5), (2, 3, 1, 5)], 2), ([(3,), (1,), (5,)], 0), ([(4, 2)], 1),
], ids=str)
def test_concat(shapes: list[tuple[int, ...]], axis: int) -> None:
    xs = {f"x{i}": _random(s, seed=i) for i, s in enumerate(shapes)}
    model = _model([helper.make_node("Concat", list(xs), ["y"], axis=axis)], xs, ["y"])
    _check(model, list(xs.values()), "concatenation" if len(shapes) > 1 else None)


def test_concat_with_constant() -> None:
    x = _random((2, 3))
    c = _random((2, 2), seed=5)
    model = _model([helper.make_node("Concat", ["x", "c", "x"], ["y"], axis=1)], {"x": x},
                   ["y"], {"c": c})
    _check(model, [x], "concatenation")


# ---- split --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,axis,sizes,outputs", [
    ((6, 4), 0, None, 3), ((2, 7, 3), 1, [2, 4, 1], 3), ((2, 3, 8), -1, [3, 5], 2),
    ((1, 6, 4, 4), 1, [2, 2, 2], 3), ((4, 5), 1, [1, 4], 2), ((3, 2), 0, [1, 1, 1], 3),
], ids=str)
def test_split(shape: tuple[int, ...], axis: int, sizes: list[int] | None,
               outputs: int) -> None:
    x = _random(shape)
    names = [f"y{i}" for i in range(outputs)]
    inputs, consts = ["x"], {}
    if sizes is not None:
        inputs, consts = ["x", "s"], {"s": _i64(sizes)}
    model = _model([helper.make_node("Split", inputs, names, axis=axis)], {"x": x}, names,
                   consts)
    _check(model, [x], "split")


# ---- slice --------------------------------------------------------------------------------

BIG = np.iinfo(np.int64).max


@pytest.mark.parametrize("shape,starts,ends,axes,steps", [
    ((10,), [2], [8], None, None),
    ((10,), [8], [2], [0], [-1]),
    ((10,), [9], [-100], [0], [-2]),
    ((10,), [-3], [BIG], None, None),
    ((5, 6), [1, 0], [4, 6], [0, 1], [1, 2]),
    ((5, 6), [0], [100], [1], [3]),
    ((4, 5, 6), [-3], [1000], [-1], [1]),
    ((4, 5, 6), [3, 4], [0, 0], [0, 2], [-1, -2]),
    ((2, 3, 4, 5), [0, 1], [2, 3], [1, 3], [1, 1]),
    ((2, 3, 4, 5), [-1], [-BIG], [3], [-1]),
    ((3, 8), [1], [2], [0], None),
    ((2, 3, 7), [0, 6], [2, -BIG], [0, 2], [1, -3]),
], ids=str)
def test_slice(shape: tuple[int, ...], starts: list[int], ends: list[int],
               axes: list[int] | None, steps: list[int] | None) -> None:
    x = _random(shape)
    consts = {"starts": _i64(starts), "ends": _i64(ends)}
    if axes is not None:
        consts["axes"] = _i64(axes)
    if steps is not None:
        consts["steps"] = _i64(steps)
    model = _model([helper.make_node("Slice", ["x", *consts], ["y"])], {"x": x}, ["y"], consts)
    _check(model, [x], "slice")


# ---- pad ----------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,pads,mode,value", [
    ((3, 4), [1, 2, 0, 1], "constant", 1.5),
    ((2, 3, 4), [0, 1, 1, 0, 2, 1], "constant", 0.0),
    ((1, 2, 5, 6), [0, 0, 1, 2, 0, 0, 2, 1], "constant", -2.0),
    ((1, 2, 5, 6), [0, 0, 1, 2, 0, 0, 2, 1], "reflect", None),
    ((3, 5), [2, 4, 1, 3], "reflect", None),
    ((4,), [3, 1], "reflect", None),
    ((3, 5), [2, 3, 2, 3], "edge", None),
    ((1, 2, 5, 6), [0, 0, 3, 3, 0, 0, 3, 3], "edge", None),
    ((4,), [2, 3], "edge", None),
    ((2, 1, 3), [1, 0, 0, 0, 2, 1], "edge", None),
], ids=str)
def test_pad(shape: tuple[int, ...], pads: list[int], mode: str, value: float | None) -> None:
    x = _random(shape)
    consts = {"pads": _i64(pads)}
    if value is not None:
        consts["value"] = np.array(value, np.float32)
    model = _model([helper.make_node("Pad", ["x", *consts], ["y"], mode=mode)], {"x": x},
                   ["y"], consts)
    _check(model, [x], "pad")


def test_negative_pads_crop() -> None:
    x = _random((4, 6))
    consts = {"pads": _i64([-1, 2, 1, -3])}
    model = _model([helper.make_node("Pad", ["x", "pads"], ["y"])], {"x": x}, ["y"], consts)
    _check(model, [x], None)


# ---- gather -------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,axis,indices", [
    ((5, 4), 0, [[0, 4], [2, -1]]),
    ((5, 4), 1, [3, -4, 0]),
    ((2, 5, 4), 1, 2),
    ((2, 5, 4), -1, [[1], [3]]),
    ((3, 4, 5, 6), 2, [4, 0, -5]),
    ((7,), 0, [6, 0, -7, 3]),
], ids=str)
@pytest.mark.parametrize("index_type", [np.int64, np.int32], ids=["i64", "i32"])
def test_gather_constant_indices(shape: tuple[int, ...], axis: int, indices: Any,
                                 index_type: type) -> None:
    x = _random(shape)
    model = _model([helper.make_node("Gather", ["x", "i"], ["y"], axis=axis)], {"x": x}, ["y"],
                   {"i": np.array(indices, index_type)})
    _check(model, [x], "gather")


def _embedding(index_type: type, indices_shape: tuple[int, ...]) -> onnx.ModelProto:
    table = _random((10, 8), seed=3)
    i = np.zeros(indices_shape, index_type)
    return _model([helper.make_node("Gather", ["table", "i"], ["y"], axis=0)], {"i": i}, ["y"],
                  {"table": table})


@pytest.mark.parametrize("index_type", [np.int64, np.int32], ids=["i64", "i32"])
def test_gather_runtime_indices(index_type: type) -> None:
    """An embedding lookup: constant table, indices fed at run time, negative ones included."""
    i = np.array([[0, 9, -1], [-10, 4, 4]], index_type)
    _check(_embedding(index_type, i.shape), [i], "gather")


@pytest.mark.parametrize("bad", [10, -11, 1 << 40], ids=str)
def test_gather_out_of_range_index_fails(bad: int) -> None:
    model_bytes = convert_onnx(_embedding(np.int64, (3,)))
    with pytest.raises(EvalError):
        run_ember(model_bytes, [np.array([1, bad, 2], np.int64)])
    # The interpreter is still usable with good indices afterwards.
    good = run_ember(model_bytes, [np.array([1, 2, 3], np.int64)])[0]
    assert good.shape == (3, 8)


# ---- integer element types ----------------------------------------------------------------
# The ONNX importer takes float32 only for now, so these graphs are built in the IR directly
# and checked against numpy.

INT_TYPES = [(DType.INT8, np.int8), (DType.UINT8, np.uint8), (DType.INT16, np.int16),
             (DType.INT32, np.int32), (DType.INT64, np.int64), (DType.FLOAT16, np.float16)]


@pytest.mark.parametrize("dtype,np_type", INT_TYPES, ids=lambda t: str(t))
def test_element_sizes(dtype: DType, np_type: type) -> None:
    """Every data movement kernel on 1-, 2-, 4- and 8-byte elements, in one graph."""
    x = _random((2, 3, 4), np_type)
    z = _random((2, 3, 1), np_type, seed=9)
    b = GraphBuilder()
    b.input("x", x.shape, dtype)
    b.input("z", z.shape, dtype)
    b.const("gi", np.array([[2, -3]], np.int32))
    t = b.node(OpType.TRANSPOSE, ["x"], TransposeParams((2, 0, 1)))
    s = b.node(OpType.SLICE, [t], SliceParams((3, 0, 0), (-2, 1, 2)), shapes=[(2, 2, 2)])
    c = b.node(OpType.CONCATENATION, ["x", "z", "x"], ConcatenationParams(axis=2))
    p0, p1 = b.node(OpType.SPLIT, [c], SplitParams(axis=2), shapes=[(2, 3, 2), (2, 3, 7)])
    pc = b.node(OpType.PAD, [p0], PadParams((1, 0, 2, 0, 2, 1)))
    pr = b.node(OpType.PAD, [p1], PadParams((1, 2, 3, 0, 1, 3), PadMode.REFLECT))
    pe = b.node(OpType.PAD, [p1], PadParams((0, 1, 2, 1, 0, 1), PadMode.EDGE))
    g = b.node(OpType.GATHER, ["x", "gi"], GatherParams(axis=1), dtype=dtype)
    r = b.node(OpType.RESHAPE, [g], shapes=[(16,)])
    b.output(s, p0, pc, pr, pe, r)
    graph = b.build()
    got = run_ember(serialize(graph, plan_memory(graph)), [x, z])

    joined = np.concatenate([x, z, x], axis=2)
    want = [x.transpose(2, 0, 1)[3::-2, 0:2, 0::2], joined[..., :2],
            np.pad(joined[..., :2], [(1, 0), (0, 2), (2, 1)]),
            np.pad(joined[..., 2:], [(1, 0), (2, 1), (3, 3)], mode="reflect"),
            np.pad(joined[..., 2:], [(0, 1), (1, 0), (2, 1)], mode="edge"),
            np.take(x, [[2, -3]], axis=1).reshape(-1)]
    for i, (a, w) in enumerate(zip(got, want)):
        assert a.dtype == w.dtype and a.shape == w.shape, (i, a.dtype, a.shape, w.shape)
        np.testing.assert_array_equal(a, w, err_msg=f"output {i}")
