"""The OpenCL delegate's ops other than the convolutions (csrc/delegates/opencl/ops_*.c,
kernels/elementwise.cl, pool.cl, layout.cl): element-wise binary ops with broadcasting, the
activations and math functions, pooling, reductions, softmax, resize, concatenation, reshape,
transpose, slice and pad. Each case is a small ONNX graph (onnx.helper) converted with
channels-last edges; the oracle is the CPU interpreter on the same file: float32 within
FP32_BOUND x max|CPU output|, precision=fp16 within FP16_BOUND. Every case checks that the op
it is about is in the converted graph and that every node ran on the delegate. The last tests
check a graph split around an op the delegate lacks, and the reasons of refused nodes."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.ir import DType, Graph, Node, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.passes.infer_shapes import infer_shapes
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import run_ember

FP32_BOUND = 1e-4
# fp16 stores every activation and constant in half (each value within 4.9e-4 relative) and
# computes in float. These ops' outputs are within a few roundings of their inputs' (exp and
# the mean of a few dozen values amplify them a few times), so 1e-2 x max|output| holds
# with room, while an indexing mistake (a wrong cell, channel or axis) is off by O(1).
FP16_BOUND = 1e-2


def _model(nodes: list[onnx.NodeProto], inputs: dict[str, tuple[int, ...]],
           inits: dict[str, np.ndarray] | None = None, opset: int = 17,
           outputs: tuple[str, ...] = ("y",)) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "opencl_ops",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        [numpy_helper.from_array(v, n) for n, v in (inits or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    return model


def _feed(shapes: list[tuple[int, ...]], seed: int = 0, low: float | None = None,
          high: float | None = None) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if low is None:
        return [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return [rng.uniform(low, high, s).astype(np.float32) for s in shapes]


def _rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """max|got - want| / max|want| over the finite outputs; NaNs and infinities must sit in
    the same places with the same values (the delegate repeats the CPU's NaN rules)."""
    special = ~np.isfinite(want)
    np.testing.assert_array_equal(got[special], want[special])
    assert np.all(np.isfinite(got[~special])), "the delegate made a NaN or inf the CPU did not"
    if not np.any(~special):
        return 0.0
    w = want[~special].astype(np.float64)
    scale = float(np.max(np.abs(w))) or 1.0
    return float(np.max(np.abs(got[~special].astype(np.float64) - w))) / scale


def _run(model: bytes, feed: list[np.ndarray], delegate: Any
         ) -> tuple[list[np.ndarray], list[dict[str, Any]], Interpreter]:
    interp = Interpreter(model_content=model, experimental_delegates=[delegate])
    interp.allocate_tensors()
    return run_ember(model, feed, interpreter=interp), interp.node_placements(), interp


def check_ops(model: onnx.ModelProto, feed: list[np.ndarray],
              make_delegate: Callable[..., Any], op: str, fp16_bound: float = FP16_BOUND,
              activation: int | None = None) -> list[dict[str, Any]]:
    """Converts `model`, runs it on the CPU and on the delegate in fp32 and fp16, and checks
    that `op` is in the graph, that every node ran on the delegate, and the outputs."""
    return check_file(Converter.from_onnx(model, io_layout="nhwc").convert(), feed,
                      make_delegate, op, fp16_bound, activation)


def check_file(converted: bytes, feed: list[np.ndarray], make_delegate: Callable[..., Any],
               op: str, fp16_bound: float = FP16_BOUND, activation: int | None = None
               ) -> list[dict[str, Any]]:
    """check_ops for a converted file."""
    want = run_ember(converted, feed)
    placements: list[dict[str, Any]] = []
    for precision, bound in (("fp32", FP32_BOUND), ("fp16", fp16_bound)):
        got, placements, interp = _run(converted, feed, make_delegate(precision=precision))
        ops = [p["op"] for p in placements]
        assert op in ops, ops
        assert all(p["delegate"] == "opencl" for p in placements), placements
        if activation is not None:
            assert interp.node_param(ops.index(op), "activation") == activation
        for g, w in zip(got, want, strict=True):
            assert g.shape == w.shape
            err = _rel_err(g, w)
            assert err <= bound, f"{precision}: max|diff| = {err:.3g} x max|CPU output|"
    return placements


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
    model = _model([helper.make_node(onnx_op, ["a", "b"], ["y"])],
                   {"a": a_shape, "b": b_shape})
    a, b = _feed([a_shape, b_shape], seed=len(a_shape))
    if onnx_op == "Div":  # divisors away from 0: |b| in [0.5, 2]
        b = (np.sign(b) + (b == 0)) * (0.5 + np.abs(b) % 1.5)
    check_ops(model, [a, b.astype(np.float32)], make_opencl_delegate, BINARY_OPS[onnx_op])


@pytest.mark.parametrize("b_shape", [(2, 3, 4, 5), (1, 3, 1, 1), ()],
                         ids=["same", "per_channel", "scalar"])
def test_pow(b_shape: tuple[int, ...], make_opencl_delegate: Callable[..., Any]) -> None:
    model = _model([helper.make_node("Pow", ["a", "b"], ["y"])],
                   {"a": (2, 3, 4, 5), "b": b_shape})
    a = _feed([(2, 3, 4, 5)], 1, 0.5, 2.0)[0]
    a[0, 0, 0, :] = [-2.0, 0.0, 1.0, -1.5, 3.0]  # a negative base: NaN unless b is whole
    b = _feed([b_shape], 2)[0] * 2
    check_ops(model, [a, b], make_opencl_delegate, "pow")


@pytest.mark.parametrize("constant", ["per_channel", "scalar"])
def test_binary_constant_operand(constant: str, make_opencl_delegate: Callable[..., Any]
                                 ) -> None:
    """A weight operand: uploaded once at prepare (converted to half in fp16)."""
    w = np.float32(0.75) if constant == "scalar" else \
        np.linspace(-1, 1, 6, dtype=np.float32).reshape(1, 6, 1, 1)
    model = _model([helper.make_node("Mul", ["x", "w"], ["y"])], {"x": (1, 6, 5, 4)},
                   {"w": np.asarray(w)})
    check_ops(model, _feed([(1, 6, 5, 4)]), make_opencl_delegate, "mul")


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
    model = _model([helper.make_node(onnx_op, ["a", "b"], ["s"])] + nodes,
                   {"a": (1, 4, 3, 5), "b": (1, 4, 1, 1)}, inits)
    a, b = _feed([(1, 4, 3, 5), (1, 4, 1, 1)], low=0.5, high=4.0)
    check_ops(model, [a * 3 - 6, b], make_opencl_delegate, BINARY_OPS[onnx_op], activation=act)


def _ir_model(op: OpType, x_shape: tuple[int, ...], consts: dict[str, np.ndarray],
              params: Any = None) -> bytes:
    """One `op` node in the file format's own terms, for ops ONNX spells otherwise (ONNX's
    PRelu imports as less/mul/where): input x, constant inputs `consts`, output y."""
    tensors = {"x": Tensor("x", DType.FLOAT32, x_shape), "y": Tensor("y", DType.FLOAT32, None)}
    for name, value in consts.items():
        value = value.astype(np.float32)
        value.flags.writeable = False
        tensors[name] = Tensor(name, DType.FLOAT32, value.shape, value)
    graph = Graph(tensors, [Node(op, op.name.lower(), ["x", *consts], ["y"], params)], ["x"],
                  ["y"])
    graph = infer_shapes(graph)
    return serialize(graph, plan_memory(graph))


@pytest.mark.parametrize("alpha_shape", [(4,), (3, 1, 4), (1, 1, 5, 1)],
                         ids=["per_channel", "rows_channels", "per_column"])
def test_prelu(alpha_shape: tuple[int, ...], make_opencl_delegate: Callable[..., Any]) -> None:
    rng = np.random.default_rng(5)
    model = _ir_model(OpType.PRELU, (2, 3, 5, 4),
                      {"alpha": rng.uniform(-1, 2, alpha_shape).astype(np.float32)})
    check_file(model, _feed([(2, 3, 5, 4)]), make_opencl_delegate, "prelu")


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
]


