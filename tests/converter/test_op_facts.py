"""The ops' facts (FACTS in converter/ops/<op>.py) against what the C kernels accept and what
the importers' tables hold: every op claiming an int8 or int16 kernel converts to a one-node
model of that type that the runtime loads and runs; the post-training quantizer turns a
one-node float model int8 (16x8) exactly where an op's facts say it does and leaves it float32
elsewhere; every TFLite and ONNX name an op lists is a key of the importer's table, and every
key is some op's (or one of the few that produce no op of their own)."""
from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tflite.BuiltinOperator import BuiltinOperator

from emberlite import Interpreter
from emberlite.converter.importers.onnx_ops import ONNX_OPS
from emberlite.converter.importers.tflite_ops import TFLITE_OPS
from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor
from emberlite.converter.ops import OPS, OpType
from emberlite.converter.ops.arg_max import ArgParams
from emberlite.converter.ops.bitwise import BitShiftParams, ShiftDirection
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.cum_sum import CumSumParams
from emberlite.converter.ops.grid_sample import GridSampleParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.gather_nd import GatherNDParams
from emberlite.converter.ops.math_unary import EluParams, GeluParams, SeluParams
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.ops.mod import ModParams
from emberlite.converter.ops.one_hot import OneHotParams
from emberlite.converter.ops.pad import PadParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.ops.resize import ResizeParams
from emberlite.converter.ops.scatter_nd import ScatterParams, ScatterReduction
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.softmax import SoftmaxParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.ops.top_k import TopKParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.quantize.calibrate import calibrate
from emberlite.converter.quantize.quantize_int8 import quantize_int8, quantize_int16x8
from emberlite.converter.writer import serialize
from tests.converter.ir_builder import GraphBuilder

# Importer keys that produce no op of their own.
ONNX_NO_OP = {"Identity",   # its input is its output
              "Dropout",    # the identity at inference
              "Shape",      # folded to a constant
              "Size",       # folded to a constant
              "EyeLike"}    # a constant of the input's shape
TFLITE_NO_OP = {"SHAPE"}    # folded to a constant

X = (1, 5, 5, 4)            # NHWC input of every one-node model
_RNG = np.random.default_rng(10)


def _w(b: GraphBuilder, shape: tuple[int, ...], positive: bool = False) -> str:
    value = _RNG.standard_normal(shape).astype(np.float32)
    return b.const(b.graph.unique_name("w"), np.abs(value) + 0.5 if positive else value)


def _one(op: OpType, params: object = None,
         consts: Callable[[GraphBuilder], list[str]] = lambda b: [],
         **kw: object) -> Callable[[GraphBuilder, str], object]:
    """A node "op" of `op` reading x and the constants `consts` makes."""
    return lambda b, x: b.node(op, [x, *consts(b)], params, name="op", **kw)


def _of_abs(op: OpType, consts: Callable[[GraphBuilder], list[str]] = lambda b: []
            ) -> Callable[[GraphBuilder, str], object]:
    """Node "op" of `op` reading |x|: an op whose result is NaN for some negative inputs, which
    calibration refuses."""
    return lambda b, x: b.node(op, [b.node(OpType.ABS, [x], name="abs"), *consts(b)],
                               name="op")


def _of_mask(op: OpType, inputs: int) -> Callable[[GraphBuilder, str], object]:
    """Node "op" of `op` reading bool masks of x (x > 0, and x < w for a second input)."""
    def build(b: GraphBuilder, x: str) -> object:
        masks = [b.node(OpType.GREATER, [x, b.const("zero", np.zeros(1, np.float32))],
                        dtype=DType.BOOL),
                 b.node(OpType.LESS, [x, _w(b, (4,))], dtype=DType.BOOL)]
        return b.node(op, masks[:inputs], dtype=DType.BOOL, name="op")
    return build


