"""Bounded dynamic shapes: a model converted once with dims given as ranges runs at every size
in them after resize_tensor_input + allocate_tensors.

- per op family, a small ONNX graph with one or two dynamic dims, run at the range's min, max
  and a size between, against ONNX Runtime (float within 1e-5 x max |expected|, integers
  exact); the arena after each resize is never larger than at the bound;
- the API's refusals: a resize outside the range, of a fixed dim, of the wrong rank, of a
  tensor that is not an input; inputs that share a dimension resized apart (allocate names
  both); invoke between a resize and allocate; conversions the converter must refuse;
- the shape-rule oracle: every model the structure-aware fuzzer's generators make
  (tests/fuzz/ember_models.py), each input resized to its own shape (so every op's shape
  rule runs), gives every tensor the shape the converter stored and the outputs of an
  interpreter never resized;
- SignatureRunner resizes an input whose value has a new shape.
"""
from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.errors import ModelImportError
from emberlite.converter.ir import (TO_NCHW, TO_NHWC, DType, Graph, Node, QuantParams, Symbol,
                                    Tensor, constant_array)
from emberlite.converter.ops import OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from emberlite.errors import (EmberRuntimeError, InvalidArgumentError, InvalidModelError,
                              MisuseError, UnsupportedError)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers import max_rel_diff, run_ort  # noqa: E402

FLOAT, INT64 = TensorProto.FLOAT, TensorProto.INT64
TOL = 1e-5


def _model(nodes: list[onnx.NodeProto], inputs: list[tuple[str, int, list[Any]]],
           outputs: list[str], weights: dict[str, np.ndarray] | None = None,
           opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "dyn", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_empty_tensor_value_info(n) for n in outputs],
        [numpy_helper.from_array(v, k) for k, v in (weights or {}).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _nhwc(interp: Interpreter, kind: str, name: str) -> bool:
    return interp.get_metadata().get(f"layout.{kind}.{name}") == "NHWC"


def _stored(shape: tuple[int, ...], nhwc: bool) -> list[int]:
    return [shape[p] for p in TO_NHWC] if nhwc else list(shape)


def run_at(interp: Interpreter, values: list[np.ndarray]) -> list[np.ndarray]:
    """Resizes every input to its value's shape (in the ONNX model's layout), allocates,
    invokes and returns the outputs in the ONNX layout."""
    details = interp.get_input_details()
    for d, v in zip(details, values):
        interp.resize_tensor_input(d["index"], _stored(v.shape, _nhwc(interp, "input", d["name"])))
    interp.allocate_tensors()
    for d, v in zip(details, values):
        if _nhwc(interp, "input", d["name"]):
            v = np.transpose(v, TO_NHWC)
        interp.set_tensor(d["index"], np.ascontiguousarray(v))
    interp.invoke()
    outs = []
    for d in interp.get_output_details():
        y = interp.get_tensor(d["index"])
        outs.append(np.transpose(y, TO_NCHW) if _nhwc(interp, "output", d["name"]) else y)
    return outs


def check_sizes(model: onnx.ModelProto, input_shapes: dict[str, list[Any]],
                cases: list[list[np.ndarray]], num_threads: int = 1, **options: Any) -> None:
    """Converts once, then runs every case (one array per input) against ONNX Runtime; the
    arena never needs more than at the bound (allocated first, before any resize)."""
    interp = Interpreter(model_content=Converter.from_onnx(
        model, input_shapes=input_shapes, **options).convert(), num_threads=num_threads)
    interp.allocate_tensors()
    bound_arena = interp.arena_size
    assert any(-1 in d["shape_signature"] for d in interp.get_input_details())
    for values in cases:
        got, want = run_at(interp, values), run_ort(model, values)
        shapes = [v.shape for v in values]
        assert interp.arena_size <= bound_arena, f"arena grew at {shapes}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert g.shape == w.shape, f"{shapes}: output {i} shape {g.shape} != {w.shape}"
            if np.issubdtype(w.dtype, np.floating):
                err = max_rel_diff(g, w)
                assert err <= TOL, f"{shapes}: output {i} max rel diff {err:.3g}"
            else:
                np.testing.assert_array_equal(g, w, err_msg=f"{shapes}: output {i}")


RNG = np.random.default_rng(1234)


def _f(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _spatial(c: int, sizes: list[tuple[int, int]]) -> list[list[np.ndarray]]:
    return [[_f(1, c, h, w)] for h, w in sizes]


# ---- convolutions and pools -------------------------------------------------------------
HW = {"x": [1, 4, (9, 20), (9, 20)]}
HW_SIZES = [(9, 9), (13, 20), (20, 11), (20, 20)]


@pytest.mark.parametrize("io_layout", ["onnx", "nhwc"])
def test_conv_strided_padded_dilated_grouped(io_layout):
    """Also with NHWC edges: the file's input dims are then permuted, and so are their
    symbols."""
    model = _model([helper.make_node("Conv", ["x", "w", "b"], ["y"], strides=[2, 1],
                                     pads=[1, 2, 0, 1], dilations=[2, 1], group=2)],
                   [("x", FLOAT, [1, 4, "H", "W"])], ["y"], {"w": _f(6, 2, 3, 3), "b": _f(6)})
    check_sizes(model, HW, _spatial(4, HW_SIZES), io_layout=io_layout)


@pytest.mark.parametrize("io_layout,threads", [("onnx", 1), ("nhwc", 1), ("onnx", 3)])
def test_conv_pool_flatten_softmax(io_layout, threads):
    """A detector head's tail: the spatial dims flattened to one axis (-1) behind a conv and
    a pool, whose NHWC form reshapes and transposes."""
    model = _model([helper.make_node("Conv", ["x", "w"], ["c"], strides=[2, 1], pads=[1] * 4),
                    helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[2, 2],
                                     strides=[2, 2]),
                    helper.make_node("Reshape", ["y", "target"], ["z"]),
                    helper.make_node("Softmax", ["z"], ["o"], axis=-1)],
                   [("x", FLOAT, [1, 4, "H", "W"])], ["o"],
                   {"w": _f(6, 4, 3, 3), "target": np.array([0, 0, -1], np.int64)})
    check_sizes(model, HW, _spatial(4, HW_SIZES), threads, io_layout=io_layout)


@pytest.mark.parametrize("attrs", [dict(strides=[2, 2], pads=[1, 1, 1, 1]),
                                   dict(strides=[2, 3], pads=[1, 0, 0, 1],
                                        output_padding=[1, 2]),
                                   dict(dilations=[2, 1], pads=[0, 1, 1, 0])])
def test_conv_transpose_keeps_its_output_padding(attrs):
    """TRANSPOSE_CONV2D's output padding is not in the file: the runtime reads it off the
    stored shapes and keeps it at every size (what ONNX's attribute does)."""
    model = _model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attrs)],
                   [("x", FLOAT, [1, 4, "H", "W"])], ["y"], {"w": _f(4, 3, 3, 3), "b": _f(3)})
    check_sizes(model, HW, _spatial(4, HW_SIZES))