@pytest.mark.parametrize("case", UNARY_CASES,
                         ids=[f"{c[1]}{'_' + '_'.join(map(str, c[2].values())) if c[2] else ''}"
                              for c in UNARY_CASES])
@pytest.mark.parametrize("shape", [(2, 5, 3, 7), (1, 4, 3, 8)], ids=["odd", "by_four"])
def test_unary(case: tuple, shape: tuple[int, ...], make_opencl_delegate: Callable[..., Any]
               ) -> None:
    """Odd counts run one element a work item, multiples of four four at a time (fp32)."""
    onnx_op, op, attrs, value_range, opset = case
    model = _model([helper.make_node(onnx_op, ["x"], ["y"], **attrs)], {"x": shape},
                   opset=opset)
    feed = _feed([shape], seed=3) if value_range is None else _feed([shape], 3, *value_range)
    if value_range is None:
        feed = [feed[0] * 3]
    check_ops(model, feed, make_opencl_delegate, op)


def test_round_halves_to_even(make_opencl_delegate: Callable[..., Any]) -> None:
    x = (np.arange(-40, 40, dtype=np.float32) / 4).reshape(1, 4, 4, 5)
    model = _model([helper.make_node("Round", ["x"], ["y"])], {"x": x.shape})
    check_ops(model, [x], make_opencl_delegate, "round")


