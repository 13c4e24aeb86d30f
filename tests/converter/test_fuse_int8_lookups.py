"""fuse_int8_lookups: an int8 x * sigmoid(x) becomes one LOOKUP_TABLE whose bytes equal the
SIGMOID + MUL pair's on every input (run by the runtime, fused and unfused, on all 256 int8
values); what must not fuse stays as it was. The whole-model check against LiteRT's reference
kernels is tests/importers/test_tflite_int8.py's swish_cnn."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite import ISA_ALL, ISA_NONE, Interpreter
from emberlite.converter.ir import DType, Graph, QuantParams
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.lookup_table import int8_lookup_table, sigmoid_f32
from emberlite.converter.passes.fuse_int8_lookups import fuse_int8_lookups
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from ir_builder import GraphBuilder, ops

ALL_BYTES = np.arange(256, dtype=np.uint8).view(np.int8).reshape(1, 4, 8, 8)


def _quant(b: GraphBuilder, name: str, scale: float, zp: int) -> None:
    b.graph.tensors[name].quant = QuantParams((scale,), (zp,))


def swish(x_quant: tuple[float, int], out_quant: tuple[float, int], sigmoid_first: bool = False,
          activation: FusedActivation = FusedActivation.NONE, shape=(1, 4, 8, 8),
          other_shape=None, extra_reader: bool = False) -> Graph:
    """x -> SIGMOID (table) -> MUL(x, s) -> out; optionally s also read by a second output."""
    b = GraphBuilder()
    x = b.input("x", shape, DType.INT8)
    _quant(b, x, *x_quant)
    q_in = b.graph.tensors[x].quant
    table = b.const("table", int8_lookup_table(sigmoid_f32, q_in, QuantParams((1 / 256,), (-128,))))
    s = b.node(OpType.SIGMOID, [x, table], name="sigmoid")
    _quant(b, s, 1 / 256, -128)
    other = x
    if other_shape is not None:
        other = b.input("y", other_shape, DType.INT8)
        _quant(b, other, *x_quant)
    pair = [s, other] if sigmoid_first else [other, s]
    out = b.node(OpType.MUL, pair, BinaryParams(activation=activation), name="mul")
    _quant(b, out, *out_quant)
    b.output(out)
    if extra_reader:
        b.output(s)
    return b.build()


def run(graph: Graph, x: np.ndarray, isa: int) -> list[np.ndarray]:
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)), isa_mask=isa,
                         num_threads=2)
    interp.allocate_tensors()
    for detail in interp.get_input_details():
        interp.set_tensor(detail["index"], x if detail["name"] == "x" else x[:, :1, :1, :])
    interp.invoke()
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]


@pytest.mark.parametrize("x_quant,out_quant", [((0.05, 0), (0.03, -60)),
                                              ((0.1, -128), (0.05, 127)),
                                              ((1e-3, 127), (2e-3, 5)),
                                              ((0.4, 17), (0.2, -128))])
@pytest.mark.parametrize("sigmoid_first", [False, True])
@pytest.mark.parametrize("activation", [FusedActivation.NONE, FusedActivation.RELU6])
def test_swish_becomes_one_lookup_with_the_same_bytes(x_quant, out_quant, sigmoid_first,
                                                      activation) -> None:
    graph = swish(x_quant, out_quant, sigmoid_first, activation)
    fused = fuse_int8_lookups(graph)
    assert ops(fused) == [OpType.LOOKUP_TABLE]
    assert set(fused.tensors) == {"x", "mul_out", "mul/table"}
    want = run(graph, ALL_BYTES, ISA_NONE)[0]
    for isa in (ISA_NONE, ISA_ALL):
        assert np.array_equal(run(fused, ALL_BYTES, isa)[0], want)
    assert ops(graph) == [OpType.SIGMOID, OpType.MUL]  # the pass works on a copy


def test_what_must_not_fuse_stays() -> None:
    q = ((0.05, 0), (0.03, 0))
    shared = swish(*q, extra_reader=True)  # the sigmoid's output is also a graph output
    assert ops(fuse_int8_lookups(shared)) == [OpType.SIGMOID, OpType.MUL]
    other = swish(*q, other_shape=(1, 1, 1, 8))  # x * sigmoid(y): not a function of one byte
    assert ops(fuse_int8_lookups(other)) == [OpType.SIGMOID, OpType.MUL]