def test_depthwise_conv():
    model = _model([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1], group=4,
                                     strides=[2, 2])],
                   [("x", FLOAT, [1, 4, "H", "W"])], ["y"], {"w": _f(4, 1, 3, 3)})
    check_sizes(model, HW, _spatial(4, HW_SIZES))


def test_max_and_average_pool():
    model = _model([helper.make_node("MaxPool", ["x"], ["m"], kernel_shape=[3, 3],
                                     strides=[2, 2], pads=[1, 1, 1, 1]),
                    helper.make_node("AveragePool", ["x"], ["a"], kernel_shape=[2, 3],
                                     strides=[2, 1])],
                   [("x", FLOAT, [1, 4, "H", "W"])], ["m", "a"])
    check_sizes(model, HW, _spatial(4, HW_SIZES))


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_scales(mode):
    scales = np.array([1, 1, 2, 3], np.float32)
    model = _model([helper.make_node("Resize", ["x", "", "scales"], ["y"], mode=mode)],
                   [("x", FLOAT, [1, 4, "H", "W"])], ["y"], {"scales": scales})
    check_sizes(model, HW, _spatial(4, HW_SIZES))


# ---- data movement ----------------------------------------------------------------------
SEQ = {"x": [1, (2, 24), 16]}
SEQ_CASES = [[_f(1, s, 16)] for s in (2, 7, 24)]


def test_concat_fixed_axis_and_split_off_the_dynamic_axis():
    model = _model([helper.make_node("Concat", ["x", "x2"], ["c"], axis=2),
                    helper.make_node("Split", ["c", "parts"], ["a", "b", "d"], axis=2)],
                   [("x", FLOAT, [1, "S", 16]), ("x2", FLOAT, [1, "S", 16])], ["a", "b", "d"],
                   {"parts": np.array([5, 20, 7], np.int64)})
    shapes = {"x": [1, (2, 24), 16], "x2": [1, (2, 24), 16]}
    check_sizes(model, shapes, [[_f(1, s, 16), _f(1, s, 16)] for s in (2, 9, 24)])


def test_concat_along_the_dynamic_axis():
    model = _model([helper.make_node("Concat", ["x", "t"], ["y"], axis=1)],
                   [("x", FLOAT, [1, "S", 16]), ("t", FLOAT, [1, "T", 16])], ["y"])
    shapes = {"x": [1, (2, 24), 16], "t": [1, (1, 5), 16]}
    check_sizes(model, shapes, [[_f(1, s, 16), _f(1, t, 16)]
                                for s, t in ((2, 1), (11, 5), (24, 3), (24, 5))])


def test_slice_to_the_end_and_a_fixed_part():
    model = _model([helper.make_node("Slice", ["x", "s0", "e0", "a0"], ["rest"]),
                    helper.make_node("Slice", ["x", "s1", "e1", "a1"], ["part"])],
                   [("x", FLOAT, [1, "S", 16])], ["rest", "part"],
                   {"s0": np.array([1, 2], np.int64), "e0": np.array([2**62, 14], np.int64),
                    "a0": np.array([1, 2], np.int64), "s1": np.array([0], np.int64),
                    "e1": np.array([2], np.int64), "a1": np.array([1], np.int64)})
    check_sizes(model, SEQ, SEQ_CASES)


def test_pad():
    model = _model([helper.make_node("Pad", ["x", "pads", "v"], ["y"])],
                   [("x", FLOAT, [1, "S", 16])], ["y"],
                   {"pads": np.array([0, 2, 1, 0, 3, 0], np.int64),
                    "v": np.array(0.5, np.float32)})
    check_sizes(model, SEQ, SEQ_CASES)