def _of_int(op: OpType, inputs: int, params: object = None
            ) -> Callable[[GraphBuilder, str], object]:
    """Node "op" of `op` reading x cast to int32 (and a constant int32 second input)."""
    def build(b: GraphBuilder, x: str) -> object:
        ints = [b.node(OpType.CAST, [x], dtype=DType.INT32),
                b.const("bits", np.arange(4, dtype=np.int32))]
        return b.node(op, ints[:inputs], params, dtype=DType.INT32, name="op")
    return build


def _top_k(b: GraphBuilder, x: str) -> list[str]:
    """Node "op": TOP_K's values (float32) and indices (int32), 2 of x's last axis."""
    outs = ["op_values", "op_indices"]
    for name, dtype in zip(outs, (DType.FLOAT32, DType.INT32)):
        b.graph.tensors[name] = Tensor(name, dtype, X[:3] + (2,))
    b.graph.nodes.append(Node(OpType.TOP_K, "op", [x], outs, TopKParams(3)))
    return outs


def _one_hot(b: GraphBuilder, x: str) -> str:
    """Node "op": ONE_HOT of x cast to int32 indices, depth 3 at axis 3."""
    indices = b.node(OpType.CAST, [x], dtype=DType.INT32)
    values = b.const("values", np.array([-1.0, 2.0], np.float32))
    return b.node(OpType.ONE_HOT, [indices, values], OneHotParams(3), shapes=[X[:3] + (3, 4)],
                  dtype=DType.FLOAT32, name="op")


