"""split_wide_nodes: concatenations and splits wider than a node may be (64 inputs or outputs,
the runtime's EMBER_MAX_IO) become trees that give the same values: float32 equal to ONNX
Runtime's, int8 equal to LiteRT's bytes, post-training int8 within its quantization step;
the parts carry the type, quantization and guards of what they stand for."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.errors import EmberError
from emberlite.converter.ir import MAX_NODE_IO, DType, QuantParams
from emberlite.converter.ops import OpType
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.op_type import FusedActivation
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.passes.split_wide_nodes import split_wide_nodes
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from helpers import run_ember, run_ort
from tests.converter.ir_builder import GraphBuilder, assert_equivalent
from tests.importers.tflite_files import TFLiteFile, litert, schema


def _widest(graph) -> int:
    return max(max(len(n.inputs), len(n.outputs)) for n in graph.nodes)


def _concat_then_split(n: int, axis: int = 1):
    """n inputs of [2, 3] joined along `axis`, a RELU, then split back into n."""
    xs = [helper.make_tensor_value_info(f"x{i}", TensorProto.FLOAT, [2, 3]) for i in range(n)]
    nodes = [helper.make_node("Concat", [f"x{i}" for i in range(n)], ["c"], axis=axis),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Split", ["r"], [f"y{i}" for i in range(n)], axis=axis,
                              num_outputs=n)]
    ys = [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None) for i in range(n)]
    return helper.make_model(helper.make_graph(nodes, "wide", xs, ys),
                             opset_imports=[helper.make_opsetid("", 18)])


@pytest.mark.parametrize("n, axis", [(65, 0), (200, 1), (4100, 0)])
def test_wide_onnx_concat_and_split_match_onnxruntime(n: int, axis: int) -> None:
    model = _concat_then_split(n, axis)
    rng = np.random.default_rng(n)
    inputs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(n)]
    got = run_ember(Converter.from_onnx(model).convert(), inputs)
    for g, want in zip(got, run_ort(model, inputs), strict=True):
        np.testing.assert_array_equal(g, want)


def test_trees_are_as_shallow_as_the_limit_allows() -> None:
    b = GraphBuilder()
    xs = [b.input(f"x{i}", (1, 2)) for i in range(4100)]
    c = b.node(OpType.CONCATENATION, xs, ConcatenationParams(0, FusedActivation.RELU))
    b.output(c)
    before = b.build()
    after = split_wide_nodes(before)
    # 4100 = 64 * 64 + 4: 65 leaves, then the root's 65 parts need one level more.
    assert _widest(after) == MAX_NODE_IO and len(after.nodes) == 65 + 2
    assert after.nodes[-1].name == before.nodes[0].name and after.nodes[-1].outputs == [c]
    assert [n.params.activation for n in after.nodes].count(FusedActivation.RELU) == 1
    assert_equivalent(before, after)
    assert split_wide_nodes(after).nodes == after.nodes


def test_split_tree_runs_the_root_first_and_keeps_guards() -> None:
    b = GraphBuilder()
    x = b.input("x", (130, 2))
    ys = b.node(OpType.SPLIT, [x], SplitParams(0), shapes=[(1, 2)] * 130)
    b.output(*ys)
    before = b.build()
    before.nodes[0].run_if = (("cond", True),)
    after = split_wide_nodes(before)
    assert _widest(after) == MAX_NODE_IO and after.nodes[0].name == before.nodes[0].name
    produced = set(after.inputs)
    for node in after.nodes:
        assert set(node.inputs) <= produced, f"{node.name} runs before its inputs exist"
        produced |= set(node.outputs)
        assert node.run_if == (("cond", True),)
    assert sorted(o for n in after.nodes for o in n.outputs if o in ys) == sorted(ys)


def test_parts_take_the_quantization_of_what_they_stand_for() -> None:
    q = QuantParams(scale=(0.05,), zero_point=(-3,))
    b = GraphBuilder()
    xs = [b.input(f"x{i}", (1, 4), DType.INT8) for i in range(70)]
    c = b.node(OpType.CONCATENATION, xs, ConcatenationParams(0))
    ys = b.node(OpType.SPLIT, [c], SplitParams(0), shapes=[(1, 4)] * 70)
    b.output(*ys)
    graph = b.build()
    for t in graph.tensors.values():
        t.quant = q
    after = split_wide_nodes(graph)
    parts = [t for name, t in after.tensors.items() if name not in graph.tensors]
    assert len(parts) == 4 and all(t.dtype == DType.INT8 and t.quant == q for t in parts)


def test_split_checking_run_time_sizes_is_left_whole_for_the_writer_to_refuse() -> None:
    b = GraphBuilder()
    x = b.input("x", (65,))
    sizes = b.input("sizes", (65,), DType.INT64)
    ys = b.node(OpType.SPLIT, [x, sizes], SplitParams(0), shapes=[(1,)] * 65, name="sized")
    b.output(*ys)
    graph = b.build()
    assert split_wide_nodes(graph).nodes == graph.nodes
    with pytest.raises(EmberError, match="node 'sized' .split. has 2 inputs and 65 outputs"):
        serialize(graph, plan_memory(graph))


def _int8_tensor(f: TFLiteFile, shape: tuple[int, ...], scale: float, zero_point: int) -> int:
    i = f.tensor(shape, dtype=np.int8)
    q = schema().QuantizationParametersT()
    q.scale, q.zeroPoint = [scale], [zero_point]
    f.tensors[i].quantization = q
    return i


def test_int8_tflite_concatenation_of_128_inputs_matches_litert() -> None:
    """LiteRT's int8 CONCATENATION takes one scale and zero point for every tensor; the tree
    copies bytes under them."""
    fb = schema()
    f = TFLiteFile()
    n = 128
    xs = [_int8_tensor(f, (1, 2, 3), 0.05, 1) for _ in range(n)]
    y = _int8_tensor(f, (1, 2, 3 * n), 0.05, 1)
    options = fb.ConcatenationOptionsT()
    options.axis = 2
    f.op(2, xs, [y], fb.BuiltinOptions.ConcatenationOptions, options)  # CONCATENATION
    data = f.bytes(xs, [y])
    rng = np.random.default_rng(7)
    inputs = [rng.integers(-128, 128, (1, 2, 3), dtype=np.int8) for _ in range(n)]
    [want] = litert(data, inputs)
    [got] = run_ember(Converter.from_tflite(data).convert(), inputs)
    np.testing.assert_array_equal(got, want)


def test_int8_quantized_wide_concat_equals_its_float_model_within_quantization() -> None:
    model = _concat_then_split(100)
    rng = np.random.default_rng(3)
    samples = [[rng.standard_normal((2, 3)).astype(np.float32) for _ in range(100)]
               for _ in range(4)]
    converter = Converter.from_onnx(model).quantize("int8", dataset=samples, io="float")
    got = run_ember(converter.convert(), samples[0])
    for g, want in zip(got, run_ort(model, samples[0]), strict=True):
        np.testing.assert_allclose(g, want, atol=0.05)


def test_wide_nodes_of_a_dynamic_batch_resize_with_it() -> None:
    """The tree's parts follow the batch dim the whole tensors follow (bound from the probe
    conversion, which makes the same tree)."""
    model = _concat_then_split(70, axis=1)
    for value in model.graph.input:
        value.type.tensor_type.shape.dim[0].dim_param = "N"
    data = Converter.from_onnx(model, input_shapes={v.name: [(1, 8), 3]
                                                    for v in model.graph.input}).convert()
    interp = Interpreter(model_content=data)
    rng = np.random.default_rng(70)
    for batch in (3, 8, 1):
        inputs = [rng.standard_normal((batch, 3)).astype(np.float32) for _ in range(70)]
        for detail in interp.get_input_details():
            interp.resize_tensor_input(detail["index"], [batch, 3])
        interp.allocate_tensors()
        for detail, value in zip(interp.get_input_details(), inputs):
            interp.set_tensor(detail["index"], value)
        interp.invoke()
        got = [interp.get_tensor(d["index"]) for d in interp.get_output_details()]
        for g, want in zip(got, run_ort(model, inputs), strict=True):
            np.testing.assert_array_equal(g, want)
