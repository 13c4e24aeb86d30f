"""The OpenCL delegate's element-wise, pooling, reduction and softmax ops (csrc/delegates/
opencl/ops_elementwise.c, ops_pool.c; kernels/elementwise.cl, pool.cl): binary ops with
broadcasting, the activations and math functions, pooling, reductions, softmax. Each case is a
small ONNX graph (onnx.helper) converted with channels-last edges, or one node in the file's
own terms where ONNX spells the op otherwise; the oracle is the CPU interpreter on the same
file (opencl_checks.check_ops: fp32 within 1e-4 x max|CPU output|, fp16 within 1e-2). The
last tests check a graph split around ops the delegate lacks, and the reasons it gives.
Resize, layout ops and batch matmul: test_opencl_layout.py."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from onnx import TensorProto, helper

from emberlite.converter import Converter
from emberlite.converter.ops import OpType
from tests.delegates.opencl_checks import (FP32_BOUND, check_file, check_ops, ir_model,
                                           onnx_model, random_inputs, rel_err,
                                           run_delegated)
from tests.helpers import run_ember


# ---- element-wise binary ops with numpy broadcasting ----

BINARY_OPS = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Max": "maximum",
              "Min": "minimum"}

# (id, a shape, b shape): NCHW where rank 4, so [1,C,1,1] is per channel once channels-last
BROADCAST_SHAPES = [
    ("same_rank4", (2, 3, 4, 5), (2, 3, 4, 5)),
    ("scalar", (2, 3, 4, 5), ()),
    ("per_channel", (2, 6, 4, 5), (1, 6, 1, 1)),
    ("n11c_by_nhwc", (1, 6, 1, 1), (2, 6, 3, 4)),
    ("rank3_into_rank4", (2, 3, 4, 5), (3, 1, 5)),
    ("rank2_row", (4, 5), (5,)),
    ("rank2_outer", (4, 1), (1, 5)),
    ("rank3_both", (2, 1, 5), (1, 4, 1)),
    ("rank1_same", (37,), (37,)),
]


@pytest.mark.parametrize("shapes", [c[1:] for c in BROADCAST_SHAPES],
                         ids=[c[0] for c in BROADCAST_SHAPES])
@pytest.mark.parametrize("onnx_op", list(BINARY_OPS))
def test_binary_broadcast(onnx_op: str, shapes: tuple[tuple[int, ...], ...],
                          make_opencl_delegate: Callable[..., Any]) -> None:
    a_shape, b_shape = shapes
    model = onnx_model([helper.make_node(onnx_op, ["a", "b"], ["y"])],
                       {"a": a_shape, "b": b_shape})
    a, b = random_inputs([a_shape, b_shape], seed=len(a_shape))
    if onnx_op == "Div":  # divisors away from 0: |b| in [0.5, 2]
        b = (np.sign(b) + (b == 0)) * (0.5 + np.abs(b) % 1.5)
    check_ops(model, [a, b.astype(np.float32)], make_opencl_delegate, BINARY_OPS[onnx_op])


@pytest.mark.parametrize("b_shape", [(2, 3, 4, 5), (1, 3, 1, 1), ()],
                         ids=["same", "per_channel", "scalar"])
def test_pow(b_shape: tuple[int, ...], make_opencl_delegate: Callable[..., Any]) -> None:
    model = onnx_model([helper.make_node("Pow", ["a", "b"], ["y"])],
                       {"a": (2, 3, 4, 5), "b": b_shape})
    a = random_inputs([(2, 3, 4, 5)], 1, 0.5, 2.0)[0]
    a[0, 0, 0, :] = [-2.0, 0.0, 1.0, -1.5, 3.0]  # a negative base: NaN unless b is whole
    b = random_inputs([b_shape], 2)[0] * 2
    check_ops(model, [a, b], make_opencl_delegate, "pow")


@pytest.mark.parametrize("constant", ["per_channel", "scalar"])
def test_binary_constant_operand(constant: str, make_opencl_delegate: Callable[..., Any]
                                 ) -> None:
    """A weight operand: uploaded once at prepare (converted to half in fp16)."""
    w = np.float32(0.75) if constant == "scalar" else \
        np.linspace(-1, 1, 6, dtype=np.float32).reshape(1, 6, 1, 1)
    model = onnx_model([helper.make_node("Mul", ["x", "w"], ["y"])], {"x": (1, 6, 5, 4)},
                       {"w": np.asarray(w)})
    check_ops(model, random_inputs([(1, 6, 5, 4)]), make_opencl_delegate, "mul")


# Fused activations of a binary op: (id, FusedActivation value, ONNX nodes after the Add)
ACTIVATIONS = [
    ("relu", 1, lambda: ([helper.make_node("Relu", ["s"], ["y"])], {})),
    ("relu6", 2, lambda: ([helper.make_node("Clip", ["s", "lo", "hi"], ["y"])],
                          {"lo": np.array(0.0, np.float32), "hi": np.array(6.0, np.float32)})),
    ("relu_n1_to_1", 3, lambda: ([helper.make_node("Clip", ["s", "lo", "hi"], ["y"])],
                                 {"lo": np.array(-1.0, np.float32),
                                  "hi": np.array(1.0, np.float32)})),
]


@pytest.mark.parametrize("case", ACTIVATIONS, ids=[c[0] for c in ACTIVATIONS])
@pytest.mark.parametrize("onnx_op", ["Add", "Sub", "Mul", "Div"])
def test_binary_fused_activation(onnx_op: str, case: tuple, make_opencl_delegate: Callable
                                 ) -> None:
    _, act, nodes_of = case
    nodes, inits = nodes_of()
    model = onnx_model([helper.make_node(onnx_op, ["a", "b"], ["s"])] + nodes,
                       {"a": (1, 4, 3, 5), "b": (1, 4, 1, 1)}, inits)
    a, b = random_inputs([(1, 4, 3, 5), (1, 4, 1, 1)], low=0.5, high=4.0)
    check_ops(model, [a * 3 - 6, b], make_opencl_delegate, BINARY_OPS[onnx_op], activation=act)


@pytest.mark.parametrize("alpha_shape", [(4,), (3, 1, 4), (1, 1, 5, 1)],
                         ids=["per_channel", "rows_channels", "per_column"])
def test_prelu(alpha_shape: tuple[int, ...], make_opencl_delegate: Callable[..., Any]) -> None:
    rng = np.random.default_rng(5)
    model = ir_model(OpType.PRELU, {"x": (2, 3, 5, 4)},
                     {"alpha": rng.uniform(-1, 2, alpha_shape).astype(np.float32)})
    check_file(model, random_inputs([(2, 3, 5, 4)]), make_opencl_delegate, "prelu")


# ---- activations and math functions of one input ----

# (ONNX op, the Emberlite op, attributes, input range or None for N(0, 1) x 3, opset)
UNARY_CASES = [
    ("Relu", "relu", {}, None, 17),
    ("LeakyRelu", "leaky_relu", {"alpha": 0.2}, None, 17),
    ("Sigmoid", "sigmoid", {}, None, 17),
    ("Tanh", "tanh", {}, None, 17),
    ("HardSigmoid", "hard_sigmoid", {"alpha": 0.3, "beta": 0.4}, None, 17),
    ("HardSigmoid", "hard_sigmoid", {}, None, 17),
    ("HardSwish", "hard_swish", {}, None, 17),
    ("Abs", "abs", {}, None, 17),
    ("Neg", "neg", {}, None, 17),
    ("Sqrt", "sqrt", {}, (0.0, 4.0), 17),
    ("Reciprocal", "reciprocal", {}, (0.5, 3.0), 17),
    ("Exp", "exp", {}, None, 17),
    ("Log", "log", {}, (0.25, 4.0), 17),
    ("Floor", "floor", {}, None, 17),
    ("Ceil", "ceil", {}, None, 17),
    ("Sign", "sign", {}, None, 17),
    ("Sin", "sin", {}, None, 17),
    ("Cos", "cos", {}, None, 17),
    ("Erf", "erf", {}, None, 17),
    ("Softplus", "softplus", {}, None, 17),
    ("Mish", "mish", {}, None, 18),
    ("Elu", "elu", {"alpha": 0.7}, None, 17),
    ("Selu", "selu", {}, None, 17),
    ("Gelu", "gelu", {}, None, 20),
    ("Gelu", "gelu", {"approximate": "tanh"}, None, 20),
    ("Acos", "acos", {}, (-1.0, 1.0), 17),
    ("Asin", "asin", {}, (-1.0, 1.0), 17),
    ("Atan", "atan", {}, None, 17),
]


@pytest.mark.parametrize("case", UNARY_CASES,
                         ids=[f"{c[1]}{'_' + '_'.join(map(str, c[2].values())) if c[2] else ''}"
                              for c in UNARY_CASES])
@pytest.mark.parametrize("shape", [(2, 5, 3, 7), (1, 4, 3, 8)], ids=["odd", "by_four"])
def test_unary(case: tuple, shape: tuple[int, ...], make_opencl_delegate: Callable[..., Any]
               ) -> None:
    """Odd counts run one element a work item, multiples of four four at a time (fp32)."""
    onnx_op, op, attrs, value_range, opset = case
    model = onnx_model([helper.make_node(onnx_op, ["x"], ["y"], **attrs)], {"x": shape},
                       opset=opset)
    if value_range is None:
        feed = [random_inputs([shape], seed=3)[0] * 3]
    else:
        feed = random_inputs([shape], 3, *value_range)
    check_ops(model, feed, make_opencl_delegate, op)


def test_round_halves_to_even(make_opencl_delegate: Callable[..., Any]) -> None:
    x = (np.arange(-40, 40, dtype=np.float32) / 4).reshape(1, 4, 4, 5)
    model = onnx_model([helper.make_node("Round", ["x"], ["y"])], {"x": x.shape})
    check_ops(model, [x], make_opencl_delegate, "round")


# Clip bounds: (min, max, Emberlite op); min > max gives max everywhere, as ONNX's Clip
CLIPS = [(0.0, 6.0, "relu6"), (-0.5, 1.5, "clamp"), (1.0, -1.0, "clamp")]


@pytest.mark.parametrize("bounds", CLIPS, ids=["relu6", "clamp", "min_above_max"])
def test_clip(bounds: tuple[float, float, str], make_opencl_delegate: Callable[..., Any]
              ) -> None:
    lo, hi, op = bounds
    model = onnx_model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], {"x": (1, 3, 4, 5)},
                       {"lo": np.array(lo, np.float32), "hi": np.array(hi, np.float32)})
    check_ops(model, [random_inputs([(1, 3, 4, 5)])[0] * 4], make_opencl_delegate, op)


@pytest.mark.parametrize("onnx_op,op,extra", [
    ("Relu", "relu", {}), ("LeakyRelu", "leaky_relu", {}), ("Clip", "clamp", {}),
    ("HardSigmoid", "hard_sigmoid", {}), ("Max", "maximum", {}), ("Min", "minimum", {}),
], ids=["relu", "leaky_relu", "clamp", "hard_sigmoid", "maximum", "minimum"])
def test_nan_follows_cpu(onnx_op: str, op: str, extra: dict,
                         make_opencl_delegate: Callable[..., Any]) -> None:
    """NaNs in the input come out where and as the CPU's kernels put them (the kernels
    compare as the CPU does instead of calling fmax/fmin/clamp, which drop NaNs)."""
    x = random_inputs([(1, 2, 3, 4)])[0]
    x[0, 0, 1, :] = np.nan
    inputs, inits = ["x"], {}
    if onnx_op == "Clip":
        inputs, inits = ["x", "lo", "hi"], {"lo": np.array(-0.5, np.float32),
                                             "hi": np.array(0.5, np.float32)}
    if onnx_op in ("Max", "Min"):
        inputs, inits = ["x", "c"], {"c": np.full((1, 2, 1, 1), 0.1, np.float32)}
    model = onnx_model([helper.make_node(onnx_op, inputs, ["y"], **extra)], {"x": x.shape}, inits)
    check_ops(model, [x], make_opencl_delegate, op)


# ---- pooling ----

# (id, ONNX op, input NCHW, attributes)
POOL_CASES = [
    ("max_3x3_s2_pad1", "MaxPool", (1, 5, 9, 8), {"kernel_shape": [3, 3], "strides": [2, 2],
                                                   "pads": [1, 1, 1, 1]}),
    ("max_2x2", "MaxPool", (2, 3, 6, 6), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ("max_dilated_asymmetric", "MaxPool", (1, 4, 10, 9), {"kernel_shape": [3, 2],
                                                          "dilations": [2, 3],
                                                          "pads": [2, 0, 1, 2]}),
    ("max_ceil_mode", "MaxPool", (1, 3, 7, 7), {"kernel_shape": [2, 2], "strides": [2, 2],
                                                "ceil_mode": 1}),
    ("avg_exclude_pad", "AveragePool", (1, 5, 9, 8), {"kernel_shape": [3, 3],
                                                      "strides": [2, 2],
                                                      "pads": [1, 1, 1, 1]}),
    ("avg_include_pad", "AveragePool", (2, 4, 7, 6), {"kernel_shape": [3, 3],
                                                      "pads": [1, 2, 1, 0],
                                                      "count_include_pad": 1}),
    ("avg_5x5_s1", "AveragePool", (1, 6, 8, 8), {"kernel_shape": [5, 5]}),
    ("avg_ceil_mode", "AveragePool", (1, 3, 7, 8), {"kernel_shape": [3, 3], "strides": [2, 2],
                                                    "ceil_mode": 1}),
]


@pytest.mark.parametrize("case", POOL_CASES, ids=[c[0] for c in POOL_CASES])
def test_pool(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, onnx_op, shape, attrs = case
    model = onnx_model([helper.make_node(onnx_op, ["x"], ["y"], **attrs)], {"x": shape})
    op = "max_pool2d" if onnx_op == "MaxPool" else "average_pool2d"
    check_ops(model, random_inputs([shape]), make_opencl_delegate, op)


@pytest.mark.parametrize("onnx_op", ["MaxPool", "AveragePool"])
def test_pool_fused_relu(onnx_op: str, make_opencl_delegate: Callable[..., Any]) -> None:
    model = onnx_model([helper.make_node(onnx_op, ["x"], ["p"], kernel_shape=[3, 3], pads=[1] * 4),
                        helper.make_node("Relu", ["p"], ["y"])], {"x": (1, 4, 6, 5)})
    op = "max_pool2d" if onnx_op == "MaxPool" else "average_pool2d"
    placements = check_ops(model, random_inputs([(1, 4, 6, 5)]), make_opencl_delegate, op)
    assert len(placements) in (1, 2), placements


# ---- reductions ----

# (id, ONNX op, input NCHW, axes, keepdims)
REDUCE_CASES = [
    ("mean_spatial_keep", "ReduceMean", (2, 8, 5, 7), [2, 3], 1),
    ("mean_spatial_drop", "ReduceMean", (2, 8, 5, 7), [2, 3], 0),
    ("mean_channels", "ReduceMean", (1, 6, 4, 5), [1], 1),
    ("mean_batch_and_h", "ReduceMean", (3, 4, 5, 6), [0, 2], 0),
    ("mean_all", "ReduceMean", (2, 3, 4, 5), [0, 1, 2, 3], 0),
    ("mean_rank2_last", "ReduceMean", (7, 33), [1], 1),
    ("mean_rank3_middle", "ReduceMean", (4, 9, 5), [1], 0),
    ("sum_spatial", "ReduceSum", (1, 5, 6, 6), [2, 3], 1),
    ("max_channels", "ReduceMax", (2, 6, 3, 4), [1], 0),
    ("min_rank3", "ReduceMin", (3, 4, 5), [0, 2], 1),
    ("prod_rank2", "ReduceProd", (6, 4), [1], 0),
]
REDUCE_OPS = {"ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "reduce_max",
              "ReduceMin": "reduce_min", "ReduceProd": "reduce_prod"}


@pytest.mark.parametrize("case", REDUCE_CASES, ids=[c[0] for c in REDUCE_CASES])
def test_reduce(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, onnx_op, shape, axes, keepdims = case
    # opset 18: axes are an input of every reduction (here a constant, stored as params)
    model = onnx_model([helper.make_node(onnx_op, ["x", "axes"], ["y"], keepdims=keepdims)],
                       {"x": shape}, {"axes": np.array(axes, np.int64)}, opset=18)
    check_ops(model, random_inputs([shape], seed=7), make_opencl_delegate, REDUCE_OPS[onnx_op])


def test_global_average_pool(make_opencl_delegate: Callable[..., Any]) -> None:
    """The end of most CNNs: the spatial mean of a large map, then a flatten."""
    model = onnx_model([helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                        helper.make_node("Flatten", ["g"], ["y"])], {"x": (1, 64, 14, 14)})
    check_ops(model, random_inputs([(1, 64, 14, 14)]), make_opencl_delegate, "mean")


def test_mean_large_map(make_opencl_delegate: Callable[..., Any]) -> None:
    """The mean of 16K positive cells per channel, as after a ReLU (sums far from zero)."""
    model = onnx_model([helper.make_node("GlobalAveragePool", ["x"], ["y"])],
                       {"x": (1, 3, 128, 128)})
    check_ops(model, random_inputs([(1, 3, 128, 128)], 4, 0.0, 1.0), make_opencl_delegate, "mean")


# ---- softmax ----

# (id, input shape, axis, ONNX op)
SOFTMAX_CASES = [
    ("rank2_last", (3, 1000), -1, "Softmax"),
    ("rank2_first", (7, 5), 0, "Softmax"),
    ("rank4_channels", (2, 10, 3, 4), 1, "Softmax"),
    ("rank4_height", (1, 4, 6, 5), 2, "Softmax"),
    ("rank3_middle", (2, 9, 4), 1, "Softmax"),
    ("log_rank2", (4, 17), -1, "LogSoftmax"),
    ("log_rank4_channels", (1, 6, 2, 3), 1, "LogSoftmax"),
]


@pytest.mark.parametrize("case", SOFTMAX_CASES, ids=[c[0] for c in SOFTMAX_CASES])
def test_softmax(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shape, axis, onnx_op = case
    model = onnx_model([helper.make_node(onnx_op, ["x"], ["y"], axis=axis)], {"x": shape})
    # logits up to +-30: the max subtraction keeps exp in range
    x = random_inputs([shape], seed=11)[0] * 10
    check_ops(model, [x], make_opencl_delegate,
              "softmax" if onnx_op == "Softmax" else "log_softmax")


def test_softmax_beta(make_opencl_delegate: Callable[..., Any]) -> None:
    """Softmax(beta * x) from TFLite's SOFTMAX with beta, in the file's own terms."""
    from emberlite.converter.ops.softmax import SoftmaxParams

    model = ir_model(OpType.SOFTMAX, {"x": (3, 12)}, {}, SoftmaxParams(axis=1, beta=0.4))
    check_file(model, [random_inputs([(3, 12)])[0] * 5], make_opencl_delegate, "softmax")


@pytest.mark.parametrize("shape", [(3, 10), (2, 3, 4, 6)], ids=["rank2", "rank4"])
def test_l2_normalization(shape: tuple[int, ...], make_opencl_delegate: Callable[..., Any]
                          ) -> None:
    """Along the last axis (TFLite's L2_NORMALIZATION; ONNX's LpNormalization imports as
    its parts), a row of zeros included: the 1e-6 floor on the norm."""
    x = random_inputs([shape], seed=6)[0]
    x.reshape(-1, shape[-1])[1] = 0.0
    model = ir_model(OpType.L2_NORMALIZATION, {"x": shape}, {})
    check_file(model, [x], make_opencl_delegate, "l2_normalization")


# ---- partitions and refusals ----

def test_graph_split_around_missing_op(make_opencl_delegate: Callable[..., Any]) -> None:
    """A CumSum (which the delegate lacks) between float ops: two partitions on the delegate,
    the CumSum on the CPU with a reason naming it, and the CPU's numbers."""
    model = onnx_model([helper.make_node("Mul", ["x", "w"], ["a"]),
                        helper.make_node("Sigmoid", ["a"], ["b"]),
                        helper.make_node("CumSum", ["b", "axis"], ["c"]),
                        helper.make_node("Sub", ["c", "w"], ["d"]),
                        helper.make_node("Tanh", ["d"], ["y"])],
                       {"x": (3, 8)}, {"w": np.linspace(-1, 1, 8, dtype=np.float32),
                                       "axis": np.array(1, np.int64)})
    converted = Converter.from_onnx(model).convert()
    feed = random_inputs([(3, 8)])
    got, placements, interp = run_delegated(converted, feed, make_opencl_delegate())
    ops = [p["op"] for p in placements]
    assert ops == ["mul", "sigmoid", "cum_sum", "sub", "tanh"], ops
    assert [p["delegate"] for p in placements] == ["opencl", "opencl", None, "opencl", "opencl"]
    assert placements[0]["partition"] == placements[1]["partition"]
    assert placements[3]["partition"] == placements[4]["partition"] != placements[0]["partition"]
    assert "cum_sum" in placements[2]["reason"], placements[2]
    err = rel_err(got[0], run_ember(converted, feed)[0])
    assert err <= FP32_BOUND