# A one-node float32 model of every op that has one (x: a float input of shape X).
FLOAT_MODELS: dict[OpType, Callable[[GraphBuilder, str], object]] = {
    OpType.CONV2D: _one(OpType.CONV2D, consts=lambda b: [_w(b, (3, 3, 3, 4)), _w(b, (3,))]),
    OpType.DEPTHWISE_CONV2D: _one(OpType.DEPTHWISE_CONV2D,
                                  consts=lambda b: [_w(b, (1, 3, 3, 4)), _w(b, (4,))]),
    OpType.TRANSPOSE_CONV2D: _one(OpType.TRANSPOSE_CONV2D,
                                  consts=lambda b: [_w(b, (3, 3, 3, 4)), _w(b, (3,))]),
    OpType.FULLY_CONNECTED: _one(OpType.FULLY_CONNECTED,
                                 consts=lambda b: [_w(b, (3, 4)), _w(b, (3,))]),
    OpType.BATCH_MATMUL: _one(OpType.BATCH_MATMUL, consts=lambda b: [_w(b, (4, 3))]),
    **{op: _one(op, consts=lambda b: [_w(b, (4,))])
       for op in (OpType.ADD, OpType.SUB, OpType.MUL, OpType.MAXIMUM, OpType.MINIMUM,
                  OpType.PRELU)},
    OpType.DIV: _one(OpType.DIV, consts=lambda b: [_w(b, (4,), positive=True)]),
    **{op: _one(op) for op in (OpType.RELU, OpType.RELU6, OpType.LEAKY_RELU, OpType.SIGMOID,
                               OpType.TANH, OpType.HARD_SIGMOID, OpType.HARD_SWISH,
                               OpType.L2_NORMALIZATION)},
    OpType.CLAMP: _one(OpType.CLAMP, ClampParams(-1.0, 1.0)),
    OpType.SOFTMAX: _one(OpType.SOFTMAX, SoftmaxParams(axis=3)),
    OpType.LOG_SOFTMAX: _one(OpType.LOG_SOFTMAX, SoftmaxParams(axis=3)),
    **{op: _one(op, Pool2DParams(filter_h=2, filter_w=2))
       for op in (OpType.MAX_POOL2D, OpType.AVERAGE_POOL2D)},
    **{op: _one(op, ReduceParams(axes=(1, 2))) for op in (
        OpType.MEAN, OpType.SUM, OpType.REDUCE_MAX, OpType.REDUCE_MIN, OpType.REDUCE_PROD)},
    OpType.RESHAPE: _one(OpType.RESHAPE, shapes=[(1, 25, 4)]),
    OpType.TRANSPOSE: _one(OpType.TRANSPOSE, TransposeParams((0, 3, 1, 2))),
    OpType.CONCATENATION: _one(OpType.CONCATENATION, ConcatenationParams(axis=3),
                               consts=lambda b: [_w(b, X)]),
    OpType.SPLIT: _one(OpType.SPLIT, SplitParams(axis=3), shapes=[(1, 5, 5, 2)] * 2),
    OpType.SLICE: _one(OpType.SLICE, SliceParams((0, 1, 1, 0), (1, 1, 1, 1)),
                       shapes=[(1, 3, 3, 4)]),
    OpType.PAD: _one(OpType.PAD, PadParams((0, 1, 1, 0, 0, 1, 1, 0))),
    OpType.GATHER: _one(OpType.GATHER, GatherParams(axis=1),
                        consts=lambda b: [b.const("indices", np.array([2, 0], np.int32))]),
    OpType.RESIZE: _one(OpType.RESIZE, ResizeParams(scale_h=2.0, scale_w=2.0)),
    **{op: _one(op, ArgParams(axis=3), dtype=DType.INT32)
       for op in (OpType.ARG_MAX, OpType.ARG_MIN)},
    OpType.CAST: _one(OpType.CAST, dtype=DType.INT32),
    **{op: _one(op) for op in (OpType.ABS, OpType.NEG, OpType.EXP, OpType.FLOOR, OpType.CEIL,
                               OpType.ROUND, OpType.SIGN, OpType.SIN, OpType.COS,
                               OpType.ATAN,
                               OpType.RECIPROCAL, OpType.ERF, OpType.SOFTPLUS, OpType.MISH,
                               OpType.SQUARE)},
    **{op: _of_abs(op) for op in (OpType.SQRT, OpType.RSQRT, OpType.LOG)},
    # of tanh(x): inside [-1, 1], where they are defined
    **{op: lambda b, x, op=op: b.node(op, [b.node(OpType.TANH, [x], name="tanh")], name="op")
       for op in (OpType.ACOS, OpType.ASIN)},
    OpType.ELU: _one(OpType.ELU, EluParams()),
    OpType.SELU: _one(OpType.SELU, SeluParams()),
    OpType.GELU: _one(OpType.GELU, GeluParams()),
    OpType.POW: _of_abs(OpType.POW, consts=lambda b: [_w(b, (4,))]),
    **{op: _one(op, consts=lambda b: [_w(b, (4,))], dtype=DType.BOOL)
       for op in (OpType.EQUAL, OpType.NOT_EQUAL, OpType.LESS, OpType.LESS_EQUAL,
                  OpType.GREATER, OpType.GREATER_EQUAL)},
    **{op: _of_mask(op, 2) for op in (OpType.LOGICAL_AND, OpType.LOGICAL_OR,
                                      OpType.LOGICAL_XOR)},
    OpType.LOGICAL_NOT: _of_mask(OpType.LOGICAL_NOT, 1),
    OpType.WHERE: lambda b, x: b.node(
        OpType.WHERE, [b.node(OpType.LESS, [x, _w(b, (4,))], dtype=DType.BOOL), x,
                       _w(b, X)], dtype=DType.FLOAT32, name="op"),
    OpType.GATHER_ELEMENTS: _one(OpType.GATHER_ELEMENTS, GatherParams(axis=3), consts=lambda b: [
        b.const("indices", _RNG.integers(-4, 4, (1, 5, 5, 2)).astype(np.int32))]),
    OpType.GATHER_ND: _one(OpType.GATHER_ND, GatherNDParams(0), consts=lambda b: [
        b.const("indices", np.array([[0, 4, -1], [0, 1, 2]], np.int32))]),
    OpType.SCATTER_ND: _one(OpType.SCATTER_ND, ScatterParams(0, ScatterReduction.MAX),
                            consts=lambda b: [b.const("indices", np.array([[0, 1], [0, -1]])),
                                              _w(b, (2, 5, 4))]),
    OpType.SCATTER_ELEMENTS: _one(OpType.SCATTER_ELEMENTS, ScatterParams(3), consts=lambda b: [
        b.const("indices", np.array([3, 1]).reshape(1, 1, 1, 2).repeat(5, 1).repeat(5, 2)),
        _w(b, (1, 5, 5, 2))]),
    OpType.TOP_K: _top_k,
    OpType.CUM_SUM: _one(OpType.CUM_SUM, CumSumParams(axis=1, exclusive=True)),
    OpType.CUM_PROD: _one(OpType.CUM_PROD, CumSumParams(axis=2, reverse=True)),
    OpType.GRID_SAMPLE: _one(OpType.GRID_SAMPLE, GridSampleParams(), consts=lambda b: [
        b.const("grid", _RNG.uniform(-1, 1, (1, 3, 2, 2)).astype(np.float32))]),
    OpType.ONE_HOT: _one_hot,
    OpType.MOD: _one(OpType.MOD, ModParams(fmod=True),
                     consts=lambda b: [_w(b, (4,), positive=True)]),
    **{op: _of_int(op, 2) for op in (OpType.BITWISE_AND, OpType.BITWISE_OR,
                                     OpType.BITWISE_XOR)},
    OpType.BITWISE_NOT: _of_int(OpType.BITWISE_NOT, 1),
    OpType.BIT_SHIFT: _of_int(OpType.BIT_SHIFT, 2, BitShiftParams(ShiftDirection.RIGHT)),
    OpType.QUANTIZE_LINEAR: lambda b, x: b.node(
        OpType.QUANTIZE_LINEAR, [x, b.const("scale", np.float32(0.05)),
                                 b.const("zp", np.uint8(100))], dtype=DType.UINT8, name="op"),
    OpType.DEQUANTIZE_LINEAR: lambda b, x: b.node(
        OpType.DEQUANTIZE_LINEAR, [b.node(OpType.CAST, [x], dtype=DType.INT32),
                                   b.const("scale", np.full((1, 1, 1, 4), 0.5, np.float32))],
        dtype=DType.FLOAT32, name="op"),
}
# QUANTIZE, DEQUANTIZE and LOOKUP_TABLE have no float32 form: DIRECT_MODELS runs them.
NO_FLOAT_MODEL = {OpType.QUANTIZE, OpType.DEQUANTIZE, OpType.LOOKUP_TABLE}


