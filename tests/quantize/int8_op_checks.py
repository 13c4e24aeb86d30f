"""Post-training int8 of one op, for the quantizer checks in tests/kernels/test_<op>.py: a
small ONNX model (onnx.helper, random weights) or IR graph calibrated on random inputs must run
with every node int8 (no QUANTIZE/DEQUANTIZE, no float tensor), give outputs close to the float
model's on held-out inputs, and, for single-op models, give exactly what a numpy model of the
int8 arithmetic (the kernel tests' models of LiteRT's reference kernels) computes from the
params the quantizer chose."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter import Converter
from emberlite.converter.importers.onnx import import_onnx
from emberlite.converter.ir import DType, Graph, Node
from emberlite.converter.ops import OpType
from emberlite.converter.passes import run_passes
from emberlite.converter.planner import plan_memory
from emberlite.converter.quantize.calibrate import calibrate
from emberlite.converter.quantize.quantize_int8 import quantize_int8
from emberlite.converter.writer import serialize
from tests.converter.ir_builder import GraphBuilder
from tests.kernels.fixed_point import run_graph
from tests.quantize.models import cosine, onnx_model, outputs

F = TensorProto.FLOAT
CALIBRATION, HELD_OUT = 32, 16


def info(name: str, shape: list[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, F, shape)


def const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value, np.float32), name)


def single(op: str, shape: list[int], inits: tuple = (), extra: tuple = (), **attrs
           ) -> onnx.ModelProto:
    """x (batch 1 and `shape`) -> op(x, *extra) -> y; the output shape is inferred."""
    node = helper.make_node(op, ["x", *extra], ["y"], name=op.lower(), **attrs)
    return onnx_model([node], [info("x", [1, *shape])],
                      [helper.make_tensor_value_info("y", F, None)], list(inits))


def params(g: Graph, name: str, key: str) -> dict:
    q = g.tensors[name].quant
    return {f"s_{key}": q.scale[0], f"zp_{key}": q.zero_point[0]}


def io_params(g: Graph, node: Node) -> dict:
    return {**params(g, node.inputs[0], "in"), **params(g, node.outputs[0], "out")}


def pair_params(g: Graph, node: Node) -> dict:
    return {**params(g, node.inputs[0], "a"), **params(g, node.inputs[1], "b"),
            **params(g, node.outputs[0], "out")}


def value(g: Graph, name: str, x: np.ndarray) -> np.ndarray:
    return x if g.tensors[name].data is None else np.asarray(g.tensors[name].data)


def stored(g: Graph, node: Node, x: np.ndarray) -> list[np.ndarray]:
    return [value(g, n, x) for n in node.inputs]


# A numpy model: (int8 graph, its compute node, int8 input) -> the int8 output.
Reference = Callable[[Graph, Node, np.ndarray], np.ndarray]


def binary(numpy_model: Callable) -> Reference:
    def reference(g: Graph, node: Node, x: np.ndarray) -> np.ndarray:
        a, b = (value(g, n, x) for n in node.inputs)
        return numpy_model(a, b, pair_params(g, node), int(node.params.activation))
    return reference


@dataclass(frozen=True)
class Case:
    model: Callable[[], onnx.ModelProto]
    shape: tuple[int, ...]
    op: OpType                      # the op under test: its node must be int8
    reference: Reference | None = None
    # Inputs uniform in [-scale, scale], so calibration sees the range held-out inputs have.
    scale: float = 4.0


def quantized(model: onnx.ModelProto, calib: list[np.ndarray]) -> Graph:
    graph = run_passes(import_onnx(model))
    return quantize_int8(graph, calibrate(graph, calib, progress=False), "minmax")


def only_int8(q: Graph) -> None:
    assert "quantization.float_nodes" not in q.metadata
    for node in q.nodes:
        assert node.op not in (OpType.QUANTIZE, OpType.DEQUANTIZE), node.name
        for name in filter(None, node.inputs + node.outputs):
            t = q.tensors[name]
            if t.data is None or name in node.inputs[:1]:  # indices (ARG_MAX) may be int32
                assert t.dtype != DType.FLOAT32, (node.name, name)


def check_op_runs_int8_close_to_float(name: str, case: Case) -> None:
    model = case.model()
    rng = np.random.default_rng(5)
    data = rng.uniform(-case.scale, case.scale, (CALIBRATION + HELD_OUT, 1, *case.shape)
                       ).astype(np.float32)
    calib, held_out = list(data[:CALIBRATION]), data[CALIBRATION:, 0]
    q = quantized(model, calib)
    only_int8(q)
    nodes = [n for n in q.nodes if n.op == case.op]
    assert nodes, f"no {case.op.name} node in {[n.op.name for n in q.nodes]}"
    # The same channels-last edges as run_passes gives `q`.
    want = outputs(Converter.from_onnx(model, io_layout="nhwc").convert(), held_out)
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


# ---- ops the ONNX importer does not emit (float .tflite models do): IR graphs ---------------

def ir_case(op: OpType, const_value: np.ndarray | None, op_params: object = None,
            dtype: DType | None = None) -> Graph:
    b = GraphBuilder()
    inputs = [b.input("x", (1, 4, 16))]
    if const_value is not None:
        inputs.append(b.const("c", const_value.astype(np.float32)))
    b.output(b.node(op, inputs, op_params, dtype=dtype, name=op.name.lower()))
    return b.build()


def check_ir_op_runs_int8_close_to_float(build: Callable[[], Graph], reference: Reference
                                         ) -> None:
    graph = build()
    rng = np.random.default_rng(9)
    data = rng.uniform(-4, 4, (CALIBRATION + HELD_OUT, 1, 4, 16)).astype(np.float32)
    q = quantize_int8(graph, calibrate(graph, list(data[:CALIBRATION]), progress=False),
                      "minmax")
    only_int8(q)
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