def test_int64_nodes_stay_on_cpu(opencl_delegate: Any) -> None:
    """Integer nodes in the middle: an op the delegate lacks (arg_max) and one it has but
    only for float32 (an int64 add), each with its reason; the float ops around them run on
    the delegate."""
    model = onnx_model([helper.make_node("Relu", ["x"], ["r"]),
                        helper.make_node("ArgMax", ["r"], ["i"], axis=1, keepdims=0),
                        helper.make_node("Add", ["i", "one"], ["j"]),
                        helper.make_node("Cast", ["j"], ["f"], to=TensorProto.FLOAT),
                        helper.make_node("Sigmoid", ["f"], ["y"])], {"x": (4, 6)},
                       {"one": np.array(1, np.int64)})
    converted = Converter.from_onnx(model).convert()
    feed = random_inputs([(4, 6)])
    got, placements, _ = run_delegated(converted, feed, opencl_delegate)
    by_op = {p["op"]: p for p in placements}
    assert by_op["relu"]["delegate"] == "opencl" and by_op["sigmoid"]["delegate"] == "opencl"
    assert by_op["arg_max"]["delegate"] is None, placements
    assert "arg_max" in by_op["arg_max"]["reason"], placements
    assert by_op["add"]["delegate"] is None, placements
    assert "int64" in by_op["add"]["reason"] and "float32" in by_op["add"]["reason"], placements
    np.testing.assert_array_equal(got[0], run_ember(converted, feed)[0])
