"""Float fallback: ops without an int8 kernel (SIGMOID, MUL, SOFTMAX, TANH here) and nodes the
caller keeps float run in float32 between DEQUANTIZE and QUANTIZE; the mixed graph runs in
Emberlite with outputs close to the float model's, and each tensor has the type its readers
and writer need."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter, QuantizationError
from emberlite.converter.importers.onnx import import_onnx
from emberlite.converter.ir import DType, Graph
from emberlite.converter.ops import OpType
from emberlite.converter.passes import run_passes
from emberlite.converter.quantize.calibrate import calibrate
from emberlite.converter.quantize.quantize_int8 import INT8_OPS, quantize_int8
from tests.helpers import TO_NHWC

CONVERSIONS = (OpType.QUANTIZE, OpType.DEQUANTIZE)


def _weight(rng: np.random.Generator, name: str, *shape: int) -> onnx.TensorProto:
    w = rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))
    return numpy_helper.from_array(w.astype(np.float32), name)


def _model(nodes: list, inputs: list, outputs: list, inits: list) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "mixed", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _gated_cnn() -> onnx.ModelProto:
    """Conv -> Sigmoid -> Conv+Relu -> Mul by a per-channel constant -> Flatten -> Gemm ->
    Softmax: three ops without an int8 kernel between int8 ones, one of them at the output."""
    rng = np.random.default_rng(0)
    scale = rng.uniform(0.5, 2.0, (1, 8, 1, 1)).astype(np.float32)
    inits = [_weight(rng, "w1", 8, 3, 3, 3), _weight(rng, "b1", 8),
             _weight(rng, "w2", 8, 8, 3, 3), _weight(rng, "b2", 8),
             numpy_helper.from_array(scale, "m"), _weight(rng, "fc", 10, 8 * 8 * 8),
             numpy_helper.from_array(np.array([1, -1], np.int64), "flat")]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
             helper.make_node("Sigmoid", ["c1"], ["s"], name="gate"),
             helper.make_node("Conv", ["s", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1],
                              name="conv2"),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("Mul", ["r2", "m"], ["mm"], name="scale"),
             helper.make_node("Reshape", ["mm", "flat"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc"], ["l"], transB=1, name="fc"),
             helper.make_node("Softmax", ["l"], ["y"], axis=1, name="softmax")]
    return _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)


def _shared_input_model() -> onnx.ModelProto:
    """The input feeds a float SIGMOID and an int8 ADD; a constant feeds an int8 ADD and a
    float MUL; the output comes from a float TANH."""
    rng = np.random.default_rng(1)
    c = numpy_helper.from_array(rng.uniform(-1, 1, (1, 16)).astype(np.float32), "c")
    nodes = [helper.make_node("Sigmoid", ["x"], ["a"], name="gate"),
             helper.make_node("Add", ["a", "x"], ["b"], name="sum"),
             helper.make_node("Add", ["b", "c"], ["d"], name="shift"),
             helper.make_node("Mul", ["d", "c"], ["e"], name="product"),
             helper.make_node("Tanh", ["e"], ["y"], name="squash")]
    return _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])], [c])


def _outputs(model_bytes: bytes, inputs: np.ndarray) -> np.ndarray:
    """Float outputs for each input (NCHW or 2-D): int8 io is converted by the tensor
    details' params."""
    interp = Interpreter(model_content=model_bytes)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    nhwc = interp.get_metadata().get(f"layout.input.{inp['name']}") == "NHWC"
    results = []
    for x in inputs:
        x = np.transpose(x[None], TO_NHWC) if nhwc else x[None]
        if inp["dtype"] == np.int8:
            s, zp = inp["quantization"]
            x = np.clip(np.round(x / s) + zp, -128, 127).astype(np.int8)
        interp.set_tensor(inp["index"], np.ascontiguousarray(x))
        interp.invoke()
        y = interp.get_tensor(out["index"]).reshape(-1)
        if y.dtype == np.int8:
            s, zp = out["quantization"]
            y = (y.astype(np.float32) - zp) * s
        results.append(y.astype(np.float32))
    return np.stack(results)


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _check_domains(q: Graph, float_names: set[str], io: str) -> None:
    """Float nodes read and write float32 activations, int8 nodes int8 ones, conversions join
    the two and never undo each other, graph io has the io type."""
    producer = q.producers()
    for node in q.nodes:
        values = [n for n in node.inputs + node.outputs
                  if n and not q.tensors[n].is_constant]
        types = {q.tensors[n].dtype for n in values}
        if node.op in CONVERSIONS:
            before = producer.get(node.inputs[0])
            assert before is None or before.op not in CONVERSIONS, node.name
        elif node.name in float_names:
            assert types == {DType.FLOAT32}, node.name
            assert all(q.tensors[n].quant is None for n in node.inputs if n), node.name
        else:
            assert node.op in INT8_OPS and types == {DType.INT8}, node.name
    want = DType.FLOAT32 if io == "float" else DType.INT8
    assert {q.tensors[n].dtype for n in q.inputs + q.outputs} == {want}