def _float_model(op: OpType) -> Graph:
    b = GraphBuilder()
    out = FLOAT_MODELS[op](b, b.input("x", X))
    b.output(*(out if isinstance(out, list) else [out]))
    return b.build()


def _run(graph: Graph) -> Interpreter:
    """Loads `graph`'s .ember and invokes it once on random inputs; returns the interpreter."""
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)))
    interp.allocate_tensors()
    for detail in interp.get_input_details():
        dtype = np.dtype(detail["dtype"])
        value = (_RNG.standard_normal(detail["shape"]) if dtype.kind == "f" else
                 _RNG.integers(-100, 100, detail["shape"]))
        interp.set_tensor(detail["index"], np.require(value.astype(dtype), requirements="C"))
    interp.invoke()
    return interp


def _quantized(op: OpType, kind: str) -> Graph:
    """The one-node float model of `op`, calibrated and quantized to `kind` (int8 or 16x8),
    with integer inputs and outputs."""
    graph = _float_model(op)
    samples = [_RNG.standard_normal(X).astype(np.float32) for _ in range(4)]
    ranges = calibrate(graph, samples, progress=False)
    if kind == "int8":
        return quantize_int8(graph, ranges, "minmax", "int8")
    return quantize_int16x8(graph, ranges, "minmax", "int16")