def test_gather_token_embedding():
    model = _model([helper.make_node("Gather", ["table", "ids"], ["y"], axis=0)],
                   [("ids", INT64, [1, "S"])], ["y"], {"table": _f(50, 16)})
    check_sizes(model, {"ids": [1, (1, 32)]},
                [[RNG.integers(0, 50, (1, s)).astype(np.int64)] for s in (1, 13, 32)])


def test_transpose():
    model = _model([helper.make_node("Reshape", ["x", "shape"], ["r"]),
                    helper.make_node("Transpose", ["r"], ["y"], perm=[0, 2, 1, 3])],
                   [("x", FLOAT, [1, "S", 16])], ["y"],
                   {"shape": np.array([0, 0, 4, 4], np.int64)})
    check_sizes(model, SEQ, SEQ_CASES)


def test_reshape_zero_minus_one_and_shape_computed_entries():
    """Reshape to [0, -1] and [-1, 16], Flatten, and a target made by Shape -> Gather ->
    Concat (a BERT head split: entries that follow the symbol after folding)."""
    nodes = [helper.make_node("Reshape", ["x", "a"], ["r0"]),
             helper.make_node("Reshape", ["x", "b"], ["r1"]),
             helper.make_node("Flatten", ["x"], ["r2"], axis=2),
             helper.make_node("Shape", ["x"], ["shp"]),
             helper.make_node("Gather", ["shp", "i1"], ["seq"], axis=0),
             helper.make_node("Concat", ["one", "seq", "four", "four"], ["target"], axis=0),
             helper.make_node("Reshape", ["x", "target"], ["r3"]),
             helper.make_node("Relu", ["r3"], ["y3"])]
    weights = {"a": np.array([0, -1], np.int64), "b": np.array([-1, 16], np.int64),
               "i1": np.array([1], np.int64), "one": np.array([1], np.int64),
               "four": np.array([4], np.int64)}
    model = _model(nodes, [("x", FLOAT, [1, "S", 16])], ["r0", "r1", "r2", "y3"], weights)
    check_sizes(model, SEQ, SEQ_CASES)


# ---- reductions, matrix products, normalisation -----------------------------------------
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_mean_and_sum(keepdims):
    model = _model([helper.make_node("ReduceMean", ["x"], ["m"], axes=[1], keepdims=keepdims),
                    helper.make_node("ReduceSum", ["x", "ax"], ["s"], keepdims=keepdims)],
                   [("x", FLOAT, [1, "S", 16])], ["m", "s"], {"ax": np.array([2], np.int64)},
                   opset=13)
    check_sizes(model, SEQ, SEQ_CASES)


def test_argmax():
    model = _model([helper.make_node("ArgMax", ["x"], ["a"], axis=1, keepdims=0),
                    helper.make_node("ArgMax", ["x"], ["b"], axis=2, keepdims=1)],
                   [("x", FLOAT, [1, "S", 16])], ["a", "b"])
    check_sizes(model, SEQ, SEQ_CASES)


def test_matmul_and_gemm():
    model = _model([helper.make_node("MatMul", ["x", "w"], ["m"]),
                    helper.make_node("Reshape", ["x", "flat"], ["x2"]),
                    helper.make_node("Gemm", ["x2", "wt", "b"], ["g"], transB=1, alpha=0.5)],
                   [("x", FLOAT, [1, "S", 16])], ["m", "g"],
                   {"w": _f(16, 8), "flat": np.array([-1, 16], np.int64), "wt": _f(5, 16),
                    "b": _f(5)})
    check_sizes(model, SEQ, SEQ_CASES)


def test_batched_matmul_with_broadcast():
    """Attention scores q @ k^T of two run-time inputs that share the sequence dim, and a
    rank-3 by rank-2 product broadcast over the batch."""
    model = _model([helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
                    helper.make_node("MatMul", ["q", "kt"], ["scores"]),
                    helper.make_node("MatMul", ["scores", "k"], ["ctx"]),
                    helper.make_node("MatMul", ["k2", "w"], ["p"])],
                   [("q", FLOAT, [1, 2, "S", 8]), ("k", FLOAT, [1, 2, "S", 8]),
                    ("k2", FLOAT, [3, "S", 8])], ["scores", "ctx", "p"], {"w": _f(8, 5)})
    shapes = {"q": [1, 2, (1, 20), 8], "k": [1, 2, (1, 20), 8], "k2": [3, (1, 20), 8]}
    check_sizes(model, shapes, [[_f(1, 2, s, 8), _f(1, 2, s, 8), _f(3, s, 8)]
                                for s in (1, 6, 20)])


def test_softmax_over_the_dynamic_axis():
    model = _model([helper.make_node("Softmax", ["x"], ["a"], axis=1),
                    helper.make_node("Softmax", ["x"], ["b"], axis=-1)],
                   [("x", FLOAT, [1, "S", 16])], ["a", "b"])
    check_sizes(model, SEQ, SEQ_CASES)


def test_layer_normalization():
    model = _model([helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1,
                                     epsilon=1e-5)],
                   [("x", FLOAT, [1, "S", 16])], ["y"], {"g": _f(16), "b": _f(16)})
    check_sizes(model, SEQ, SEQ_CASES)