def _quantized_ir(model: onnx.ModelProto, calib: list, io: str, keep=()) -> tuple[Graph, Graph]:
    graph = run_passes(import_onnx(model))
    return graph, quantize_int8(graph, calibrate(graph, calib, progress=False), "minmax", io,
                                keep)


@pytest.mark.parametrize("io", ["int8", "float"])
def test_gated_cnn_runs_mixed_close_to_float(io: str) -> None:
    model = _gated_cnn()
    rng = np.random.default_rng(2)
    images = rng.standard_normal((60, 3, 8, 8)).astype(np.float32)
    calib = list(images[:30])
    graph, q = _quantized_ir(model, calib, io)
    float_names = {n.name for n in graph.nodes if n.op not in INT8_OPS}
    assert float_names == {"gate", "scale", "softmax"}
    _check_domains(q, float_names, io)
    data = Converter.from_onnx(model).quantize("int8", dataset=calib, io=io).convert()
    interp = Interpreter(model_content=data)
    ops = interp.node_ops()
    assert {"sigmoid", "mul", "softmax", "conv2d", "fully_connected"} <= set(ops)
    # One conversion into each float run and one out of it (io="float" adds the input's).
    assert ops.count("dequantize") == ops.count("quantize") == 3
    want = _outputs(Converter.from_onnx(model).convert(), images[30:])
    got = _outputs(data, images[30:])
    cosine = _cosine(got, want)
    print(f"\nio={io}: min cosine {cosine.min():.5f}, max |diff| {np.abs(got - want).max():.4f}")
    assert cosine.min() >= 0.99
    assert np.abs(got - want).max() <= 0.05


@pytest.mark.parametrize("io", ["int8", "float"])
def test_tensors_shared_by_float_and_int8_nodes(io: str) -> None:
    model = _shared_input_model()
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, (80, 16)).astype(np.float32)
    graph, q = _quantized_ir(model, list(x[:40]), io)
    _check_domains(q, {"gate", "product", "squash"}, io)
    # The constant read by the int8 ADD is int8, the float MUL reads a float copy of it.
    product = next(n for n in q.nodes if n.name == "product")
    shift = next(n for n in q.nodes if n.name == "shift")
    assert q.tensors[shift.inputs[1]].dtype == DType.INT8
    assert q.tensors[product.inputs[1]].dtype == DType.FLOAT32
    np.testing.assert_array_equal(q.tensors[product.inputs[1]].data, graph.tensors["c"].data)
    data = Converter.from_onnx(model).quantize("int8", dataset=list(x[:40]), io=io).convert()
    want = _outputs(Converter.from_onnx(model).convert(), x[40:])
    got = _outputs(data, x[40:])
    assert _cosine(got, want).min() >= 0.99


def test_keep_float_runs_chosen_int8_layers_in_float() -> None:
    model = _gated_cnn()
    rng = np.random.default_rng(4)
    images = rng.standard_normal((40, 3, 8, 8)).astype(np.float32)
    calib = list(images[:20])
    graph, q = _quantized_ir(model, calib, "float", keep=("conv2",))
    _check_domains(q, {"gate", "scale", "softmax", "conv2"}, "float")
    conv2 = next(n for n in q.nodes if n.name == "conv2")
    assert [q.tensors[n].dtype for n in conv2.inputs] == [DType.FLOAT32] * 3
    # SIGMOID and the kept conv form one float run: no QUANTIZE/DEQUANTIZE between them.
    assert q.producers()[conv2.inputs[0]].name == "gate"
    base = Converter.from_onnx(model).quantize("int8", dataset=calib, io="float")
    kept = Converter.from_onnx(model).quantize("int8", dataset=calib, io="float",
                                               keep_float=["conv2"])
    smaller, larger = base.convert(), kept.convert()
    # The kept weights are the float ones: 4 bytes each instead of 1 (less the per-channel
    # params and the two conversions the int8 conv needed).
    np.testing.assert_array_equal(q.tensors[conv2.inputs[1]].data,
                                  graph.tensors[conv2.inputs[1]].data)
    assert len(larger) - len(smaller) >= 8 * 8 * 3 * 3
    want = _outputs(Converter.from_onnx(model).convert(), images[20:])
    assert _cosine(_outputs(larger, images[20:]), want).min() >= 0.99
    with pytest.raises(QuantizationError, match="no_such_layer"):
        Converter.from_onnx(model).quantize("int8", dataset=calib,
                                            keep_float=["no_such_layer"]).convert()