# Clip bounds: (min, max, Emberlite op); min > max gives max everywhere, as ONNX's Clip
CLIPS = [(0.0, 6.0, "relu6"), (-0.5, 1.5, "clamp"), (1.0, -1.0, "clamp")]


@pytest.mark.parametrize("bounds", CLIPS, ids=["relu6", "clamp", "min_above_max"])
def test_clip(bounds: tuple[float, float, str], make_opencl_delegate: Callable[..., Any]
              ) -> None:
    lo, hi, op = bounds
    model = _model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], {"x": (1, 3, 4, 5)},
                   {"lo": np.array(lo, np.float32), "hi": np.array(hi, np.float32)})
    check_ops(model, [_feed([(1, 3, 4, 5)])[0] * 4], make_opencl_delegate, op)


@pytest.mark.parametrize("onnx_op,op,extra", [
    ("Relu", "relu", {}), ("LeakyRelu", "leaky_relu", {}), ("Clip", "clamp", {}),
    ("HardSigmoid", "hard_sigmoid", {}), ("Max", "maximum", {}), ("Min", "minimum", {}),
], ids=["relu", "leaky_relu", "clamp", "hard_sigmoid", "maximum", "minimum"])
def test_nan_follows_cpu(onnx_op: str, op: str, extra: dict,
                         make_opencl_delegate: Callable[..., Any]) -> None:
    """NaNs in the input come out where and as the CPU's kernels put them (the kernels
    compare as the CPU does instead of calling fmax/fmin/clamp, which drop NaNs)."""
    x = _feed([(1, 2, 3, 4)])[0]
    x[0, 0, 1, :] = np.nan
    inputs, inits = ["x"], {}
    if onnx_op == "Clip":
        inputs, inits = ["x", "lo", "hi"], {"lo": np.array(-0.5, np.float32),
                                             "hi": np.array(0.5, np.float32)}
    if onnx_op in ("Max", "Min"):
        inputs, inits = ["x", "c"], {"c": np.full((1, 2, 1, 1), 0.1, np.float32)}
    model = _model([helper.make_node(onnx_op, inputs, ["y"], **extra)], {"x": x.shape}, inits)
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
    model = _model([helper.make_node(onnx_op, ["x"], ["y"], **attrs)], {"x": shape})
    op = "max_pool2d" if onnx_op == "MaxPool" else "average_pool2d"
    check_ops(model, _feed([shape]), make_opencl_delegate, op)


@pytest.mark.parametrize("onnx_op", ["MaxPool", "AveragePool"])
def test_pool_fused_relu(onnx_op: str, make_opencl_delegate: Callable[..., Any]) -> None:
    model = _model([helper.make_node(onnx_op, ["x"], ["p"], kernel_shape=[3, 3], pads=[1] * 4),
                    helper.make_node("Relu", ["p"], ["y"])], {"x": (1, 4, 6, 5)})
    op = "max_pool2d" if onnx_op == "MaxPool" else "average_pool2d"
    placements = check_ops(model, _feed([(1, 4, 6, 5)]), make_opencl_delegate, op)
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
    model = _model([helper.make_node(onnx_op, ["x", "axes"], ["y"], keepdims=keepdims)],
                   {"x": shape}, {"axes": np.array(axes, np.int64)}, opset=18)
    check_ops(model, _feed([shape], seed=7), make_opencl_delegate, REDUCE_OPS[onnx_op])


def test_global_average_pool(make_opencl_delegate: Callable[..., Any]) -> None:
    """The end of most CNNs: the spatial mean of a large map, then a flatten."""
    model = _model([helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                    helper.make_node("Flatten", ["g"], ["y"])], {"x": (1, 64, 14, 14)})
    check_ops(model, _feed([(1, 64, 14, 14)]), make_opencl_delegate, "mean")