# ---- element-wise ------------------------------------------------------------------------
def test_binary_broadcast_of_two_dynamic_dims():
    model = _model([helper.make_node("Add", ["x", "bias"], ["a"]),
                    helper.make_node("Mul", ["col", "row"], ["outer"]),
                    helper.make_node("Sub", ["outer", "x0"], ["d"]),
                    helper.make_node("Div", ["a", "two"], ["y"])],
                   [("x", FLOAT, [1, "S", 16]), ("col", FLOAT, [1, "S", 1]),
                    ("row", FLOAT, [1, 1, "T"]), ("x0", FLOAT, [1, 1, "T"])],
                   ["y", "d"], {"bias": _f(1, 1, 16), "two": np.array(2.0, np.float32)})
    shapes = {"x": [1, (2, 12), 16], "col": [1, (2, 12), 1], "row": [1, 1, (3, 9)],
              "x0": [1, 1, (3, 9)]}
    check_sizes(model, shapes, [[_f(1, s, 16), _f(1, s, 1), _f(1, 1, t), _f(1, 1, t)]
                                for s, t in ((2, 3), (5, 9), (12, 4), (12, 9))])


def test_attention_mask_where_equal_cast():
    model = _model([helper.make_node("Equal", ["mask", "zero"], ["pad"]),
                    helper.make_node("Where", ["pad", "neg", "x"], ["masked"]),
                    helper.make_node("Cast", ["pad"], ["padf"], to=FLOAT),
                    helper.make_node("Cast", ["x"], ["xi"], to=TensorProto.INT32)],
                   [("mask", INT64, [1, "S"]), ("x", FLOAT, [1, "S"])],
                   ["masked", "padf", "xi"],
                   {"zero": np.array(0, np.int64), "neg": np.array(-1e4, np.float32)})
    shapes = {"mask": [1, (1, 40)], "x": [1, (1, 40)]}
    check_sizes(model, shapes, [[RNG.integers(0, 2, (1, s)).astype(np.int64), _f(1, s) * 8]
                                for s in (1, 17, 40)])


def test_unary_math():
    names = ["Exp", "Abs", "Sqrt", "Erf", "Tanh", "Sigmoid", "Neg", "Floor", "Sin"]
    nodes = [helper.make_node("Abs", ["x"], ["ax"])]
    nodes += [helper.make_node(n, ["ax" if n == "Sqrt" else "x"], [n.lower()]) for n in names]
    model = _model(nodes, [("x", FLOAT, [1, "S", 16])], [n.lower() for n in names])
    check_sizes(model, SEQ, SEQ_CASES)


# ---- API errors ----------------------------------------------------------------------------
def _seq_interp() -> Interpreter:
    model = _model([helper.make_node("Add", ["x", "x2"], ["y"])],
                   [("x", FLOAT, [1, "S", 16]), ("x2", FLOAT, [1, "S", 16])], ["y"])
    return Interpreter(model_content=Converter.from_onnx(model, input_shapes=SEQ).convert())


def test_resize_outside_the_range_or_of_a_fixed_dim_or_rank_is_refused():
    interp = _seq_interp()
    x = interp.get_input_details()[0]["index"]
    assert interp.input_dim_ranges(x) == [(1, 1, ""), (2, 24, "S"), (16, 16, "")]
    cases = {(1, 25, 16): r"dim 1 \('S'\) must be in \[2, 24\], got 25",
             (1, 1, 16): r"dim 1 \('S'\) must be in \[2, 24\], got 1",
             (1, 5, 17): r"dim 2 is fixed at 16, got 17",
             (2, 5, 16): r"dim 0 is fixed at 1, got 2",
             (1, 5): r"has rank 3; a resize cannot change it \(got 2\)",
             (1, 5, 16, 1): r"has rank 3; a resize cannot change it \(got 4\)"}
    for shape, message in cases.items():
        with pytest.raises(InvalidArgumentError, match=message):
            interp.resize_tensor_input(x, list(shape))
    out = interp.get_output_details()[0]["index"]
    with pytest.raises(ValueError, match="is not a graph input"):
        interp.resize_tensor_input(out, [1, 5, 16])
    with pytest.raises(ValueError, match="does not fit int32"):
        interp.resize_tensor_input(x, [1, 2**31, 16])
    with pytest.raises(InvalidArgumentError):
        interp.input_dim_ranges(out)
    # A refused resize leaves the interpreter as it was: it still runs at the bound.
    interp.allocate_tensors()
    interp.set_tensor(x, np.ones((1, 24, 16), np.float32))
    interp.set_tensor(interp.get_input_details()[1]["index"], np.ones((1, 24, 16), np.float32))
    interp.invoke()
    assert interp.get_tensor(out).shape == (1, 24, 16)


def test_inputs_sharing_a_dimension_must_agree():
    model = _model([helper.make_node("Add", ["x", "x2"], ["y"])],
                   [("x", FLOAT, [1, "S", 16]), ("x2", FLOAT, [1, "S", 16])], ["y"])
    interp = Interpreter(model_content=Converter.from_onnx(
        model, input_shapes={"x": [1, (2, 24), 16]}).convert())
    x, x2 = (d["index"] for d in interp.get_input_details())
    assert interp.input_dim_ranges(x2)[1] == (2, 24, "S")   # shared through the dim_param
    interp.resize_tensor_input(x, [1, 5, 16])
    interp.resize_tensor_input(x2, [1, 6, 16])
    with pytest.raises(InvalidArgumentError,
                       match=r"inputs 'x' and 'x2' disagree on dimension 'S' \(5 and 6\)"):
        interp.allocate_tensors()
    interp.resize_tensor_input(x2, [1, 5, 16])
    interp.allocate_tensors()
    interp.set_tensor(x, np.ones((1, 5, 16), np.float32))
    interp.set_tensor(x2, np.ones((1, 5, 16), np.float32))
    interp.invoke()
    assert interp.get_tensor(interp.get_output_details()[0]["index"]).shape == (1, 5, 16)


