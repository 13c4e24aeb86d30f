"""Float fallback: ops without an int8 kernel (HARD_SIGMOID and DIV here) and nodes the
caller keeps float run in float32 between DEQUANTIZE and QUANTIZE; the mixed graph runs in
Emberlite with outputs close to the float model's, and each tensor has the type its readers
and writer need."""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from emberlite import Interpreter
from emberlite.converter import Converter, QuantizationError
from emberlite.converter.importers.onnx import import_onnx
from emberlite.converter.ir import DType, Graph
from emberlite.converter.ops import OpType
from emberlite.converter.passes import run_passes
from emberlite.converter.quantize.calibrate import calibrate
from emberlite.converter.quantize.int8_rules import INT8_RULES
from emberlite.converter.quantize.quantize_int8 import quantize_int8
from tests.quantize.models import cosine, gated_cnn, outputs, shared_input_model

CONVERSIONS = (OpType.QUANTIZE, OpType.DEQUANTIZE)


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
            assert types == {DType.INT8}, node.name
    want = DType.FLOAT32 if io == "float" else DType.INT8
    assert {q.tensors[n].dtype for n in q.inputs + q.outputs} == {want}


def _quantized_ir(model: onnx.ModelProto, calib: list, io: str, keep=()) -> tuple[Graph, Graph]:
    graph = run_passes(import_onnx(model))
    return graph, quantize_int8(graph, calibrate(graph, calib, progress=False), "minmax", io,
                                keep)


@pytest.mark.parametrize("io", ["int8", "float"])
def test_gated_cnn_runs_mixed_close_to_float(io: str) -> None:
    model = gated_cnn()
    rng = np.random.default_rng(2)
    images = rng.standard_normal((60, 3, 8, 8)).astype(np.float32)
    calib = list(images[:30])
    graph, q = _quantized_ir(model, calib, io)
    float_names = {n.name for n in graph.nodes if n.op not in INT8_RULES}
    assert float_names == {"gate", "scale", "squash"}
    _check_domains(q, float_names, io)
    data = Converter.from_onnx(model).quantize("int8", dataset=calib, io=io).convert()
    interp = Interpreter(model_content=data)
    ops = interp.node_ops()
    assert {"hard_sigmoid", "div", "conv2d", "fully_connected"} <= set(ops)
    # One conversion into each float run and one out of it (io="float" adds the input's).
    assert ops.count("dequantize") == ops.count("quantize") == 3
    want = outputs(Converter.from_onnx(model).convert(), images[30:])
    got = outputs(data, images[30:])
    cos = cosine(got, want)
    print(f"\nio={io}: min cosine {cos.min():.5f}, max |diff| {np.abs(got - want).max():.4f}")
    assert cos.min() >= 0.99
    assert np.abs(got - want).max() <= 0.05


@pytest.mark.parametrize("io", ["int8", "float"])
def test_tensors_shared_by_float_and_int8_nodes(io: str) -> None:
    model = shared_input_model()
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
    want = outputs(Converter.from_onnx(model).convert(), x[40:])
    got = outputs(data, x[40:])
    assert cosine(got, want).min() >= 0.99


def test_keep_float_runs_chosen_int8_layers_in_float() -> None:
    model = gated_cnn()
    rng = np.random.default_rng(4)
    images = rng.standard_normal((40, 3, 8, 8)).astype(np.float32)
    calib = list(images[:20])
    graph, q = _quantized_ir(model, calib, "float", keep=("conv2",))
    _check_domains(q, {"gate", "scale", "squash", "conv2"}, "float")
    conv2 = next(n for n in q.nodes if n.name == "conv2")
    assert [q.tensors[n].dtype for n in conv2.inputs] == [DType.FLOAT32] * 3
    # HARD_SIGMOID and the kept conv form one float run: no QUANTIZE/DEQUANTIZE between them.
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
    want = outputs(Converter.from_onnx(model).convert(), images[20:])
    assert cosine(outputs(larger, images[20:]), want).min() >= 0.99
    with pytest.raises(QuantizationError, match="no_such_layer"):
        Converter.from_onnx(model).quantize("int8", dataset=calib,
                                            keep_float=["no_such_layer"]).convert()


def test_uint8_io_around_a_float_output() -> None:
    """io="uint8" on a graph whose output comes from a float op: the output's QUANTIZE to int8
    is followed by the one to uint8, and only the edge QUANTIZEs touch uint8 tensors; the
    outputs equal the io="int8" model's (uint8 inputs and outputs are int8 + 128)."""
    model = gated_cnn()
    rng = np.random.default_rng(5)
    images = rng.standard_normal((40, 3, 8, 8)).astype(np.float32)
    calib = list(images[:20])
    _, q8 = _quantized_ir(model, calib, "int8")
    _, q = _quantized_ir(model, calib, "uint8")
    assert {q.tensors[n].dtype for n in q.inputs + q.outputs} == {DType.UINT8}
    for name in q.inputs + q.outputs:
        int8 = q8.tensors[name].quant
        assert q.tensors[name].quant.scale == int8.scale
        assert q.tensors[name].quant.zero_point == (int8.zero_point[0] + 128,)
    edges = [n for n in q.nodes if any(t and q.tensors[t].dtype == DType.UINT8
                                       for t in n.inputs + n.outputs)]
    assert [n.op for n in edges] == [OpType.QUANTIZE] * 2
    assert [n.name for n in q.nodes if n not in edges] == [n.name for n in q8.nodes]
    assert q.producers()[edges[1].inputs[0]].op == OpType.QUANTIZE  # from the float output
    data = Converter.from_onnx(model).quantize("int8", dataset=calib, io="uint8").convert()
    int8_data = Converter.from_onnx(model).quantize("int8", dataset=calib).convert()
    np.testing.assert_array_equal(outputs(data, images[20:]), outputs(int8_data, images[20:]))


def test_concatenation_with_a_fused_relu_runs_float() -> None:
    """Concat then Relu: fuse_activations makes one CONCATENATION with RELU, whose int8 kernel
    has no activation (it copies stored values), so it runs float32 and applies it."""
    nodes = [onnx.helper.make_node("Concat", ["a", "b"], ["c"], axis=1, name="join"),
             onnx.helper.make_node("Relu", ["c"], ["y"])]
    graph = onnx.helper.make_graph(
        nodes, "g", [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, [2, 3])
                     for n in "ab"],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)])
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    rng = np.random.default_rng(6)
    calib = [[rng.standard_normal((2, 3)).astype(np.float32) for _ in "ab"] for _ in range(8)]
    data = Converter.from_onnx(model).quantize("int8", dataset=calib, io="float").convert()
    interp = Interpreter(model_content=data)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), calib[0]):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    want = np.maximum(np.concatenate(calib[0], axis=1), 0)
    np.testing.assert_allclose(got, want, atol=0.02)
    q = run_passes(import_onnx(model))
    join = next(n for n in q.nodes if n.name == "join")
    assert INT8_RULES[OpType.CONCATENATION].accepts(join, q) == \
        "the int8 kernel applies no fused activation"
