"""Post-training int8 of each op family whose int8 kernel the quantizer uses (int8_rules.py):
a small ONNX model (onnx.helper, random weights) calibrated on random inputs must run with every
node int8 (no QUANTIZE/DEQUANTIZE, no float tensor), give outputs close to the float model's
on held-out inputs, and, for single-op models, give exactly what a numpy model of the int8
arithmetic (the kernel tests' models of LiteRT's reference kernels) computes from the params
the quantizer chose."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter import Converter
from emberlite.converter.importers.onnx import import_onnx
from emberlite.converter.ir import DType, Graph, Node
from emberlite.converter.ops import OpType
from emberlite.converter.ops.arg_max import ArgParams
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.passes import run_passes
from emberlite.converter.planner import plan_memory
from emberlite.converter.quantize.calibrate import calibrate
from emberlite.converter.quantize.quantize_int8 import quantize_int8
from emberlite.converter.writer import serialize
from tests.converter.ir_builder import GraphBuilder
from tests.kernels import test_int8_activations as act
from tests.kernels import test_int8_newops as newops
from tests.kernels import test_int8_add_sub, test_int8_mul
from tests.kernels.fixed_point import run_graph
from tests.kernels.fixed_point_exp import softmax_i8
from tests.kernels.int8_oracles import (batch_matmul_reference, l2_reference, mean_reference,
                                        sum_reference)
from tests.quantize.models import cosine, onnx_model, outputs, weight

F = TensorProto.FLOAT
CALIBRATION, HELD_OUT = 32, 16


def _info(name: str, shape: list[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, F, shape)


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, np.float32), name)


def _single(op: str, shape: list[int], inits: tuple = (), extra: tuple = (), **attrs
            ) -> onnx.ModelProto:
    """x (batch 1 and `shape`) -> op(x, *extra) -> y; the output shape is inferred."""
    node = helper.make_node(op, ["x", *extra], ["y"], name=op.lower(), **attrs)
    return onnx_model([node], [_info("x", [1, *shape])],
                      [helper.make_tensor_value_info("y", F, None)], list(inits))


def _params(g: Graph, name: str, key: str) -> dict:
    q = g.tensors[name].quant
    return {f"s_{key}": q.scale[0], f"zp_{key}": q.zero_point[0]}


def _io_params(g: Graph, node: Node) -> dict:
    return {**_params(g, node.inputs[0], "in"), **_params(g, node.outputs[0], "out")}


def _pair_params(g: Graph, node: Node) -> dict:
    return {**_params(g, node.inputs[0], "a"), **_params(g, node.inputs[1], "b"),
            **_params(g, node.outputs[0], "out")}


def _value(g: Graph, name: str, x: np.ndarray) -> np.ndarray:
    return x if g.tensors[name].data is None else np.asarray(g.tensors[name].data)


# A numpy model: (int8 graph, its compute node, int8 input) -> the int8 output.
Reference = Callable[[Graph, Node, np.ndarray], np.ndarray]


def _binary(numpy_model: Callable) -> Reference:
    def reference(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
        a, b = (_value(g, n, x) for n in node.inputs)
        return numpy_model(a, b, _pair_params(g, node), int(node.params.activation))
    return reference


def _relu_x(lo: float, hi: float) -> Reference:
    return lambda g, node, x: act.relu_x_reference(x, _io_params(g, node), lo, hi)


def _table(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
    return act.table_op_reference(node.op, x, _io_params(g, node))


def _mean(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
    keep = len(g.tensors[node.outputs[0]].shape) == x.ndim
    return mean_reference(x, node.params.axes, keep, _io_params(g, node))


def _softmax(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
    return softmax_i8(x, g.tensors[node.inputs[0]].quant.scale[0], node.params.beta,
                      node.params.axis)


def _matmul(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
    a, b = (_value(g, n, x) for n in node.inputs)
    p = node.params
    return batch_matmul_reference(a, b, p.adj_a, p.adj_b, _pair_params(g, node))


@dataclass(frozen=True)
class Case:
    model: Callable[[], onnx.ModelProto]
    shape: tuple[int, ...]
    op: OpType                      # the op under test: its node must be int8
    reference: Reference | None = None
    # Inputs uniform in [-scale, scale], so calibration sees the range held-out inputs have.
    scale: float = 4.0


def _conv_transpose() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    inits = [weight(rng, "w", 4, 6, 3, 3), weight(rng, "b", 6)]
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2],
                            pads=[1, 1, 1, 1], output_padding=[1, 1], name="up")
    return onnx_model([node], [_info("x", [1, 4, 5, 5])], [_info("y", [1, 6, 10, 10])], inits)


def _batch_matmul() -> onnx.ModelProto:
    # x @ x^T: both operands are run-time activations.
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 1, 3, 2], name="t"),
             helper.make_node("MatMul", ["x", "xt"], ["y"], name="gram")]
    return onnx_model(nodes, [_info("x", [1, 2, 5, 8])], [_info("y", [1, 2, 5, 5])], [])


def _residual_sub_mul() -> onnx.ModelProto:
    # conv branches with different ranges meet in SUB and MUL (the inputs' scales differ).
    rng = np.random.default_rng(1)
    inits = [weight(rng, "w1", 6, 3, 3, 3), weight(rng, "w2", 6, 3, 1, 1),
             _const("k", rng.uniform(0.5, 3.0, (1, 6, 1, 1)))]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1], name="conv_a"),
             helper.make_node("Conv", ["x", "w2"], ["b"], name="conv_b"),
             helper.make_node("Mul", ["b", "k"], ["bk"], name="scale"),
             helper.make_node("Sub", ["a", "bk"], ["d"], name="diff"),
             helper.make_node("Mul", ["d", "a"], ["y"], name="gate")]
    return onnx_model(nodes, [_info("x", [1, 3, 6, 6])], [_info("y", [1, 6, 6, 6])], inits)


def _mobile_block() -> onnx.ModelProto:
    # Conv -> HardSwish -> depthwise -> Sigmoid gate (squeeze-excite) -> GlobalAveragePool
    # -> Gemm -> Softmax: the ops of MobileNetV3-like heads together.
    rng = np.random.default_rng(2)
    inits = [weight(rng, "w1", 8, 3, 3, 3), weight(rng, "b1", 8),
             weight(rng, "dw", 8, 1, 3, 3), weight(rng, "se", 8, 8, 1, 1),
             weight(rng, "fc", 5, 8), weight(rng, "fcb", 5)]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c"], pads=[1, 1, 1, 1], name="conv"),
             helper.make_node("HardSwish", ["c"], ["h"], name="hswish"),
             helper.make_node("Conv", ["h", "dw"], ["d"], pads=[1, 1, 1, 1], group=8,
                              name="dw"),
             helper.make_node("ReduceMean", ["d"], ["m"], axes=[2, 3], name="squeeze"),
             helper.make_node("Conv", ["m", "se"], ["e"], name="excite"),
             helper.make_node("Sigmoid", ["e"], ["s"], name="gate"),
             helper.make_node("Mul", ["d", "s"], ["g"], name="apply"),
             helper.make_node("GlobalAveragePool", ["g"], ["p"], name="pool"),
             helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc", "fcb"], ["l"], transB=1, name="fc"),
             helper.make_node("Softmax", ["l"], ["y"], axis=1, name="softmax")]
    return onnx_model(nodes, [_info("x", [1, 3, 8, 8])], [_info("y", [1, 5])], inits)


def _resize(mode: str, transform: str) -> Callable[[], onnx.ModelProto]:
    def model() -> onnx.ModelProto:
        scales = _const("scales", [1.0, 1.0, 2.0, 2.0])
        node = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode=mode,
                                coordinate_transformation_mode=transform, name="resize")
        return onnx_model([node], [_info("x", [1, 3, 4, 5])], [_info("y", [1, 3, 8, 10])],
                          [scales])
    return model


CASES = {
    "sub": Case(lambda: _single("Sub", [4, 16], [_const("c", np.linspace(-3, 1, 16))],
                                ["c"]), (4, 16), OpType.SUB,
                _binary(partial(test_int8_add_sub.reference, OpType.SUB))),
    "mul": Case(lambda: _single("Mul", [4, 16], [_const("c", np.linspace(-2, 3, 16))],
                                ["c"]), (4, 16), OpType.MUL, _binary(test_int8_mul.reference)),
    "residual_sub_mul": Case(_residual_sub_mul, (3, 6, 6), OpType.SUB),
    "mean": Case(lambda: _single("ReduceMean", [2, 6, 10], axes=[3], keepdims=0), (2, 6, 10),
                 OpType.MEAN, _mean),
    "global_average_pool": Case(lambda: _single("GlobalAveragePool", [6, 5, 7]),
                                (6, 5, 7), OpType.MEAN),
    "batch_matmul": Case(_batch_matmul, (2, 5, 8), OpType.BATCH_MATMUL),
    "transpose_conv2d": Case(_conv_transpose, (4, 5, 5), OpType.TRANSPOSE_CONV2D),
    "softmax": Case(lambda: _single("Softmax", [3, 10], axis=2), (3, 10), OpType.SOFTMAX,
                    _softmax),
    "sigmoid": Case(lambda: _single("Sigmoid", [4, 16]), (4, 16), OpType.SIGMOID, _table),
    "tanh": Case(lambda: _single("Tanh", [4, 16]), (4, 16), OpType.TANH, _table),
    "hard_swish": Case(lambda: _single("HardSwish", [4, 16]), (4, 16), OpType.HARD_SWISH,
                       lambda g, node, x: act.hard_swish_reference(x, _io_params(g, node))),
    "leaky_relu": Case(lambda: _single("LeakyRelu", [4, 16], alpha=0.1), (4, 16),
                       OpType.LEAKY_RELU,
                       lambda g, node, x: act.leaky_relu_reference(x, _io_params(g, node),
                                                                   0.1)),
    "relu": Case(lambda: _single("Relu", [4, 16]), (4, 16), OpType.RELU,
                 _relu_x(0.0, math.inf)),
    "relu6": Case(lambda: _single("Clip", [4, 16], [_const("lo", 0.0), _const("hi", 6.0)],
                                  ["lo", "hi"]), (4, 16), OpType.RELU6, _relu_x(0.0, 6.0),
                  scale=8.0),
    "clamp": Case(lambda: _single("Clip", [4, 16], [_const("lo", -1.0), _const("hi", 2.5)],
                                  ["lo", "hi"]), (4, 16), OpType.CLAMP, _relu_x(-1.0, 2.5)),
    "mobile_block": Case(_mobile_block, (3, 8, 8), OpType.HARD_SWISH),
    # A constant that is not 0: the int8 kernel quantizes it with the output's params.
    "pad_constant": Case(lambda: _single(
        "Pad", [3, 4, 5], [numpy_helper.from_array(np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64),
                                                   "pads"), _const("value", 0.7)],
        ["pads", "value"], mode="constant"), (3, 4, 5), OpType.PAD),
    "resize_nearest": Case(_resize("nearest", "asymmetric"), (3, 4, 5), OpType.RESIZE),
    "resize_linear": Case(_resize("linear", "half_pixel"), (3, 4, 5), OpType.RESIZE),
}


def _quantized(model: onnx.ModelProto, calib: list[np.ndarray]) -> Graph:
    graph = run_passes(import_onnx(model))
    return quantize_int8(graph, calibrate(graph, calib, progress=False), "minmax")


def _only_int8(q: Graph) -> None:
    assert "quantization.float_nodes" not in q.metadata
    for node in q.nodes:
        assert node.op not in (OpType.QUANTIZE, OpType.DEQUANTIZE), node.name
        for name in filter(None, node.inputs + node.outputs):
            t = q.tensors[name]
            if t.data is None or name in node.inputs[:1]:  # indices (ARG_MAX) may be int32
                assert t.dtype != DType.FLOAT32, (node.name, name)


@pytest.mark.parametrize("name", list(CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    case = CASES[name]
    model = case.model()
    rng = np.random.default_rng(5)
    data = rng.uniform(-case.scale, case.scale, (CALIBRATION + HELD_OUT, 1, *case.shape)
                       ).astype(np.float32)
    calib, held_out = list(data[:CALIBRATION]), data[CALIBRATION:, 0]
    q = _quantized(model, calib)
    _only_int8(q)
    nodes = [n for n in q.nodes if n.op == case.op]
    assert nodes, f"no {case.op.name} node in {[n.op.name for n in q.nodes]}"
    want = outputs(Converter.from_onnx(model).convert(), held_out)
    got = outputs(serialize(q, plan_memory(q)), held_out)
    cos = cosine(got, want)
    print(f"\n{name}: ops {[n.op.name for n in q.nodes]}, min cosine {cos.min():.5f}")
    assert cos.min() >= 0.99
    if case.reference is None:
        return
    assert len(q.nodes) == 1, [n.op.name for n in q.nodes]
    s, zp = q.tensors[q.inputs[0]].quant.scale[0], q.tensors[q.inputs[0]].quant.zero_point[0]
    for sample in held_out:
        x = np.clip(np.round(sample[None] / np.float32(s)) + zp, -128, 127).astype(np.int8)
        [y] = run_graph(q, [x])
        np.testing.assert_array_equal(y, case.reference(q, q.nodes[0], x))


def test_fixed_output_params() -> None:
    # SOFTMAX and SIGMOID write scale 1/256 zero point -128, TANH 1/128 and 0, whatever the
    # range, and a group shared with a RESHAPE takes them too.
    rng = np.random.default_rng(6)
    calib = list((3 * rng.standard_normal((16, 4, 16))).astype(np.float32))
    for op, want in [("Softmax", ((1 / 256,), (-128,))), ("Sigmoid", ((1 / 256,), (-128,))),
                     ("Tanh", ((1 / 128,), (0,)))]:
        nodes = [helper.make_node(op, ["x"], ["a"], name="op"),
                 helper.make_node("Reshape", ["a", "shape"], ["y"], name="flat")]
        model = onnx_model(nodes, [_info("x", [1, 4, 16])], [_info("y", [64])],
                           [numpy_helper.from_array(np.array([64], np.int64), "shape")])
        q = _quantized(model, calib)
        for name in ("a", "y"):
            assert (q.tensors[name].quant.scale, q.tensors[name].quant.zero_point) == want, op


def test_hard_swish_output_scale_is_widened_where_the_kernel_needs_it() -> None:
    # Inputs down to -60 but hard-swish outputs within [-0.005, 0] (inputs at or below -2.99):
    # the calibrated output scale is far below the s_in / 128 the int8 kernel needs.
    model = _single("HardSwish", [4, 16])
    rng = np.random.default_rng(7)
    data = rng.uniform(-60, -2.99, (8, 1, 4, 16)).astype(np.float32)
    data[:, :, 0] = -2.99
    calib = list(data)
    q = _quantized(model, calib)
    s_in, s_out = (q.tensors[n].quant.scale[0] for n in (q.inputs[0], q.outputs[0]))
    assert s_out > s_in / 128
    x = rng.integers(-128, 128, (1, 4, 16)).astype(np.int8)
    [y] = run_graph(q, [x])
    np.testing.assert_array_equal(y, act.hard_swish_reference(x, _io_params(q, q.nodes[0])))


def test_weighted_ops_store_bias_without_params() -> None:
    model = _conv_transpose()
    rng = np.random.default_rng(8)
    q = _quantized(model, list(rng.standard_normal((8, 1, 4, 5, 5)).astype(np.float32)))
    node = next(n for n in q.nodes if n.op == OpType.TRANSPOSE_CONV2D)
    w, b = (q.tensors[n] for n in node.inputs[1:3])
    assert w.dtype == DType.INT8 and len(w.quant.scale) == 6 and w.quant.axis == 0
    assert b.dtype == DType.INT32 and b.quant is None
    s_in = np.float32(q.tensors[node.inputs[0]].quant.scale[0])
    bias_scale = (s_in * np.asarray(w.quant.scale, np.float32)).astype(np.float64)
    float_bias = run_passes(import_onnx(model)).tensors[node.inputs[2]].data
    np.testing.assert_array_equal(b.data, np.round(float_bias / bias_scale).astype(np.int32))


# ---- ops the ONNX importer does not emit (float .tflite models do): IR graphs ---------------

def _ir_case(op: OpType, const: np.ndarray | None, params: object = None,
             dtype: DType | None = None) -> Graph:
    b = GraphBuilder()
    inputs = [b.input("x", (1, 4, 16))]
    if const is not None:
        inputs.append(b.const("c", const.astype(np.float32)))
    b.output(b.node(op, inputs, params, dtype=dtype, name=op.name.lower()))
    return b.build()


def _stored(g: Graph, node: Node, x: np.ndarray) -> list[np.ndarray]:
    return [_value(g, n, x) for n in node.inputs]


def _l2(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
    return l2_reference(x, g.tensors[node.inputs[0]].quant.zero_point[0])


def _prelu(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
    q = {**_params(g, node.inputs[0], "x"), **_params(g, node.inputs[1], "a"),
         **_params(g, node.outputs[0], "out")}
    return newops.prelu_reference(x, _value(g, node.inputs[1], x), q)


def _sum(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
    return sum_reference(x, node.params.axes, _io_params(g, node), True)


_ALPHA = np.linspace(-0.5, 0.5, 16)
IR_CASES = {
    # MAXIMUM and MINIMUM compare stored values: input, constant and output share params.
    "maximum": (lambda: _ir_case(OpType.MAXIMUM, np.linspace(-2, 1, 16)),
                lambda g, node, x: np.maximum(*_stored(g, node, x))),
    "minimum": (lambda: _ir_case(OpType.MINIMUM, np.linspace(-1, 3, 16)),
                lambda g, node, x: np.minimum(*_stored(g, node, x))),
    "prelu": (lambda: _ir_case(OpType.PRELU, _ALPHA), _prelu),
    "sum": (lambda: _ir_case(OpType.SUM, None, ReduceParams((2,))), _sum),
    "l2_normalization": (lambda: _ir_case(OpType.L2_NORMALIZATION, None), _l2),
    "arg_max": (lambda: _ir_case(OpType.ARG_MAX, None, ArgParams(2), DType.INT32),
                lambda g, node, x: np.argmax(x, axis=2).astype(np.int32)),
}


@pytest.mark.parametrize("name", list(IR_CASES))
def test_ir_op_runs_int8_close_to_float(name: str) -> None:
    build, reference = IR_CASES[name]
    graph = build()
    rng = np.random.default_rng(9)
    data = rng.uniform(-4, 4, (CALIBRATION + HELD_OUT, 1, 4, 16)).astype(np.float32)
    q = quantize_int8(graph, calibrate(graph, list(data[:CALIBRATION]), progress=False),
                      "minmax")
    _only_int8(q)
    [node] = q.nodes
    if node.op in (OpType.MAXIMUM, OpType.MINIMUM):
        assert len({q.tensors[n].quant for n in node.inputs + node.outputs}) == 1
    out = q.tensors[q.outputs[0]]
    s, zp = q.tensors["x"].quant.scale[0], q.tensors["x"].quant.zero_point[0]
    got, want = [], []
    for sample in data[CALIBRATION:]:
        x = np.clip(np.round(sample / np.float32(s)) + zp, -128, 127).astype(np.int8)
        [y] = run_graph(q, [x])
        np.testing.assert_array_equal(y, reference(q, node, x))
        [f] = run_graph(graph, [sample])
        if out.dtype == DType.INT8:
            y = (y.astype(np.float32) - out.quant.zero_point[0]) * np.float32(out.quant.scale[0])
        got.append(y.reshape(-1).astype(np.float32))
        want.append(f.reshape(-1).astype(np.float32))
    if out.dtype == DType.INT8:
        assert cosine(np.stack(got), np.stack(want)).min() >= 0.99
    else:  # indices: the int8 argmax may pick another of two nearly equal maxima
        assert np.mean(np.stack(got) == np.stack(want)) >= 0.9