def test_invoke_between_resize_and_allocate_is_refused():
    interp = _seq_interp()
    interp.allocate_tensors()
    x = interp.get_input_details()[0]["index"]
    interp.resize_tensor_input(x, [1, 5, 16])
    with pytest.raises(MisuseError):
        interp.invoke()
    # The input has its new shape before allocate; the other input must follow it.
    assert tuple(interp.get_input_details()[0]["shape"]) == (1, 5, 16)
    with pytest.raises(InvalidArgumentError, match="disagree on dimension 'S'"):
        interp.allocate_tensors()
    with pytest.raises(MisuseError):
        interp.invoke()
    interp.resize_tensor_input(interp.get_input_details()[1]["index"], [1, 5, 16])
    interp.allocate_tensors()
    assert [tuple(d["shape"]) for d in interp.get_tensor_details()] == [(1, 5, 16)] * 3


def test_a_fixed_model_resized_only_to_its_own_shape():
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [("x", FLOAT, [1, 7, 16])], ["y"])
    interp = Interpreter(model_content=Converter.from_onnx(model).convert())
    x = interp.get_input_details()[0]["index"]
    assert list(interp.get_input_details()[0]["shape_signature"]) == [1, 7, 16]
    with pytest.raises(InvalidArgumentError, match="dim 1 is fixed at 7, got 6"):
        interp.resize_tensor_input(x, [1, 6, 16])
    interp.resize_tensor_input(x, [1, 7, 16])
    interp.allocate_tensors()


def test_strided_same_padding_that_depends_on_the_size_is_refused():
    model = _model([helper.make_node("Conv", ["x", "w"], ["y"], strides=[2, 2],
                                     auto_pad="SAME_UPPER")],
                   [("x", FLOAT, [1, 4, "H", "W"])], ["y"], {"w": _f(6, 4, 3, 3)})
    with pytest.raises(ModelImportError, match=r"its parameters depend on the sizes of the "
                                               r"dynamic dims"):
        Converter.from_onnx(model, input_shapes={"x": [1, 4, (9, 21), (9, 21)]}).convert()


def test_a_constant_that_follows_a_size_but_is_not_a_leading_cut_is_refused():
    """Range(S, 0, -1) at S = bound is not the leading part of its value at a smaller S."""
    nodes = [helper.make_node("Shape", ["x"], ["shp"]),
             helper.make_node("Gather", ["shp", "i1"], ["s"], axis=0),
             helper.make_node("Range", ["s", "zero", "neg"], ["r"]),
             helper.make_node("Cast", ["r"], ["rf"], to=FLOAT),
             helper.make_node("Add", ["x", "rf"], ["y"])]
    model = _model(nodes, [("x", FLOAT, [1, "S"])], ["y"],
                   {"i1": np.array(1, np.int64), "zero": np.array(0, np.int64),
                    "neg": np.array(-1, np.int64)})
    with pytest.raises(ModelImportError, match=r"depends on the dynamic dims in a way "
                                               r"Emberlite cannot follow"):
        Converter.from_onnx(model, input_shapes={"x": [1, (2, 30)]}).convert()


def test_a_leading_cut_constant_follows_the_size():
    """Range(0, S, 1) (BERT's position ids) is the leading part at every size: it runs."""
    nodes = [helper.make_node("Shape", ["x"], ["shp"]),
             helper.make_node("Gather", ["shp", "i1"], ["s"], axis=0),
             helper.make_node("Range", ["zero", "s", "one"], ["r"]),
             helper.make_node("Cast", ["r"], ["rf"], to=FLOAT),
             helper.make_node("Add", ["x", "rf"], ["y"])]
    model = _model(nodes, [("x", FLOAT, [1, "S"])], ["y"],
                   {"i1": np.array(1, np.int64), "zero": np.array(0, np.int64),
                    "one": np.array(1, np.int64)})
    check_sizes(model, {"x": [1, (2, 30)]}, [[_f(1, s)] for s in (2, 11, 30)])


# ---- SignatureRunner ----------------------------------------------------------------------
def test_signature_runner_resizes_inputs_of_a_new_shape():
    model = _model([helper.make_node("Softmax", ["x"], ["y"], axis=1)],
                   [("x", FLOAT, [1, "S", 16])], ["y"])
    interp = Interpreter(model_content=Converter.from_onnx(model, input_shapes=SEQ).convert())
    runner = interp.get_signature_runner()
    for s in (24, 3, 2, 17):
        x = _f(1, s, 16)
        y = runner(x=x)["y"]
        want = run_ort(model, [x])[0]
        assert y.shape == (1, s, 16)
        assert max_rel_diff(y, want) <= TOL
    with pytest.raises(InvalidArgumentError, match="must be in"):
        runner(x=_f(1, 25, 16))


# ---- the shape-rule oracle over the fuzzer's models ---------------------------------------
def _fuzz_models():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
    import ember_models

    # Coverage of every op is tests/fuzz/test_ember_models.py's to check; here, what exists.
    ember_models.check_coverage = lambda: None
    rng = np.random.default_rng(20261206)
    for op in ember_models.GENERATORS:
        made = 0
        while made < 5:
            try:
                m = ember_models.generate(rng, op, hostile_rate=0.0)
            except KeyError:   # a follow-up op the generators do not cover yet
                continue
            made += 1
            yield m