def test_mean_large_map(make_opencl_delegate: Callable[..., Any]) -> None:
    """The mean of 16K positive cells per channel, as after a ReLU (sums far from zero)."""
    model = _model([helper.make_node("GlobalAveragePool", ["x"], ["y"])],
                   {"x": (1, 3, 128, 128)})
    check_ops(model, _feed([(1, 3, 128, 128)], 4, 0.0, 1.0), make_opencl_delegate, "mean")


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
    model = _model([helper.make_node(onnx_op, ["x"], ["y"], axis=axis)], {"x": shape})
    # logits up to +-30: the max subtraction keeps exp in range
    x = _feed([shape], seed=11)[0] * 10
    check_ops(model, [x], make_opencl_delegate,
              "softmax" if onnx_op == "Softmax" else "log_softmax")


def test_softmax_beta(make_opencl_delegate: Callable[..., Any]) -> None:
    """Softmax(beta * x) from TFLite's SOFTMAX with beta, in the file's own terms."""
    from emberlite.converter.ops.softmax import SoftmaxParams

    model = _ir_model(OpType.SOFTMAX, (3, 12), {}, SoftmaxParams(axis=1, beta=0.4))
    check_file(model, [_feed([(3, 12)])[0] * 5], make_opencl_delegate, "softmax")


# ---- resize ----