def _node_types(graph: Graph) -> tuple[DType, DType]:
    """(input 0 type, output 0 type) of the node named "op"."""
    node = next(n for n in graph.nodes if n.name == "op")
    return graph.tensors[node.inputs[0]].dtype, graph.tensors[node.outputs[0]].dtype


def _claims(kind: str, quantizer: bool) -> list[OpType]:
    return [op for op, f in OPS.items() if getattr(f, kind) is not None
            and getattr(f, kind).quantizer == quantizer]


@pytest.mark.parametrize("kind", ["int8", "int16"])
@pytest.mark.parametrize("op", sorted(FLOAT_MODELS), ids=lambda op: op.name.lower())
def test_quantizer_follows_the_facts(op: OpType, kind: str) -> None:
    """An op whose facts give the quantizer a `kind` rule becomes a `kind` node that the
    runtime runs, with the .ember's tensors of that type; any other op stays a float32 node
    (between DEQUANTIZE and QUANTIZE) that the runtime runs too."""
    rule = getattr(OPS[op], kind)
    q = _quantized(op, kind)
    x_type, y_type = _node_types(q)
    interp = _run(q)
    assert op.name.lower() in interp.node_ops()
    want = DType.INT8 if kind == "int8" else DType.INT16
    if rule is None or not rule.quantizer:
        assert x_type in (DType.FLOAT32, DType.INT32, DType.BOOL)  # ONE_HOT's indices
        # QUANTIZE_LINEAR writes plain uint8 (its scale is an input, not the tensor's)
        assert y_type in (DType.FLOAT32, DType.INT32, DType.BOOL, DType.UINT8)
        return
    assert x_type == want
    assert y_type == (DType.INT32 if OPS[op].index_outputs else want)
    assert np.dtype(interp.get_input_details()[0]["dtype"]) == want.numpy
    if not OPS[op].index_outputs:
        assert {np.dtype(d["dtype"]) for d in interp.get_output_details()} == {want.numpy}


def _int8(b: GraphBuilder, name: str, scale: float, zero_point: int) -> None:
    t = b.graph.tensors[name]
    t.dtype, t.quant = DType.INT8, QuantParams((scale,), (zero_point,))


def _direct_div(b: GraphBuilder) -> str:
    # A constant divisor: a zero one is a run-time error, not what this test asks.
    x = b.input("x", X, DType.INT8)
    y = b.const("y", _RNG.integers(10, 100, X).astype(np.int8))
    _int8(b, x, 0.05, 0)
    _int8(b, y, 0.05, 3)
    out = b.node(OpType.DIV, [x, y], name="op")
    _int8(b, out, 0.1, 0)
    return out


def _direct_log_softmax(b: GraphBuilder) -> str:
    x = b.input("x", X, DType.INT8)
    _int8(b, x, 0.05, 0)
    out = b.node(OpType.LOG_SOFTMAX, [x], SoftmaxParams(axis=3), name="op")
    _int8(b, out, 16 / 256, 127)
    return out


def _direct_lookup_table(b: GraphBuilder) -> str:
    x = b.input("x", X, DType.INT8)
    _int8(b, x, 0.05, 0)
    table = b.const("table", _RNG.integers(-128, 128, 256).astype(np.int8))
    out = b.node(OpType.LOOKUP_TABLE, [x, table], name="op")
    _int8(b, out, 0.1, 3)
    return out


def _direct_conversion(op: OpType, src: DType, dst: DType) -> Callable[[GraphBuilder], str]:
    def build(b: GraphBuilder) -> str:
        x = b.input("x", X, src)
        if src != DType.FLOAT32 and op != OpType.CAST:
            b.graph.tensors[x].quant = QuantParams((0.05,), (0,))
        out = b.node(op, [x], name="op", dtype=dst)
        if dst in (DType.INT8, DType.INT16) and op != OpType.CAST:
            b.graph.tensors[out].quant = QuantParams((0.05,), (0,))
        return out
    return build