def _fill(interp: Interpreter, rng: np.random.Generator) -> None:
    for d in interp.get_input_details():
        dtype = np.dtype(d["dtype"])
        if 0 in d["shape"]:
            continue   # nothing to set, and numpy may not make its other dims
        if dtype.kind == "f":
            v = rng.standard_normal(d["shape"]).astype(dtype)
        elif dtype.kind == "b":
            v = rng.integers(0, 2, d["shape"]).astype(bool)
        else:
            v = rng.integers(-3, 4, d["shape"]).astype(dtype)
        interp.set_tensor(d["index"], v)


def _outputs(interp: Interpreter) -> list[bytes] | str:
    try:
        interp.invoke()
    except EmberRuntimeError as e:
        return type(e).__name__
    return [interp.get_tensor(d["index"]).tobytes() if 0 not in d["shape"] else
            tuple(d["shape"]) for d in interp.get_output_details()]


def test_shape_rules_reproduce_every_stored_shape():
    checked = empty = 0
    for m in _fuzz_models():
        try:
            ref = Interpreter(model_content=m.data)
            ref.allocate_tensors()
        except EmberRuntimeError:
            continue   # the generator's refused models say nothing about shape rules
        stored = [tuple(d["shape"]) for d in ref.get_tensor_details()]
        empty += any(0 in s for s in stored)   # fixed dims of 0 follow through the rules
        interp = Interpreter(model_content=m.data)
        for d in interp.get_input_details():
            interp.resize_tensor_input(d["index"], list(d["shape"]))
        try:
            interp.allocate_tensors()
        except EmberRuntimeError as e:
            raise AssertionError(f"{m.name}: allocate after resizing to the stored shapes "
                                 f"failed: {e}") from None
        got = [tuple(d["shape"]) for d in interp.get_tensor_details()]
        wrong = [(d["name"], s, g) for d, s, g in zip(ref.get_tensor_details(), stored, got)
                 if s != g]
        assert not wrong, f"{m.name}: shapes after resize differ (name, stored, got): {wrong}"
        _fill(ref, np.random.default_rng(7))
        _fill(interp, np.random.default_rng(7))
        assert _outputs(interp) == _outputs(ref), f"{m.name}: outputs differ after resize"
        checked += 1
    print(f"{checked} models checked, {empty} of them with empty tensors")
    assert checked > 100 and empty > 10, f"{checked} models checked, {empty} with empty tensors"


# ---- crafted files: the verifier's checks of the format 8 fields --------------------------
def _crafted(x_marks: tuple[int, ...] | None = (-1, 0, -1),
             symbols: list[Symbol] | None = None, y_marks: tuple[int, ...] | None = None,
             new_shape: tuple[int, ...] = (0, -1), size: tuple[int, ...] = (-1, -1, 2),
             const_shape: tuple[int, ...] = (1, 8, 1),
             const_marks: tuple[int, ...] | None = (-1, 0, -1)) -> bytes:
    """x [1, 8, 4] (dim 1 follows symbol S in 2..8) + a position constant cut to S ->
    relu y -> RESHAPE [1, 32] and SLICE [1, 8, 2]; each argument replaces one field."""
    c = np.arange(np.prod(const_shape), dtype=np.float32).reshape(const_shape)
    tensors = {
        "x": Tensor("x", DType.FLOAT32, (1, 8, 4), dim_symbols=x_marks),
        "pos": Tensor("pos", DType.FLOAT32, const_shape, constant_array(c),
                      dim_symbols=const_marks),
        "s": Tensor("s", DType.FLOAT32, (1, 8, 4)),
        "y": Tensor("y", DType.FLOAT32, (1, 8, 4), dim_symbols=y_marks),
        "r": Tensor("r", DType.FLOAT32, (1, 32)),
        "z": Tensor("z", DType.FLOAT32, (1, 8, 2))}
    nodes = [Node(OpType.ADD, "add", ["x", "pos"], ["s"], BinaryParams()),
             Node(OpType.RELU, "relu", ["s"], ["y"]),
             Node(OpType.RESHAPE, "reshape", ["y"], ["r"], ReshapeParams(new_shape)),
             Node(OpType.SLICE, "slice", ["y"], ["z"], SliceParams((0, 0, 1), (1, 1, 1), size))]
    graph = Graph(tensors, nodes, ["x"], ["r", "z"])
    graph.symbols = [Symbol("S", 2, 8)] if symbols is None else symbols
    return serialize(graph, plan_memory(graph))


def test_crafted_valid_file_runs_at_every_size():
    interp = Interpreter(model_content=_crafted())
    x = interp.get_input_details()[0]["index"]
    for s in range(2, 9):
        interp.resize_tensor_input(x, [1, s, 4])
        interp.allocate_tensors()
        v = RNG.standard_normal((1, s, 4)).astype(np.float32)
        interp.set_tensor(x, v)
        interp.invoke()
        y = np.maximum(v + np.arange(8, dtype=np.float32)[:s].reshape(1, s, 1), 0)
        r, z = (interp.get_tensor(d["index"]) for d in interp.get_output_details())
        np.testing.assert_array_equal(r, y.reshape(1, -1))
        np.testing.assert_array_equal(z, y[:, :, 1:3])