# (id, input NCHW, scales (H, W), Resize attributes, opset)
RESIZE_CASES = [
    ("nearest_asymmetric_floor", (1, 3, 4, 5), (2.0, 2.0),
     {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
      "nearest_mode": "floor"}, 13),
    ("nearest_half_pixel_prefer_floor", (1, 3, 5, 4), (1.6, 2.5),
     {"mode": "nearest"}, 13),
    ("nearest_half_pixel_prefer_ceil", (2, 2, 5, 6), (1.4, 0.5),
     {"mode": "nearest", "nearest_mode": "round_prefer_ceil"}, 13),
    ("nearest_align_corners_ceil", (1, 2, 4, 4), (1.75, 2.0),
     {"mode": "nearest", "coordinate_transformation_mode": "align_corners",
      "nearest_mode": "ceil"}, 13),
    ("linear_half_pixel", (1, 3, 4, 5), (2.0, 2.0), {"mode": "linear"}, 13),
    ("linear_align_corners", (2, 4, 5, 3), (1.6, 3.0),
     {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, 13),
    ("linear_asymmetric", (1, 2, 6, 6), (1.5, 0.5),
     {"mode": "linear", "coordinate_transformation_mode": "asymmetric"}, 13),
    ("linear_pytorch_half_pixel", (1, 3, 4, 7), (2.0, 1.0 / 7.0),
     {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, 13),
    ("linear_downsample", (1, 2, 9, 8), (0.5, 0.75), {"mode": "linear"}, 13),
    ("cubic", (1, 2, 5, 6), (2.0, 1.5), {"mode": "cubic"}, 13),
    ("cubic_exclude_outside", (1, 2, 5, 5), (1.6, 2.0),
     {"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5}, 13),
    ("linear_antialias", (1, 3, 12, 10), (0.5, 0.4), {"mode": "linear", "antialias": 1}, 18),
]


@pytest.mark.parametrize("case", RESIZE_CASES, ids=[c[0] for c in RESIZE_CASES])
def test_resize(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shape, (sh, sw), attrs, opset = case
    model = _model([helper.make_node("Resize", ["x", "", "scales"], ["y"], **attrs)],
                   {"x": shape}, {"scales": np.array([1, 1, sh, sw], np.float32)}, opset)
    check_ops(model, _feed([shape], seed=2), make_opencl_delegate, "resize")


def test_resize_runtime_scales_stay_on_cpu(opencl_delegate: Any) -> None:
    """Scales given at run time: the delegate refuses the node and says why."""
    graph = helper.make_graph(
        [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest")], "resize",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 2, 3, 4)),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, (4,))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 2, 6, 8))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    converted = Converter.from_onnx(model, io_layout="nhwc").convert()
    feed = _feed([(1, 2, 3, 4)]) + [np.array([1, 1, 2, 2], np.float32)]
    got, placements, _ = _run(converted, feed, opencl_delegate)
    resize = [p for p in placements if p["op"] == "resize"]
    assert resize and resize[0]["delegate"] is None, placements
    assert "run time" in resize[0]["reason"], resize
    np.testing.assert_array_equal(got[0], run_ember(converted, feed)[0])


# ---- concatenation, reshape, transpose, slice, pad ----

# (id, input shapes, axis)
CONCAT_CASES = [
    ("channels", [(1, 3, 4, 5), (1, 5, 4, 5), (1, 1, 4, 5)], 1),
    ("height", [(2, 3, 2, 5), (2, 3, 6, 5)], 2),
    ("width", [(1, 2, 3, 4), (1, 2, 3, 1), (1, 2, 3, 3)], 3),
    ("batch", [(1, 3, 2, 2), (2, 3, 2, 2)], 0),
    ("rank2_last", [(4, 3), (4, 7)], -1),
    ("rank3_first", [(2, 3, 4), (1, 3, 4)], 0),
]


@pytest.mark.parametrize("case", CONCAT_CASES, ids=[c[0] for c in CONCAT_CASES])
def test_concatenation(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shapes, axis = case
    names = [f"x{i}" for i in range(len(shapes))]
    model = _model([helper.make_node("Concat", names, ["y"], axis=axis)],
                   dict(zip(names, shapes)))
    check_ops(model, _feed(shapes), make_opencl_delegate, "concatenation")


def test_concatenation_fused_relu6(make_opencl_delegate: Callable[..., Any]) -> None:
    model = _model([helper.make_node("Concat", ["a", "b"], ["c"], axis=1),
                    helper.make_node("Clip", ["c", "lo", "hi"], ["y"])],
                   {"a": (1, 2, 3, 3), "b": (1, 4, 3, 3)},
                   {"lo": np.array(0.0, np.float32), "hi": np.array(6.0, np.float32)})
    a, b = _feed([(1, 2, 3, 3), (1, 4, 3, 3)])
    check_ops(model, [a * 5, b * 5], make_opencl_delegate, "concatenation")


def test_reshape(make_opencl_delegate: Callable[..., Any]) -> None:
    model = _model([helper.make_node("Reshape", ["x", "shape"], ["r"]),
                    helper.make_node("Relu", ["r"], ["y"])], {"x": (2, 12, 5)},
                   {"shape": np.array([6, -1], np.int64)})
    check_ops(model, _feed([(2, 12, 5)]), make_opencl_delegate, "reshape")


# (id, input shape, perm): rank 3 and 2, which the channels-last conversion leaves alone
TRANSPOSE_CASES = [
    ("rank3_201", (3, 4, 5), (2, 0, 1)),
    ("rank3_021", (2, 7, 3), (0, 2, 1)),
    ("rank2", (6, 9), (1, 0)),
    ("rank5", (2, 3, 1, 4, 5), (0, 4, 2, 1, 3)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=[c[0] for c in TRANSPOSE_CASES])
def test_transpose(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shape, perm = case
    model = _model([helper.make_node("Transpose", ["x"], ["t"], perm=list(perm)),
                    helper.make_node("Neg", ["t"], ["y"])], {"x": shape})
    check_ops(model, _feed([shape]), make_opencl_delegate, "transpose")


@pytest.mark.parametrize("perm", [(0, 2, 3, 1), (0, 3, 1, 2), (3, 2, 1, 0)],
                         ids=["nchw_to_nhwc", "nhwc_to_nchw", "reversed"])
def test_transpose_rank4(perm: tuple[int, ...], make_opencl_delegate: Callable[..., Any]
                         ) -> None:
    """CNN exports start with NCHW -> NHWC; in the file's own terms (the converter would
    fold a Transpose next to the channels-last graph inputs)."""
    from emberlite.converter.ops.transpose import TransposeParams

    model = _ir_model(OpType.TRANSPOSE, (2, 3, 4, 5), {}, TransposeParams(perm=list(perm)))
    check_file(model, _feed([(2, 3, 4, 5)]), make_opencl_delegate, "transpose")


def test_slice(make_opencl_delegate: Callable[..., Any]) -> None:
    model = _model([helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["s"]),
                    helper.make_node("Neg", ["s"], ["y"])], {"x": (4, 10, 9)},
                   {"starts": np.array([1, 8, 0], np.int64),
                    "ends": np.array([4, 1, 9], np.int64),
                    "axes": np.array([0, 1, 2], np.int64),
                    "steps": np.array([2, -3, 2], np.int64)})
    check_ops(model, _feed([(4, 10, 9)]), make_opencl_delegate, "slice")


# (id, input shape, axis, piece sizes)
SPLIT_CASES = [
    ("channels", (1, 7, 3, 4), 1, [2, 4, 1]),
    ("width", (2, 3, 4, 6), 3, [3, 3]),
    ("rank3_last", (2, 5, 9), -1, [4, 5]),
    ("rank2_first", (6, 4), 0, [1, 2, 3]),
]


@pytest.mark.parametrize("case", SPLIT_CASES, ids=[c[0] for c in SPLIT_CASES])
def test_split(case: tuple, make_opencl_delegate: Callable[..., Any]) -> None:
    _, shape, axis, pieces = case
    outs = tuple(f"y{i}" for i in range(len(pieces)))
    model = _model([helper.make_node("Split", ["x", "pieces"], list(outs), axis=axis)],
                   {"x": shape}, {"pieces": np.array(pieces, np.int64)}, outputs=outs)
    check_ops(model, _feed([shape]), make_opencl_delegate, "split")


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad(mode: str, make_opencl_delegate: Callable[..., Any]) -> None:
    inputs = ["x", "pads"] + (["value"] if mode == "constant" else [])
    model = _model([helper.make_node("Pad", inputs, ["p"], mode=mode),
                    helper.make_node("Neg", ["p"], ["y"])], {"x": (2, 5, 4)},
                   {"pads": np.array([0, 2, 1, 1, 3, 2], np.int64),
                    "value": np.array(1.5, np.float32)})
    check_ops(model, _feed([(2, 5, 4)]), make_opencl_delegate, "pad")


# ---- partitions and refusals ----

def test_graph_split_around_missing_op(make_opencl_delegate: Callable[..., Any]) -> None:
    """A CumSum (which the delegate lacks) between float ops: two partitions on the delegate,
    the CumSum on the CPU with a reason naming it, and the CPU's numbers."""
    model = _model([helper.make_node("Mul", ["x", "w"], ["a"]),
                    helper.make_node("Sigmoid", ["a"], ["b"]),
                    helper.make_node("CumSum", ["b", "axis"], ["c"]),
                    helper.make_node("Sub", ["c", "w"], ["d"]),
                    helper.make_node("Tanh", ["d"], ["y"])],
                   {"x": (3, 8)}, {"w": np.linspace(-1, 1, 8, dtype=np.float32),
                                   "axis": np.array(1, np.int64)})
    converted = Converter.from_onnx(model).convert()
    feed = _feed([(3, 8)])
    got, placements, interp = _run(converted, feed, make_opencl_delegate())
    ops = [p["op"] for p in placements]
    assert ops == ["mul", "sigmoid", "cum_sum", "sub", "tanh"], ops
    assert [p["delegate"] for p in placements] == ["opencl", "opencl", None, "opencl", "opencl"]
    assert placements[0]["partition"] == placements[1]["partition"]
    assert placements[3]["partition"] == placements[4]["partition"] != placements[0]["partition"]
    assert "cum_sum" in placements[2]["reason"], placements[2]
    err = _rel_err(got[0], run_ember(converted, feed)[0])
    assert err <= FP32_BOUND


def test_int64_nodes_stay_on_cpu(opencl_delegate: Any) -> None:
    """Integer nodes in the middle: an op the delegate lacks (arg_max) and one it has but
    only for float32 (an int64 add), each with its reason; the float ops around them run on
    the delegate."""
    model = _model([helper.make_node("Relu", ["x"], ["r"]),
                    helper.make_node("ArgMax", ["r"], ["i"], axis=1, keepdims=0),
                    helper.make_node("Add", ["i", "one"], ["j"]),
                    helper.make_node("Cast", ["j"], ["f"], to=TensorProto.FLOAT),
                    helper.make_node("Sigmoid", ["f"], ["y"])], {"x": (4, 6)},
                   {"one": np.array(1, np.int64)})
    converted = Converter.from_onnx(model).convert()
    feed = _feed([(4, 6)])
    got, placements, _ = _run(converted, feed, opencl_delegate)
    by_op = {p["op"]: p for p in placements}
    assert by_op["relu"]["delegate"] == "opencl" and by_op["sigmoid"]["delegate"] == "opencl"
    assert by_op["arg_max"]["delegate"] is None, placements
    assert "arg_max" in by_op["arg_max"]["reason"], placements
    assert by_op["add"]["delegate"] is None, placements
    assert "int64" in by_op["add"]["reason"] and "float32" in by_op["add"]["reason"], placements
    np.testing.assert_array_equal(got[0], run_ember(converted, feed)[0])
