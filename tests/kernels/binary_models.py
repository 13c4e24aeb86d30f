"""float32 models of the binary ops ADD, SUB, MUL and DIV for tests/kernels/test_<op>.py,
compared with ONNX Runtime: numpy broadcasting, constant operands, fused activations and the
NHWC path after a Conv. Each op's file runs these checks with its own ONNX op name."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tests.helpers import assert_matches_ort

OPSET = 17

# (shape of a, shape of b): equal, per-channel NCHW, scalar, last dim, both sides broadcast,
# rank mismatch both ways, 1-sized dims, odd sizes, rank 5 and the maximum rank 8.
SHAPES = [
    ((2, 3, 4, 5), (2, 3, 4, 5)),
    ((2, 3, 4, 5), (3, 1, 1)),
    ((2, 3, 4, 5), ()),
    ((), (3, 5)),
    ((2, 3, 4, 5), (5,)),
    ((3, 1, 5), (4, 1)),
    ((7,), (1, 7, 1)),
    ((1,), (7,)),
    ((1, 1, 1), (1,)),
    ((1, 3, 1), (3, 1, 3)),
    ((5, 7, 9), (9,)),
    ((5, 7, 9), (5, 1, 9)),
    ((2, 1, 3, 1, 2), (3, 4, 1)),
    ((2, 1, 2, 1, 2, 1, 2, 1), (1, 2, 1, 2, 1, 2, 1, 3)),
]

CONSTANT_SHAPES = [((2, 3, 4, 5), (3, 1, 1)), ((3, 5), ()), ((4, 6), (4, 6)), ((5,), (2, 3, 5))]

# (shape of the other operand, whether it is a constant) after a Conv with 4 channels.
AFTER_CONV = [
    ((4, 1, 1), True),
    ((1, 4, 1, 1), True),
    ((), True),
    ((1, 4, 7, 6), False),
    ((6,), True),
    ((7, 1), True),
    ((4, 1, 1), False),
    ((6,), False),
]


def shapes_id(shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> str:
    return f"{shapes[0]}x{shapes[1]}"


def operand(rng: np.random.Generator, shape: tuple[int, ...], op: str, second: bool) -> np.ndarray:
    x = rng.standard_normal(shape).astype(np.float32)
    if op == "Div" and second:
        # Divisors away from zero keep the quotient (and the tolerance) meaningful.
        x = (np.sign(x) + (x == 0)) * rng.uniform(0.5, 2.0, shape)
    return np.asarray(x, dtype=np.float32)


def binary_model(op: str, a: np.ndarray, b: np.ndarray, const_a: bool, const_b: bool,
                 post: str | None = None) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    inputs, inits, feeds = [], [], []
    for name, value, const in (("a", a, const_a), ("b", b, const_b)):
        if const:
            inits.append(numpy_helper.from_array(value, name))
        else:
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, value.shape))
            feeds.append(value)
    nodes = [helper.make_node(op, ["a", "b"], ["y" if post is None else "t"])]
    if post == "Relu":
        nodes.append(helper.make_node("Relu", ["t"], ["y"]))
    elif post == "Relu6":
        inits += [numpy_helper.from_array(np.array(0, np.float32), "lo"),
                  numpy_helper.from_array(np.array(6, np.float32), "hi")]
        nodes.append(helper.make_node("Clip", ["t", "lo", "hi"], ["y"]))
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)
    graph = helper.make_graph(nodes, f"{op.lower()}_test", inputs, [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    return model, feeds


def conv_then(op: str, other_shape: tuple[int, ...], other_const: bool,
              rng: np.random.Generator) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    """x [1,3,7,6] -> Conv(4 channels) -> Sigmoid -> op(other): the binary op runs on NHWC data.
    The Sigmoid keeps a constant per-channel operand from being folded into the conv."""
    x = rng.standard_normal((1, 3, 7, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.3
    other = operand(rng, other_shape, op, second=True)
    inits = [numpy_helper.from_array(w, "w")]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)]
    feeds = [x]
    if other_const:
        inits.append(numpy_helper.from_array(other, "o"))
    else:
        inputs.append(helper.make_tensor_value_info("o", TensorProto.FLOAT, other.shape))
        feeds.append(other)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Sigmoid", ["c"], ["s"]),
             helper.make_node(op, ["s", "o"], ["y"])]
    out_shape = np.broadcast_shapes((1, 4, 7, 6), other.shape)
    graph = helper.make_graph(nodes, "conv_binary", inputs,
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return model, feeds


def check_broadcast(op: str, shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    rng = np.random.default_rng(len(shapes[0]) * 31 + len(shapes[1]))
    a = operand(rng, shapes[0], op, second=False)
    b = operand(rng, shapes[1], op, second=True)
    model, feeds = binary_model(op, a, b, const_a=False, const_b=False)
    assert_matches_ort(model, feeds)


def check_constant_operand(op: str, const_side: str,
                           shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> None:
    rng = np.random.default_rng(7)
    a = operand(rng, shapes[0], op, second=False)
    b = operand(rng, shapes[1], op, second=True)
    model, feeds = binary_model(op, a, b, const_a=const_side == "a", const_b=const_side == "b")
    assert_matches_ort(model, feeds)


def check_fused_activation(op: str, post: str) -> None:
    rng = np.random.default_rng(11)
    a = operand(rng, (2, 3, 5), op, second=False) * 8
    b = operand(rng, (3, 5), op, second=True)
    model, feeds = binary_model(op, a, b, const_a=False, const_b=False, post=post)
    assert_matches_ort(model, feeds)


def check_after_conv(op: str, other_shape: tuple[int, ...], other_const: bool) -> None:
    model, feeds = conv_then(op, other_shape, other_const, np.random.default_rng(5))
    assert_matches_ort(model, feeds)