CRAFTED = {
    "symbol index past the list": (dict(x_marks=(-1, 3, -1)),
                                   r"tensor \d+ 'x': dim 1 names symbol 3, which is not a "
                                   r"symbol of the model"),
    "negative symbol index": (dict(x_marks=(-1, -7, -1)), r"dim 1 names symbol -7"),
    "dim_symbols of the wrong length": (dict(x_marks=(-1, 0)),
                                        r"'x': dim_symbols has 2 entries for rank 3"),
    "symbol max is not the dim": (dict(symbols=[Symbol("S", 2, 9)]),
                                  r"dim 1 names symbol 0, which is not a symbol of the model "
                                  r"whose max is the dim \(8\)"),
    "min above max": (dict(symbols=[Symbol("S", 9, 8)]),
                      r"symbol 0 'S': needs 1 <= min <= max, got min 9, max 8"),
    "min of 0": (dict(symbols=[Symbol("S", 0, 8)]), r"needs 1 <= min <= max, got min 0"),
    "more than 8 symbols": (dict(symbols=[Symbol(f"S{k}", 1, 8) for k in range(9)]),
                            r"the model has 9 dynamic dimensions; at most 8 are supported"),
    "a symbol no input follows": (dict(symbols=[Symbol("S", 2, 8), Symbol("T", 1, 4)]),
                                  r"symbol 1 is not a dim of any graph input"),
    "an intermediate tensor with symbols": (dict(y_marks=(-1, 0, -1)),
                                            r"'y': only graph inputs, and stored constants"),
    "a constant cut after a dim that is not 1": (
        dict(const_shape=(2, 8, 1), const_marks=(-1, 0, -1)),
        r"'pos': only graph inputs, and stored constants with one such dim after dims of 1"),
    "a constant with two symbolic dims": (
        dict(const_shape=(1, 8, 8), const_marks=(-1, 0, 0)),
        r"'pos': only graph inputs, and stored constants with one such dim"),
    "new_shape naming a missing symbol": (dict(new_shape=(0, -9)),
                                          r"node 2 \(reshape\): new_shape entry 1 \(-9\) does "
                                          r"not give output dim 32"),
    "two -1 in new_shape": (dict(new_shape=(-1, -1)),
                            r"node 2 \(reshape\): new_shape must have 2 entries with at most "
                            r"one -1, got 2 entries and 2"),
    "new_shape of the wrong length": (dict(new_shape=(0, -1, 1)),
                                      r"new_shape must have 2 entries"),
    "slice size naming a missing symbol": (dict(size=(-1, -1, -3)),
                                           r"node 3 \(slice\): size entry 2 \(-3\) does not "
                                           r"give output dim 2"),
    "slice size of the wrong length": (dict(size=(-1, 2)),
                                       r"node 3 \(slice\): begin and step \(and size, if any\) "
                                       r"need 3 entries"),
}


@pytest.mark.parametrize("case", CRAFTED, ids=list(CRAFTED))
def test_crafted_file_is_refused_with_a_message(case):
    fields, message = CRAFTED[case]
    with pytest.raises((InvalidModelError, UnsupportedError), match=message):
        Interpreter(model_content=_crafted(**fields)).allocate_tensors()


RESIZE_REFUSED = {
    "a fixed new_shape that stops fitting": (dict(new_shape=(1, 32)),
                                             r"node 2 \(reshape\): output has 32 elements, "
                                             r"input has 12"),
    "a fixed slice size past the resized axis": (dict(size=(-1, 8, 2)),
                                                 r"node 3 \(slice\): axis 1 reads \[0\.\.7\]"),
    "a constant cut that stays whole": (dict(const_marks=None),
                                        r"node 0 \(add\): input dims 3 and 8 at output dim 1 "
                                        r"do not broadcast at these input shapes"),
}


@pytest.mark.parametrize("case", RESIZE_REFUSED, ids=list(RESIZE_REFUSED))
def test_crafted_file_valid_at_the_bound_refused_at_a_resize(case):
    """Each loads and runs at the bound; a smaller size fails allocate by node, no crash."""
    fields, message = RESIZE_REFUSED[case]
    interp = Interpreter(model_content=_crafted(**fields))
    interp.allocate_tensors()
    x = interp.get_input_details()[0]["index"]
    interp.resize_tensor_input(x, [1, 3, 4])
    with pytest.raises(EmberRuntimeError, match=message):
        interp.allocate_tensors()
    with pytest.raises(MisuseError):
        interp.invoke()
    interp.resize_tensor_input(x, [1, 8, 4])   # back at the bound it runs again
    interp.allocate_tensors()
    interp.set_tensor(x, np.ones((1, 8, 4), np.float32))
    interp.invoke()


def test_per_channel_quantization_along_a_dynamic_dim_is_refused_at_a_resize():
    """A fuzzer finding: the kernels loop over one scale per channel, so a per-channel axis
    that a resize shortens would read past the tensor; allocate refuses it instead."""
    q = QuantParams(tuple(0.1 * (k + 1) for k in range(8)), (0,) * 8, 1)
    tensors = {"x": Tensor("x", DType.INT8, (1, 8, 4), quant=q, dim_symbols=(-1, 0, -1)),
               "y": Tensor("y", DType.FLOAT32, (1, 8, 4))}
    graph = Graph(tensors, [Node(OpType.DEQUANTIZE, "dq", ["x"], ["y"])], ["x"], ["y"])
    graph.symbols = [Symbol("S", 2, 8)]
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)))
    interp.allocate_tensors()
    interp.resize_tensor_input(interp.get_input_details()[0]["index"], [1, 3, 4])
    with pytest.raises(UnsupportedError, match=r"tensor 0 'x' has 8 per-channel scales along "
                                               r"dim 1, which is 3 at these input shapes"):
        interp.allocate_tensors()


