"""Writes the small .ember models the C tests load, built from hand-made IR graphs with the
real planner and writer.

Usage: make_models.py OUT_DIR
  conv_relu_add.ember  conv2d -> relu -> add(const) -> reshape -> fully_connected
  fc.ember             fully_connected with fused relu
  concat.ember         two inputs -> relu -> concatenation -> split
  quant.ember          relu whose input carries per-channel quantization parameters (the
                       verifier's quantization checks have something to look at)
  op_<op>.ember        one small model per op: fuzzer seeds, and the alloc/arena tests run
                       every kernel's prepare and eval through them
  op_<op>_i8.ember     the same for the int8 forms of the element-wise activations,
                       LOG_SOFTMAX and DIV
  op_dequantize_f16.ember, op_dequantize_i8_channel.ember
                       DEQUANTIZE of a run-time float16 input, of a per-channel int8 one
  dequantized_weights.ember
                       conv2d and fully_connected reading int8 per-channel and float16
                       weights through DEQUANTIZE nodes computed at prepare (no arena slot)
  patch_slice.ember, patch_transpose.ember
                       SLICE begin (0, 12345) and TRANSPOSE perm (3, 1, 2, 0): parameter
                       vectors the patched-params test finds in the bytes and changes
  hybrid_block.ember   a float32 network with dynamic-range int8 weights computing in int8
                       (gathered 3x3 and 5x5, direct 1x1, a residual, fully connected rows),
                       for test_hybrid_models.c
  int8_block.ember, int8_depthwise5x5.ember, int16x8_block.ember
                       whole int8 and 16x8 networks made by Emberlite's quantizer (a
                       MobileNet-like block; depthwise 5x5 and a conv with tails; 16x8 convs,
                       depthwise and fully connected), for test_int8_models.c
  dynamic_seq.ember    bounded dynamic shapes (format 8): x [1, S, 8] and mask [1, S, 1], S in
                       1..16, y = reshape(relu(x + pos[:S]) * mask) [1, S * 8] and a slice
                       z = y[:, 1:], for test_dynamic_shapes.c
  int_arith_i32.ember, int_arith_i64.ember
                       plain integer arithmetic: inputs a, b [8] and outputs add, sub, mul,
                       div, maximum, minimum, pow (a ^ b), neg, abs and sign (of a), for
                       test_integer_arithmetic.c to run on wrapping values under the sanitizers
  signed_int8.ember    int8_block with model_version 7, signed by a test key made from a
                       public seed (it proves only the format); signed_key.bin is that key's
                       raw public key, for test_signed_models.c
  index.txt            the names of all of the above, one per line
  empty_<case>.ember   the cases of tests/runtime/empty_worker.py: every op on tensors that
                       hold no element with other dims of 2^31 - 1, for test_empty_tensors.c
                       to run under the sanitizers
  empty_index.txt      their names, each followed by "ok" or "refused"
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from emberlite.converter.ir import (DType, Graph, Node, QuantParams, Symbol, Tensor,
                                    constant_array)
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.arg_max import ArgParams
from emberlite.converter.ops.batch_matmul import BatchMatMulParams
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.hard_sigmoid import HardSigmoidParams
from emberlite.converter.ops.leaky_relu import LeakyReluParams
from emberlite.converter.ops.lookup_table import int8_lookup_table, sigmoid_f32, tanh_f32
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.ops.pad import PadParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.ops.reshape import ReshapeParams
from emberlite.converter.ops.resize import ResizeMode, ResizeParams
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.softmax import SoftmaxParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.ops.transpose_conv2d import TransposeConv2DParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize


def _act(name: str, shape: tuple[int, ...]) -> Tensor:
    return Tensor(name, DType.FLOAT32, shape)


def _const(name: str, rng: np.random.Generator, shape: tuple[int, ...]) -> Tensor:
    data = constant_array(rng.standard_normal(shape).astype(np.float32))
    return Tensor(name, DType.FLOAT32, shape, data)


def _graph(tensors: list[Tensor], nodes: list[Node], inputs: list[str],
           outputs: list[str]) -> Graph:
    return Graph({t.name: t for t in tensors}, nodes, inputs, outputs)


def conv_relu_add() -> Graph:
    rng = np.random.default_rng(1)
    tensors = [
        _act("x", (1, 6, 6, 3)), _const("conv.w", rng, (4, 3, 3, 3)), _const("conv.b", rng, (4,)),
        _act("conv", (1, 6, 6, 4)), _act("relu", (1, 6, 6, 4)), _const("bias2", rng, (4,)),
        _act("sum", (1, 6, 6, 4)), _act("flat", (1, 144)), _const("fc.w", rng, (5, 144)),
        _const("fc.b", rng, (5,)), _act("y", (1, 5)),
    ]
    nodes = [
        Node(OpType.CONV2D, "conv", ["x", "conv.w", "conv.b"], ["conv"],
             Conv2DParams(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1)),
        Node(OpType.RELU, "relu", ["conv"], ["relu"]),
        Node(OpType.ADD, "add", ["relu", "bias2"], ["sum"], BinaryParams()),
        Node(OpType.RESHAPE, "flatten", ["sum"], ["flat"], ReshapeParams()),
        Node(OpType.FULLY_CONNECTED, "fc", ["flat", "fc.w", "fc.b"], ["y"],
             FullyConnectedParams()),
    ]
    return _graph(tensors, nodes, ["x"], ["y"])


def fc() -> Graph:
    rng = np.random.default_rng(2)
    tensors = [_act("x", (2, 8)), _const("w", rng, (3, 8)), _const("b", rng, (3,)),
               _act("y", (2, 3))]
    nodes = [Node(OpType.FULLY_CONNECTED, "fc", ["x", "w", "b"], ["y"],
                  FullyConnectedParams(activation=FusedActivation.RELU))]
    return _graph(tensors, nodes, ["x"], ["y"])


def concat() -> Graph:
    tensors = [_act("a", (1, 2, 3)), _act("b", (1, 2, 5)), _act("ra", (1, 2, 3)),
               _act("cat", (1, 2, 8)), _act("s0", (1, 2, 4)), _act("s1", (1, 2, 4))]
    nodes = [
        Node(OpType.RELU, "relu", ["a"], ["ra"]),
        Node(OpType.CONCATENATION, "concat", ["ra", "b"], ["cat"], ConcatenationParams(axis=2)),
        Node(OpType.SPLIT, "split", ["cat"], ["s0", "s1"], SplitParams(axis=2)),
    ]
    return _graph(tensors, nodes, ["a", "b"], ["s0", "s1"])


def quant() -> Graph:
    x = Tensor("x", DType.FLOAT32, (1, 4, 3), quant=QuantParams((0.5, 0.25, 2.0), (0, 1, -1), 2))
    tensors = [x, _act("y", (1, 4, 3))]
    return _graph(tensors, [Node(OpType.RELU, "relu", ["x"], ["y"])], ["x"], ["y"])


# The begin vector of patch_slice and the perm of patch_transpose, as test_patched_params.c
# finds them in the file: a FlatBuffer vector, its length then its int32 elements.
PATCH_BEGIN = (0, 12345)
PATCH_PERM = (3, 1, 2, 0)


def patch_slice() -> Graph:
    tensors = [_act("x", (2, 12347)), _act("y", (2, 2))]
    node = Node(OpType.SLICE, "slice", ["x"], ["y"], SliceParams(begin=PATCH_BEGIN, step=(1, 1)))
    return _graph(tensors, [node], ["x"], ["y"])


def patch_transpose() -> Graph:
    tensors = [_act("x", (2, 3, 4, 5)), _act("y", (5, 3, 4, 2))]
    node = Node(OpType.TRANSPOSE, "transpose", ["x"], ["y"], TransposeParams(perm=PATCH_PERM))
    return _graph(tensors, [node], ["x"], ["y"])


MODELS = {"conv_relu_add": conv_relu_add, "fc": fc, "concat": concat, "quant": quant,
          "patch_slice": patch_slice, "patch_transpose": patch_transpose}

# op -> (params, [(input name, shape, constant?)], output shape). Inputs marked constant get
# random weights; the rest are graph inputs.
_F = FusedActivation
_UNARY = [("x", (2, 5), False)]
_BINARY = [("a", (1, 4, 3), False), ("b", (3,), True)]
_POOL = Pool2DParams(filter_h=2, filter_w=2, stride_h=2, stride_w=2)
OP_CASES: dict[OpType, tuple[object, list[tuple[str, tuple[int, ...], bool]], tuple[int, ...]]] = {
    OpType.CONV2D: (Conv2DParams(stride_h=2, stride_w=2, pad_top=1, pad_left=1, pad_bottom=1,
                                 pad_right=1, groups=2, activation=_F.RELU6),
                    [("x", (1, 5, 5, 4), False), ("w", (6, 3, 3, 2), True), ("b", (6,), True)],
                    (1, 3, 3, 6)),
    OpType.DEPTHWISE_CONV2D: (DepthwiseConv2DParams(pad_top=1, pad_left=1, pad_bottom=1,
                                                    pad_right=1, depth_multiplier=2),
                              [("x", (1, 4, 4, 3), False), ("w", (1, 3, 3, 6), True),
                               ("b", (6,), True)], (1, 4, 4, 6)),
    OpType.TRANSPOSE_CONV2D: (TransposeConv2DParams(stride_h=2, stride_w=2),
                              [("x", (1, 3, 3, 2), False), ("w", (3, 3, 3, 2), True),
                               ("b", (3,), True)], (1, 7, 7, 3)),
    OpType.FULLY_CONNECTED: (FullyConnectedParams(), [("x", (2, 6), False),
                                                      ("w", (4, 6), True)], (2, 4)),
    OpType.BATCH_MATMUL: (BatchMatMulParams(), [("a", (2, 3, 4), False),
                                                ("b", (2, 4, 5), False)], (2, 3, 5)),
    OpType.ADD: (BinaryParams(activation=_F.RELU), _BINARY, (1, 4, 3)),
    OpType.SUB: (BinaryParams(), _BINARY, (1, 4, 3)),
    OpType.MUL: (BinaryParams(), _BINARY, (1, 4, 3)),
    OpType.DIV: (BinaryParams(), _BINARY, (1, 4, 3)),
    OpType.RELU: (None, _UNARY, (2, 5)),
    OpType.RELU6: (None, _UNARY, (2, 5)),
    OpType.CLAMP: (ClampParams(min=-0.5, max=0.5), _UNARY, (2, 5)),
    OpType.LEAKY_RELU: (LeakyReluParams(alpha=0.1), _UNARY, (2, 5)),
    OpType.SIGMOID: (None, _UNARY, (2, 5)),
    OpType.TANH: (None, _UNARY, (2, 5)),
    OpType.HARD_SIGMOID: (HardSigmoidParams(), _UNARY, (2, 5)),
    OpType.HARD_SWISH: (None, _UNARY, (2, 5)),
    OpType.MAX_POOL2D: (_POOL, [("x", (1, 6, 6, 2), False)], (1, 3, 3, 2)),
    OpType.AVERAGE_POOL2D: (_POOL, [("x", (1, 6, 6, 2), False)], (1, 3, 3, 2)),
    OpType.MEAN: (ReduceParams(axes=(1, 2)), [("x", (1, 4, 4, 3), False)], (1, 1, 1, 3)),
    OpType.RESHAPE: (ReshapeParams(), [("x", (2, 6), False)], (3, 4)),
    OpType.TRANSPOSE: (TransposeParams(perm=(2, 0, 1)), [("x", (2, 3, 4), False)], (4, 2, 3)),
    OpType.CONCATENATION: (ConcatenationParams(axis=1), [("a", (2, 3), False),
                                                         ("b", (2, 2), True)], (2, 5)),
    OpType.SLICE: (SliceParams(begin=(1, 0), step=(1, 2)), [("x", (4, 6), False)], (2, 3)),
    OpType.PAD: (PadParams(pads=(0, 1, 1, 0, 0, 1, 1, 0), value=0.5),
                 [("x", (1, 3, 3, 2), False)], (1, 5, 5, 2)),
    OpType.SOFTMAX: (SoftmaxParams(axis=1), _UNARY, (2, 5)),
    OpType.RESIZE: (ResizeParams(mode=ResizeMode.LINEAR, scale_h=2.0, scale_w=2.0),
                    [("x", (1, 2, 3, 2), False)], (1, 4, 6, 2)),
    OpType.MAXIMUM: (None, _BINARY, (1, 4, 3)),
    OpType.MINIMUM: (None, _BINARY, (1, 4, 3)),
    OpType.PRELU: (None, [("x", (1, 4, 3), False), ("alpha", (1, 3), True)], (1, 4, 3)),
    OpType.SUM: (ReduceParams(axes=(0, 2)), [("x", (2, 4, 3), False)], (4,)),
    OpType.L2_NORMALIZATION: (None, _UNARY, (2, 5)),
    OpType.LOG_SOFTMAX: (SoftmaxParams(axis=0), _UNARY, (2, 5)),
}


def op_model(op: OpType) -> Graph:
    params, inputs, out_shape = OP_CASES[op]
    rng = np.random.default_rng(int(op))
    tensors = [_const(n, rng, shape) if const else _act(n, shape) for n, shape, const in inputs]
    tensors.append(_act("y", out_shape))
    node = Node(op, op.name.lower(), [n for n, _, _ in inputs], ["y"], params)
    graph_inputs = [n for n, _, const in inputs if not const]
    return _graph(tensors, [node], graph_inputs, ["y"])


def dynamic_seq() -> Graph:
    """Inputs x [1, S, 8] and mask [1, S, 1] share symbol S (1..16): the constant pos [1, 16, 8]
    (0.25 x its flat index) is cut to its first S rows, RESHAPE follows with new_shape (0, -1)
    and SLICE takes the rest of the axis (size (-1, -1))."""
    pos = np.arange(128, dtype=np.float32).reshape(1, 16, 8) * 0.25
    tensors = [Tensor("x", DType.FLOAT32, (1, 16, 8), dim_symbols=(-1, 0, -1)),
               Tensor("mask", DType.FLOAT32, (1, 16, 1), dim_symbols=(-1, 0, -1)),
               Tensor("pos", DType.FLOAT32, (1, 16, 8), constant_array(pos),
                      dim_symbols=(-1, 0, -1)),
               _act("s", (1, 16, 8)), _act("r", (1, 16, 8)), _act("m", (1, 16, 8)),
               _act("y", (1, 128)), _act("z", (1, 127))]
    nodes = [Node(OpType.ADD, "add", ["x", "pos"], ["s"], BinaryParams()),
             Node(OpType.RELU, "relu", ["s"], ["r"]),
             Node(OpType.MUL, "mul", ["r", "mask"], ["m"], BinaryParams()),
             Node(OpType.RESHAPE, "reshape", ["m"], ["y"], ReshapeParams(new_shape=(0, -1))),
             Node(OpType.SLICE, "slice", ["y"], ["z"], SliceParams((0, 1), (1, 1), (-1, -1)))]
    graph = _graph(tensors, nodes, ["x", "mask"], ["y", "z"])
    graph.symbols = [Symbol("S", 1, 16)]
    return graph


def split_model() -> Graph:
    tensors = [_act("x", (2, 7)), _act("y0", (2, 3)), _act("y1", (2, 4))]
    node = Node(OpType.SPLIT, "split", ["x"], ["y0", "y1"], SplitParams(axis=1))
    return _graph(tensors, [node], ["x"], ["y0", "y1"])


def gather_model() -> Graph:
    idx = Tensor("idx", DType.INT32, (3,), constant_array([4, 0, -1], np.int32))
    tensors = [_act("x", (5, 3)), idx, _act("y", (3, 3))]
    node = Node(OpType.GATHER, "gather", ["x", "idx"], ["y"], GatherParams(axis=0))
    return _graph(tensors, [node], ["x"], ["y"])


def quantize_model(op: OpType) -> Graph:
    """QUANTIZE (float x -> int8 y) or DEQUANTIZE (int8 x -> float y); the int8 side carries
    the scale and zero point."""
    q = QuantParams((0.05,), (-3,))
    x = Tensor("x", DType.FLOAT32, (2, 5)) if op == OpType.QUANTIZE else \
        Tensor("x", DType.INT8, (2, 5), quant=q)
    y = Tensor("y", DType.INT8, (2, 5), quant=q) if op == OpType.QUANTIZE else \
        Tensor("y", DType.FLOAT32, (2, 5))
    return _graph([x, y], [Node(op, op.name.lower(), ["x"], ["y"])], ["x"], ["y"])


def dequantize_f16_model() -> Graph:
    """DEQUANTIZE of a run-time float16 input: 4096 values (tests feed all 65536 in turn)."""
    tensors = [Tensor("x", DType.FLOAT16, (16, 256)), _act("y", (16, 256))]
    return _graph(tensors, [Node(OpType.DEQUANTIZE, "dequantize", ["x"], ["y"])], ["x"], ["y"])


def dequantize_channel_model() -> Graph:
    """DEQUANTIZE of a run-time int8 input with one scale and zero point per channel of axis
    1."""
    q = QuantParams((0.5, 0.03125, 3.0), (-4, 0, 7), 1)
    tensors = [Tensor("x", DType.INT8, (2, 3, 4), quant=q), _act("y", (2, 3, 4))]
    return _graph(tensors, [Node(OpType.DEQUANTIZE, "dequantize", ["x"], ["y"])], ["x"], ["y"])


def dequantized_weights() -> Graph:
    """x -> conv2d (int8 weights per output channel, axis 0; float16 bias) -> reshape ->
    fully_connected (float16 weights): the weights' DEQUANTIZE outputs are prepared
    constants."""
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    w_q = QuantParams((0.01, 0.002, 0.05, 0.3), (0, 0, 0, 0), 0)
    half = lambda name, shape: Tensor(  # noqa: E731
        name, DType.FLOAT16, shape, constant_array(rng.standard_normal(shape).astype(np.float16)))
    tensors = [
        _act("x", (1, 6, 6, 3)), Tensor("conv.w.i8", DType.INT8, w.shape, constant_array(w), w_q),
        _act("conv.w", w.shape), half("conv.b.f16", (4,)), _act("conv.b", (4,)),
        _act("conv", (1, 6, 6, 4)), _act("flat", (1, 144)), half("fc.w.f16", (5, 144)),
        _act("fc.w", (5, 144)), _act("y", (1, 5)),
    ]
    nodes = [
        Node(OpType.DEQUANTIZE, "conv.w.dequantize", ["conv.w.i8"], ["conv.w"]),
        Node(OpType.DEQUANTIZE, "conv.b.dequantize", ["conv.b.f16"], ["conv.b"]),
        Node(OpType.CONV2D, "conv", ["x", "conv.w", "conv.b"], ["conv"],
             Conv2DParams(pad_top=1, pad_left=1, pad_bottom=1, pad_right=1)),
        Node(OpType.RESHAPE, "flatten", ["conv"], ["flat"], ReshapeParams()),
        Node(OpType.DEQUANTIZE, "fc.w.dequantize", ["fc.w.f16"], ["fc.w"]),
        Node(OpType.FULLY_CONNECTED, "fc", ["flat", "fc.w"], ["y"], FullyConnectedParams()),
    ]
    return _graph(tensors, nodes, ["x"], ["y"])


# int8 element-wise activations: op -> params; SIGMOID and TANH get their lookup table.
I8_ACTIVATIONS = {OpType.RELU: None, OpType.RELU6: None, OpType.CLAMP: ClampParams(-1.0, 1.0),
                  OpType.LEAKY_RELU: LeakyReluParams(alpha=0.2), OpType.SIGMOID: None,
                  OpType.TANH: None, OpType.HARD_SWISH: None}


def i8_activation_model(op: OpType) -> Graph:
    q_in = QuantParams((0.05,), (-7,))
    q_out = QuantParams((1.0 / 256,), (-128,)) if op == OpType.SIGMOID else \
        QuantParams((0.03,), (5,))
    tensors = [Tensor("x", DType.INT8, (2, 5), quant=q_in),
               Tensor("y", DType.INT8, (2, 5), quant=q_out)]
    inputs = ["x"]
    if op in (OpType.SIGMOID, OpType.TANH):
        fn = sigmoid_f32 if op == OpType.SIGMOID else tanh_f32
        table = constant_array(int8_lookup_table(fn, q_in, q_out))
        tensors.append(Tensor("table", DType.INT8, table.shape, table, q_out))
        inputs.append("table")
    node = Node(op, f"{op.name.lower()}_i8", inputs, ["y"], I8_ACTIVATIONS[op])
    return _graph(tensors, [node], ["x"], ["y"])


def log_softmax_i8_model() -> Graph:
    """int8 LOG_SOFTMAX over the last axis; the output quantization LiteRT requires."""
    tensors = [Tensor("x", DType.INT8, (2, 5), quant=QuantParams((0.05,), (-7,))),
               Tensor("y", DType.INT8, (2, 5), quant=QuantParams((16.0 / 256,), (127,)))]
    node = Node(OpType.LOG_SOFTMAX, "log_softmax_i8", ["x"], ["y"], SoftmaxParams(axis=1))
    return _graph(tensors, [node], ["x"], ["y"])


def div_i8_model() -> Graph:
    """int8 DIV with broadcasting; the divisor's zero point is far from 0, so the C tests'
    inputs (zeros, or small values) are no zero divisor (which fails the invoke)."""
    tensors = [Tensor("a", DType.INT8, (1, 4, 3), quant=QuantParams((0.05,), (-7,))),
               Tensor("b", DType.INT8, (1, 3), quant=QuantParams((0.02,), (-120,))),
               Tensor("y", DType.INT8, (1, 4, 3), quant=QuantParams((0.1,), (3,)))]
    node = Node(OpType.DIV, "div_i8", ["a", "b"], ["y"], BinaryParams())
    return _graph(tensors, [node], ["a", "b"], ["y"])


def arg_model(op: OpType) -> Graph:
    """ARG_MAX / ARG_MIN of a float input along axis 1, int32 indices."""
    tensors = [_act("x", (2, 5, 3)), Tensor("y", DType.INT32, (2, 3))]
    return _graph(tensors, [Node(op, op.name.lower(), ["x"], ["y"], ArgParams(axis=1))],
                  ["x"], ["y"])


def cast_model() -> Graph:
    """CAST float32 -> int32 (truncation toward zero)."""
    tensors = [_act("x", (2, 5)), Tensor("y", DType.INT32, (2, 5))]
    return _graph(tensors, [Node(OpType.CAST, "cast", ["x"], ["y"])], ["x"], ["y"])


class _FloatNet:
    """A float32 NHWC graph built layer by layer with random weights, for INT8_MODELS. Each
    output channel's weights get their own magnitude (10^-3..1), so the quantizer gives
    per-channel scales that differ by orders of magnitude; the gain of 4 makes up for their
    mean square (0.07), so the input still shows at the outputs after a dozen layers."""

    def __init__(self, seed: int, shape: tuple[int, ...]):
        self.rng = np.random.default_rng(seed)
        self.tensors, self.nodes, self.shapes = [_act("x", shape)], [], {"x": shape}

    def _out(self, shape: tuple[int, ...]) -> str:
        name = f"t{len(self.nodes)}"
        self.tensors.append(_act(name, shape))
        self.shapes[name] = shape
        return name

    def _const(self, name: str, data: np.ndarray) -> None:
        self.tensors.append(Tensor(name, DType.FLOAT32, data.shape,
                                   constant_array(data.astype(np.float32))))

    def _weights(self, name: str, shape: tuple[int, ...], axis: int, fan_in: int,
                 gain: float = 4.0) -> None:
        spread = 10.0 ** self.rng.uniform(-3, 0, shape[axis])
        w = gain * self.rng.standard_normal(shape) / np.sqrt(fan_in)
        self._const(name, w * np.expand_dims(spread, [a for a in range(len(shape)) if a != axis]))
        self._const(f"{name[:-2]}.b", 0.02 * self.rng.standard_normal(shape[axis]))

    def conv(self, x: str, cout: int, k: int, stride: int = 1, pads: tuple[int, ...] = (0,) * 4,
             act: FusedActivation = FusedActivation.NONE, depthwise: bool = False) -> str:
        n, h, w, cin = self.shapes[x]
        top, left, bottom, right = pads
        oh, ow = (h + top + bottom - k) // stride + 1, (w + left + right - k) // stride + 1
        name = f"n{len(self.nodes)}"
        if depthwise:
            self._weights(f"{name}.w", (1, k, k, cin), 3, k * k)
            op, cout = OpType.DEPTHWISE_CONV2D, cin
            params: object = DepthwiseConv2DParams(stride, stride, 1, 1, *pads, activation=act)
        else:
            self._weights(f"{name}.w", (cout, k, k, cin), 0, k * k * cin)
            op, params = OpType.CONV2D, Conv2DParams(stride, stride, 1, 1, *pads, activation=act)
        y = self._out((n, oh, ow, cout))
        self.nodes.append(Node(op, name, [x, f"{name}.w", f"{name}.b"], [y], params))
        return y

    def node(self, op: OpType, inputs: list[str], shape: tuple[int, ...],
             params: object = None) -> str:
        y = self._out(shape)
        self.nodes.append(Node(op, f"n{len(self.nodes)}", inputs, [y], params))
        return y

    def fc(self, x: str, cout: int, gain: float) -> str:
        name = f"n{len(self.nodes)}"
        self._weights(f"{name}.w", (cout, self.shapes[x][-1]), 0, self.shapes[x][-1], gain)
        y = self._out(self.shapes[x][:-1] + (cout,))
        self.nodes.append(Node(OpType.FULLY_CONNECTED, name, [x, f"{name}.w", f"{name}.b"], [y],
                               FullyConnectedParams()))
        return y

    def quantized(self, outputs: list[str], low: float, high: float,
                  kind: str = "int8") -> Graph:
        """The graph quantized to int8, or to 16x8 with kind "int16" (integer input and
        outputs), by Emberlite's quantizer, its ranges those of the numpy evaluator on 8 inputs
        drawn uniformly from [low, high]."""
        from emberlite.converter.quantize.calibrate import observed_tensors
        from emberlite.converter.quantize.quantize_int8 import quantize_int8, quantize_int16x8
        from emberlite.converter.reference import evaluate

        graph = _graph(self.tensors, self.nodes, ["x"], outputs)
        ranges = {n: (0.0, 0.0) for n in observed_tensors(graph)}
        for _ in range(8):
            x = self.rng.uniform(low, high, self.shapes["x"]).astype(np.float32)
            values = evaluate(graph, {"x": x})
            ranges = {n: (min(lo, float(values[n].min())), max(hi, float(values[n].max())))
                      for n, (lo, hi) in ranges.items()}
        if kind == "int16":
            return quantize_int16x8(graph, ranges, "minmax", io="int16")
        return quantize_int8(graph, ranges, "minmax", io="int8")


def int8_block() -> Graph:
    """A quantized MobileNet-like network: RGB 3x3 stride-2 conv, depthwise 3x3 stride 1 and
    2 (TFLite's SAME padding, bottom/right, at stride 2), 1x1 convs with odd channel counts, a
    residual ADD, MEAN over H and W, FULLY_CONNECTED and SOFTMAX. The input is calibrated on
    [0, 2], so its zero point is -128. The last conv's output is a second graph output, so the
    test sees every pixel of the network body, not only ten probabilities."""
    net, relu6 = _FloatNet(41, (1, 17, 15, 3)), FusedActivation.RELU6
    a = net.conv("x", 16, 3, 2, (1, 1, 1, 1), relu6)                    # 9 x 8 x 16
    a = net.conv(a, 16, 3, 1, (1, 1, 1, 1), relu6, depthwise=True)
    a = net.conv(a, 11, 1)
    b = net.conv(a, 35, 1, act=relu6)
    b = net.conv(b, 35, 3, 1, (1, 1, 1, 1), relu6, depthwise=True)
    b = net.conv(b, 11, 1)
    a = net.node(OpType.ADD, [a, b], net.shapes[a], BinaryParams())
    a = net.conv(a, 21, 1, act=relu6)
    a = net.conv(a, 21, 3, 2, (0, 0, 1, 1), relu6, depthwise=True)      # 4 x 4 x 21
    body = net.conv(a, 19, 1)
    a = net.node(OpType.MEAN, [body], (1, 19), ReduceParams(axes=(1, 2)))
    a = net.fc(a, 10, gain=400.0)
    y = net.node(OpType.SOFTMAX, [a], (1, 10), SoftmaxParams(axis=1))
    return net.quantized([y, body], 0, 2)


def int8_depthwise5x5() -> Graph:
    """Quantized depthwise 5x5 at stride 1 and 2 on 7 channels, then a 3x3 conv of 20 input
    channels to 37 outputs (GEMM tails in rows, columns and K)."""
    net, relu = _FloatNet(42, (1, 13, 11, 7)), FusedActivation.RELU
    a = net.conv("x", 7, 5, 1, (2, 2, 2, 2), relu, depthwise=True)
    a = net.conv(a, 7, 5, 2, (1, 1, 2, 2), depthwise=True)              # 7 x 6 x 7
    a = net.conv(a, 20, 1, act=relu)
    return net.quantized([net.conv(a, 37, 3, 1, (1, 1, 1, 1))], -1, 3)


def int16x8_block() -> Graph:
    """A 16x8 network (int16 activations, int8 weights) made by Emberlite's quantizer: RGB 3x3
    stride-2 conv, depthwise 3x3 and 5x5 stride 2, 1x1 convs of odd widths, fully connected
    rows: the 16x8 GEMM, IGEMM and depthwise kernels with their tails."""
    net, relu6 = _FloatNet(44, (1, 11, 9, 3)), FusedActivation.RELU6
    a = net.conv("x", 12, 3, 2, (1, 1, 1, 1), relu6)                    # 6 x 5 x 12
    a = net.conv(a, 12, 3, 1, (1, 1, 1, 1), relu6, depthwise=True)
    a = net.conv(a, 21, 1, act=relu6)
    a = net.conv(a, 21, 5, 2, (2, 2, 2, 2), depthwise=True)             # 3 x 3 x 21
    body = net.conv(a, 17, 1)
    rows = net.node(OpType.RESHAPE, [body], (3, 51), ReshapeParams())
    return net.quantized([net.fc(rows, 9, gain=4.0), body], -1, 2, kind="int16")


def hybrid_block() -> Graph:
    """Float32 with int8 weights, computing in int8 (quantize("dynamic", compute="int8")): an
    RGB 3x3 stride-2 conv (gathered, 3 channels), 1x1 convs of odd widths (direct), one with a
    residual input 3, a 5x5 stride-2 conv of 21 channels (gathered), then three rows of fully
    connected. No float32 op besides: their fast kernels differ from the reference in the last
    bits, and test_hybrid_models.c compares whole outputs bit for bit."""
    from emberlite.converter.quantize.weight_only import quantize_dynamic

    net, relu6 = _FloatNet(43, (1, 13, 11, 3)), FusedActivation.RELU6
    a = net.conv("x", 16, 3, 2, (1, 1, 1, 1), relu6)                    # 7 x 6 x 16
    a = net.conv(a, 21, 1)
    b = net.conv(a, 21, 1, act=relu6)
    net.nodes[-1].inputs.append(a)                                       # residual
    b = net.conv(b, 19, 5, 2, (2, 2, 2, 2), FusedActivation.RELU)      # 4 x 3 x 19
    rows = net.node(OpType.RESHAPE, [b], (3, 76), ReshapeParams())
    y = net.fc(rows, 9, gain=4.0)
    return quantize_dynamic(_graph(net.tensors, net.nodes, ["x"], [y, b]), "int8")


# Whole int8 networks: test_int8_models.c runs them (and every other model whose inputs and
# outputs are all integers) on the reference kernels and on the optimised ones.
INT8_MODELS = {"int8_block": int8_block, "int8_depthwise5x5": int8_depthwise5x5,
               "int16x8_block": int16x8_block}


INT_ARITH_BINARY = (OpType.ADD, OpType.SUB, OpType.MUL, OpType.DIV, OpType.MAXIMUM,
                    OpType.MINIMUM, OpType.POW)
INT_ARITH_UNARY = (OpType.NEG, OpType.ABS, OpType.SIGN)


def int_arith_model(dtype: DType) -> Graph:
    """The outputs in INT_ARITH_BINARY then INT_ARITH_UNARY order (test_integer_arithmetic.c)."""
    tensors = [Tensor(n, dtype, (8,)) for n in ("a", "b")]
    nodes, outputs = [], []
    for op in INT_ARITH_BINARY + INT_ARITH_UNARY:
        name = op.name.lower()
        params = BinaryParams() if op in (OpType.ADD, OpType.SUB, OpType.MUL, OpType.DIV) else None
        ins = ["a", "b"] if op in INT_ARITH_BINARY else ["a"]
        tensors.append(Tensor(name, dtype, (8,)))
        nodes.append(Node(op, name, ins, [name], params))
        outputs.append(name)
    return _graph(tensors, nodes, ["a", "b"], outputs)


def all_models() -> dict[str, Graph]:
    graphs = {name: build() for name, build in MODELS.items()}
    for op in OpType:
        if op in OP_CASES:
            graphs[f"op_{op.name.lower()}"] = op_model(op)
    graphs["op_split"] = split_model()
    graphs["op_gather"] = gather_model()
    for op in (OpType.QUANTIZE, OpType.DEQUANTIZE):
        graphs[f"op_{op.name.lower()}"] = quantize_model(op)
    for op in I8_ACTIVATIONS:
        graphs[f"op_{op.name.lower()}_i8"] = i8_activation_model(op)
    graphs["op_log_softmax_i8"] = log_softmax_i8_model()
    graphs["op_div_i8"] = div_i8_model()
    for op in (OpType.ARG_MAX, OpType.ARG_MIN):
        graphs[f"op_{op.name.lower()}"] = arg_model(op)
    graphs["op_cast"] = cast_model()
    graphs["op_dequantize_f16"] = dequantize_f16_model()
    graphs["op_dequantize_i8_channel"] = dequantize_channel_model()
    graphs["dequantized_weights"] = dequantized_weights()
    graphs.update((name, build()) for name, build in INT8_MODELS.items())
    graphs["hybrid_block"] = hybrid_block()
    graphs["dynamic_seq"] = dynamic_seq()
    graphs["int_arith_i32"] = int_arith_model(DType.INT32)
    graphs["int_arith_i64"] = int_arith_model(DType.INT64)
    return graphs


def empty_models() -> dict[str, tuple[Graph, bool]]:
    """empty_<case> -> (graph, whether it must be refused), from the Python test's table."""
    path = Path(__file__).resolve().parents[1] / "runtime" / "empty_worker.py"
    spec = importlib.util.spec_from_file_location("empty_worker", path)
    worker = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = worker  # dataclasses look their module up there
    spec.loader.exec_module(worker)
    return {f"empty_{c.name}": (c.graph, c.refused is not None) for c in worker.all_cases()}


def write_signed(out: Path, graph: Graph) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from emberlite.signing import load_public_key, sign_model

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    data = serialize(graph, plan_memory(graph), model_version=7)
    (out / "signed_int8.ember").write_bytes(sign_model(data, key))
    (out / "signed_key.bin").write_bytes(load_public_key(key))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    graphs = all_models()
    for name, graph in graphs.items():
        data = serialize(graph, plan_memory(graph), metadata={"test.model": name})
        (out / f"{name}.ember").write_bytes(data)
    write_signed(out, graphs["int8_block"])
    (out / "index.txt").write_text("".join(f"{name}.ember\n" for name in graphs) +
                                   "signed_int8.ember\n")
    empty = empty_models()
    for name, (graph, _) in empty.items():
        (out / f"{name}.ember").write_bytes(serialize(graph, plan_memory(graph)))
    (out / "empty_index.txt").write_text("".join(
        f"{name}.ember {'refused' if refused else 'ok'}\n" for name, (_, refused) in empty.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