# One-node models of the kernels the post-training quantizer does not pick: (op, type).
DIRECT_MODELS = {
    (OpType.DIV, "int8"): _direct_div,
    (OpType.LOG_SOFTMAX, "int8"): _direct_log_softmax,
    (OpType.LOOKUP_TABLE, "int8"): _direct_lookup_table,
    (OpType.QUANTIZE, "int8"): _direct_conversion(OpType.QUANTIZE, DType.FLOAT32, DType.INT8),
    (OpType.QUANTIZE, "int16"): _direct_conversion(OpType.QUANTIZE, DType.FLOAT32,
                                                   DType.INT16),
    (OpType.DEQUANTIZE, "int8"): _direct_conversion(OpType.DEQUANTIZE, DType.INT8,
                                                    DType.FLOAT32),
    (OpType.DEQUANTIZE, "int16"): _direct_conversion(OpType.DEQUANTIZE, DType.INT16,
                                                     DType.FLOAT32),
    (OpType.CAST, "int8"): _direct_conversion(OpType.CAST, DType.INT8, DType.INT32),
}


def test_every_kernel_the_quantizer_skips_has_a_direct_model() -> None:
    assert sorted(DIRECT_MODELS) == sorted((op, kind) for kind in ("int8", "int16")
                                           for op in _claims(kind, quantizer=False))
    assert set(FLOAT_MODELS) | NO_FLOAT_MODEL == set(OpType)


@pytest.mark.parametrize("op,kind", sorted(DIRECT_MODELS),
                         ids=lambda v: v.name.lower() if isinstance(v, OpType) else v)
def test_kernels_the_quantizer_skips_run(op: OpType, kind: str) -> None:
    """DIV and LOG_SOFTMAX (int8 kernels for imported TFLite models), LOOKUP_TABLE (made by a
    pass), QUANTIZE, DEQUANTIZE and CAST: a one-node model with the `kind` tensors their facts claim loads and runs."""
    b = GraphBuilder()
    b.output(DIRECT_MODELS[op, kind](b))
    graph = b.build()
    want = DType.INT8 if kind == "int8" else DType.INT16
    assert want in _node_types(graph)
    interp = _run(graph)
    assert interp.node_ops() == [op.name.lower()]


def test_per_channel_weights_sit_where_the_facts_say() -> None:
    for op, f in OPS.items():
        for rule in (f.int8, f.int16):
            if rule is not None and rule.weights:
                assert (f.weights, f.bias, type(f.weight_axis)) == (1, 2, int), op


def _tflite_name(code: int) -> str:
    return next(k for k, v in vars(BuiltinOperator).items() if v == code)


def test_tflite_names_are_importer_keys() -> None:
    listed = [name for f in OPS.values() for name in f.tflite]
    assert len(listed) == len(set(listed)), "a TFLite operator listed by two ops"
    assert {getattr(BuiltinOperator, name) for name in listed} <= set(TFLITE_OPS)
    keys = {_tflite_name(code) for code in TFLITE_OPS}
    assert keys - TFLITE_NO_OP == set(listed)


def test_onnx_names_are_importer_keys() -> None:
    keys = {key if isinstance(key, str) else key[0] for key in ONNX_OPS}
    listed = {name for f in OPS.values() for name in f.onnx}
    assert listed <= keys
    assert keys - ONNX_NO_OP == listed


def test_ops_doc_is_current() -> None:
    """docs/ops.md is what scripts/gen_ops_doc.py makes of the facts and the C variants."""
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("gen_ops_doc", root / "scripts/gen_ops_doc.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (root / "docs/ops.md").read_text() == gen.render(), \
        "docs/ops.md is stale: run .venv/bin/python scripts/gen_ops_doc.py"