# ---- the shape rules at other sizes, against the converter's ------------------------------
def _spec_dims(spec: tuple[int, ...], x: tuple[int, ...], values: list[int],
               rest: Any) -> list[int]:
    """A new_shape or size entry list as dims: > 0 fixed, <= -2 a symbol's value, 0 the
    input's dim (new_shape), -1 `rest(d)`."""
    return [v if v > 0 else values[-2 - v] if v <= -2 else x[d] if v == 0 else rest(d)
            for d, v in enumerate(spec)]


def _fixed_at(graph: Graph, values: list[int]) -> Graph | None:
    """The dynamic graph with every symbol at `values`, its shapes inferred again node by node
    by the converter's rules (RESHAPE and SLICE from new_shape and size); None when the
    converter's rules refuse that size."""
    from emberlite.converter.errors import EmberError
    from emberlite.converter.ops import OPS

    tensors = {}
    for name, t in graph.tensors.items():
        marks = t.dim_symbols or (-1,) * len(t.shape)
        shape = tuple(values[k] if k >= 0 else v for k, v in zip(marks, t.shape))
        data = t.data
        if data is not None and shape != t.shape:
            data = constant_array(data[tuple(slice(0, v) for v in shape)])
        tensors[name] = dataclasses.replace(t, shape=shape, data=data, dim_symbols=None)
    fixed = Graph(tensors, [], list(graph.inputs), list(graph.outputs))
    try:
        for node in graph.nodes:
            x = tensors[node.inputs[0]].shape
            p = node.params
            if node.op == OpType.RESHAPE and p.new_shape:
                dims = _spec_dims(p.new_shape, x, values, lambda d: -1)
                if -1 in dims:
                    known = math.prod(v for v in dims if v != -1)
                    dims[dims.index(-1)] = math.prod(x) // known if known else 0
                tensors[node.outputs[0]].shape = tuple(dims)
                node = dataclasses.replace(node, params=ReshapeParams())
            elif node.op == OpType.SLICE and p.size:
                room = [x[d] - b if s > 0 else b + 1 for d, (b, s) in enumerate(zip(p.begin,
                                                                                   p.step))]
                tensors[node.outputs[0]].shape = tuple(_spec_dims(
                    p.size, x, values, lambda d: max(0, -(-room[d] // abs(p.step[d])))))
                node = dataclasses.replace(node, params=dataclasses.replace(p, size=()))
            elif node.op == OpType.RESIZE:
                # Its stored output is the bound's; at another size the scales give it, as
                # the runtime's rule does.
                tensors[node.outputs[0]].shape = None
            fixed.nodes.append(node)
            for name, shape in zip(node.outputs, OPS[node.op].infer_shape(node, fixed)):
                tensors[name].shape = tuple(shape)
    except EmberError:
        return None
    return fixed


def test_shape_rules_agree_with_the_converter_at_the_minima_and_between():
    """Every dynamic model the fuzzer's generators make (ember_models._dynamize), resized to its
    symbols' minima and to a size between: where both the runtime and the converter's shape
    rules take that size, every tensor has the converter's shape and the outputs are those of
    the same graph converted at that size with fixed shapes."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
    import ember_models

    ember_models.check_coverage = lambda: None
    rng = np.random.default_rng(99)
    compared = smaller = 0
    for op in ember_models.GENERATORS:
        for _ in range(4):
            try:
                m = ember_models.generate(rng, op, hostile_rate=0.0, dynamic_rate=1.0)
            except KeyError:
                continue
            if not m.graph.symbols:
                continue
            try:
                interp = Interpreter(model_content=m.data)
                interp.allocate_tensors()
            except EmberRuntimeError:
                continue
            for values in ([s.min for s in m.graph.symbols],
                           [(s.min + s.max) // 2 for s in m.graph.symbols]):
                fixed = _fixed_at(m.graph, values)
                if fixed is None:
                    continue
                try:
                    ref = Interpreter(model_content=serialize(fixed, plan_memory(fixed)))
                    ref.allocate_tensors()
                except EmberRuntimeError:
                    continue
                for d in interp.get_input_details():
                    interp.resize_tensor_input(d["index"], list(fixed.tensors[d["name"]].shape))
                try:
                    interp.allocate_tensors()
                except EmberRuntimeError:
                    continue   # a rule stricter than the converter's: refused, not wrong
                got = {d["name"]: tuple(d["shape"]) for d in interp.get_tensor_details()}
                want = {d["name"]: tuple(d["shape"]) for d in ref.get_tensor_details()}
                assert got == want, f"{m.name} at {values}: shapes differ"
                _fill(ref, np.random.default_rng(3))
                _fill(interp, np.random.default_rng(3))
                assert _outputs(interp) == _outputs(ref), f"{m.name} at {values}: outputs"
                compared += 1
                smaller += values != [s.max for s in m.graph.symbols]
    print(f"{compared} resized models compared, {smaller} below the bound")
    assert smaller > 50
