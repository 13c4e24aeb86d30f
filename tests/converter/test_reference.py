"""reference.py against ONNX Runtime: each case is one IR node and the equivalent ONNX node.

IR spatial ops are NHWC with OHWI filters; the ONNX side gets the same data in NCHW/OIHW, and
the results are compared after transposing back.
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from emberlite.converter import reference
from emberlite.converter.ir import TO_NCHW, TO_NHWC, DType
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.batch_matmul import BatchMatMulParams
from emberlite.converter.ops.binary import BinaryParams
from emberlite.converter.ops.clamp import ClampParams
from emberlite.converter.ops.concatenation import ConcatenationParams
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.gather import GatherParams
from emberlite.converter.ops.hard_sigmoid import HardSigmoidParams
from emberlite.converter.ops.leaky_relu import LeakyReluParams
from emberlite.converter.ops.mean import ReduceParams
from emberlite.converter.ops.pad import PadMode, PadParams
from emberlite.converter.ops.pool2d import Pool2DParams
from emberlite.converter.ops.resize import (CoordinateTransform, NearestRounding, ResizeMode,
                                            ResizeParams)
from emberlite.converter.ops.slice import SliceParams
from emberlite.converter.ops.softmax import SoftmaxParams
from emberlite.converter.ops.split import SplitParams
from emberlite.converter.ops.transpose import TransposeParams
from emberlite.converter.ops.transpose_conv2d import TransposeConv2DParams
from tests.converter.ir_builder import GraphBuilder

OPSET = 18
_ONNX_TYPES = {np.dtype("float32"): TensorProto.FLOAT, np.dtype("int32"): TensorProto.INT32,
               np.dtype("int64"): TensorProto.INT64}


def onnx_single(op: str, inputs: list[np.ndarray], const: dict[str, np.ndarray] | None = None,
                n_outputs: int = 1, **attrs) -> list[np.ndarray]:
    """Runs one ONNX node in ORT; `inputs` are graph inputs x0.., `const` initializers."""
    const = const or {}
    names = [f"x{i}" for i in range(len(inputs))]
    outs = [f"y{i}" for i in range(n_outputs)]
    graph = helper.make_graph(
        [helper.make_node(op, names + list(const), outs, **attrs)], "g",
        [helper.make_tensor_value_info(n, _ONNX_TYPES[a.dtype], a.shape)
         for n, a in zip(names, inputs)],
        [helper.make_tensor_value_info(n, _ONNX_TYPES[inputs[0].dtype], None) for n in outs],
        [onnx.numpy_helper.from_array(v, k) for k, v in const.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, dict(zip(names, inputs)))


def ir_single(op: OpType, inputs: list[np.ndarray], params: object = None,
              const: list[np.ndarray] = (), shapes: list[tuple[int, ...]] | None = None,
              n_outputs: int = 1) -> list[np.ndarray]:
    b = GraphBuilder()
    names = [b.input(f"x{i}", a.shape, DType.from_numpy(a.dtype)) for i, a in enumerate(inputs)]
    names += [b.const(f"c{i}", c) for i, c in enumerate(const)]
    out = b.node(op, names, params, shapes=shapes, n_outputs=n_outputs)
    outs = out if isinstance(out, list) else [out]
    b.output(*outs)
    values = reference.evaluate(b.build(), {f"x{i}": a for i, a in enumerate(inputs)})
    return [values[o] for o in outs]


def close(got: np.ndarray, want: np.ndarray, tol: float = 1e-5) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


rng = np.random.default_rng(0)


def rand(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


# (stride, dilation, pads t,l,b,r, groups, kernel)
CONV_CASES = [(1, 1, (0, 0, 0, 0), 1, (3, 3)), (2, 1, (1, 1, 1, 1), 1, (3, 3)),
              (1, 2, (2, 1, 0, 3), 2, (3, 2)), (3, 1, (0, 1, 2, 0), 3, (1, 4))]


@pytest.mark.parametrize("stride,dil,pads,groups,kernel", CONV_CASES)
def test_conv2d(stride, dil, pads, groups, kernel):
    x, w, bias = rand(2, 6, 9, 10), rand(6, 6 // groups, *kernel), rand(6)
    p = Conv2DParams(stride, stride, dil, dil, pads[0], pads[1], pads[2], pads[3], groups)
    got = ir_single(OpType.CONV2D, [x.transpose(TO_NHWC)], p,
                    [w.transpose(0, 2, 3, 1), bias])[0]
    want = onnx_single("Conv", [x], {"w": w, "b": bias}, strides=[stride] * 2,
                       dilations=[dil] * 2, pads=[pads[0], pads[1], pads[2], pads[3]],
                       group=groups)[0]
    close(got.transpose(TO_NCHW), want)


@pytest.mark.parametrize("mult,stride,pads", [(1, 1, (1, 1, 1, 1)), (2, 2, (0, 1, 1, 0)),
                                              (3, 1, (0, 0, 0, 0))])
def test_depthwise_conv2d(mult, stride, pads):
    x, w = rand(1, 4, 7, 8), rand(4 * mult, 1, 3, 3)
    p = DepthwiseConv2DParams(stride, stride, 1, 1, *pads, depth_multiplier=mult,
                              activation=FusedActivation.RELU6)
    got = ir_single(OpType.DEPTHWISE_CONV2D, [x.transpose(TO_NHWC)], p,
                    [w.transpose(1, 2, 3, 0)])[0]
    conv = onnx_single("Conv", [x], {"w": w}, strides=[stride] * 2, pads=list(pads), group=4)[0]
    close(got.transpose(TO_NCHW), np.clip(conv, 0, 6))


@pytest.mark.parametrize("stride,dil,pads,groups,out_pad", [
    (1, 1, (0, 0, 0, 0), 1, (0, 0)), (2, 1, (1, 0, 1, 2), 1, (1, 0)),
    (2, 2, (0, 0, 0, 0), 2, (0, 1)), (3, 1, (1, 1, 1, 1), 2, (2, 1))])
def test_transpose_conv2d(stride, dil, pads, groups, out_pad):
    cin, cout, kh, kw = 4, 6, 3, 2
    x, w, bias = rand(2, cin, 5, 4), rand(cin, cout // groups, kh, kw), rand(cout)
    want = onnx_single("ConvTranspose", [x], {"w": w, "b": bias}, strides=[stride] * 2,
                       dilations=[dil] * 2, pads=list(pads), group=groups,
                       output_padding=list(out_pad))[0]
    # ONNX [Cin, Cout/g, KH, KW] -> IR [Cout, KH, KW, Cin/g].
    cin_g = cin // groups
    w_ir = np.concatenate([w[g * cin_g:(g + 1) * cin_g].transpose(1, 2, 3, 0)
                           for g in range(groups)], axis=0)
    p = TransposeConv2DParams(stride, stride, dil, dil, *pads, groups=groups)
    got = ir_single(OpType.TRANSPOSE_CONV2D, [x.transpose(TO_NHWC)], p, [w_ir, bias],
                    shapes=[tuple(want.transpose(TO_NHWC).shape)])[0]
    close(got.transpose(TO_NCHW), want)


@pytest.mark.parametrize("op,params,attrs", [
    (OpType.MAX_POOL2D, Pool2DParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1), {}),
    (OpType.MAX_POOL2D, Pool2DParams(2, 3, 1, 2, 2, 1, 0, 1, 1, 0), {"dilations": [2, 1]}),
    (OpType.AVERAGE_POOL2D, Pool2DParams(3, 3, 2, 2, 1, 1, 1, 1, 1, 1), {}),
    (OpType.AVERAGE_POOL2D, Pool2DParams(3, 2, 1, 1, 1, 1, 1, 0, 1, 1, True),
     {"count_include_pad": 1}),
])
def test_pool2d(op, params, attrs):
    x = rand(2, 3, 7, 8)
    onnx_op = "MaxPool" if op == OpType.MAX_POOL2D else "AveragePool"
    p = params
    want = onnx_single(onnx_op, [x], kernel_shape=[p.filter_h, p.filter_w],
                       strides=[p.stride_h, p.stride_w],
                       pads=[p.pad_top, p.pad_left, p.pad_bottom, p.pad_right], **attrs)[0]
    got = ir_single(op, [x.transpose(TO_NHWC)], params)[0]
    close(got.transpose(TO_NCHW), want)


@pytest.mark.parametrize("shape,n", [((3, 5), 4), ((2, 3, 7), 5)])
def test_fully_connected(shape, n):
    x, w, bias = rand(*shape), rand(n, shape[-1]), rand(n)
    got = ir_single(OpType.FULLY_CONNECTED, [x], None, [w, bias])[0]
    want = onnx_single("MatMul", [x], {"w": w.T.copy()})[0] + bias
    close(got, want)


@pytest.mark.parametrize("a_shape,b_shape,adj_a,adj_b", [
    ((3, 4), (4, 5), False, False), ((2, 1, 3, 4), (3, 5, 4), False, True),
    ((2, 4, 3), (2, 4, 5), True, False), ((5, 3), (2, 6, 5), True, True)])
def test_batch_matmul(a_shape, b_shape, adj_a, adj_b):
    a, b = rand(*a_shape), rand(*b_shape)
    got = ir_single(OpType.BATCH_MATMUL, [a, b], BatchMatMulParams(adj_a, adj_b))[0]
    a2 = np.swapaxes(a, -1, -2).copy() if adj_a else a
    b2 = np.swapaxes(b, -1, -2).copy() if adj_b else b
    close(got, onnx_single("MatMul", [a2, b2])[0], 1e-4)


@pytest.mark.parametrize("op,onnx_op", [(OpType.ADD, "Add"), (OpType.SUB, "Sub"),
                                        (OpType.MUL, "Mul"), (OpType.DIV, "Div")])
@pytest.mark.parametrize("shapes", [((2, 3, 4), (2, 3, 4)), ((2, 1, 4), (3, 1)), ((), (5,))])
def test_binary(op, onnx_op, shapes):
    a, b = rand(*shapes[0]), rand(*shapes[1])
    close(ir_single(op, [a, b])[0], onnx_single(onnx_op, [a, b])[0])


@pytest.mark.parametrize("op,onnx_op", [(OpType.ADD, "Add"), (OpType.DIV, "Div")])
def test_binary_int(op, onnx_op):
    a = rng.integers(-50, 50, (3, 4)).astype(np.int32)
    b = rng.integers(1, 7, (4,)).astype(np.int32) * rng.choice([-1, 1], 4).astype(np.int32)
    close(ir_single(op, [a, b])[0], onnx_single(onnx_op, [a, b])[0])


def test_binary_fused_activation():
    a, b = rand(4, 5), rand(4, 5)
    got = ir_single(OpType.SUB, [a, b], BinaryParams(FusedActivation.RELU_N1_TO_1))[0]
    close(got, np.clip(onnx_single("Sub", [a, b])[0], -1, 1))


UNARY = [
    (OpType.RELU, None, "Relu", {}, {}),
    (OpType.RELU6, None, "Clip", {"lo": np.float32(0), "hi": np.float32(6)}, {}),
    (OpType.CLAMP, ClampParams(-0.5, 1.5), "Clip",
     {"lo": np.float32(-0.5), "hi": np.float32(1.5)}, {}),
    (OpType.LEAKY_RELU, LeakyReluParams(0.3), "LeakyRelu", {}, {"alpha": 0.3}),
    (OpType.SIGMOID, None, "Sigmoid", {}, {}),
    (OpType.TANH, None, "Tanh", {}, {}),
    (OpType.HARD_SIGMOID, HardSigmoidParams(0.3, 0.4), "HardSigmoid", {},
     {"alpha": 0.3, "beta": 0.4}),
    (OpType.HARD_SWISH, None, "HardSwish", {}, {}),
]


@pytest.mark.parametrize("op,params,onnx_op,const,attrs", UNARY, ids=[u[2] + str(u[0].name)
                                                                      for u in UNARY])
def test_unary(op, params, onnx_op, const, attrs):
    x = rand(2, 3, 17) * 5
    close(ir_single(op, [x], params)[0], onnx_single(onnx_op, [x], const, **attrs)[0])


@pytest.mark.parametrize("axes,keep", [((2, 3), True), ((1,), False), ((0, 2), False)])
def test_mean(axes, keep):
    x = rand(2, 3, 4, 5)
    want = onnx_single("ReduceMean", [x], {"axes": np.array(axes, np.int64)},
                       keepdims=int(keep))[0]
    close(ir_single(OpType.MEAN, [x], ReduceParams(axes), shapes=[want.shape])[0], want)


def test_reshape_transpose():
    x = rand(2, 3, 4)
    close(ir_single(OpType.RESHAPE, [x], shapes=[(4, 6)])[0], x.reshape(4, 6))
    got = ir_single(OpType.TRANSPOSE, [x], TransposeParams((2, 0, 1)))[0]
    close(got, onnx_single("Transpose", [x], perm=[2, 0, 1])[0])


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_concatenation(axis):
    xs = [rand(*(2 + i if a == axis else 3 for a in range(3))) for i in range(3)]
    got = ir_single(OpType.CONCATENATION, xs, ConcatenationParams(axis))[0]
    close(got, onnx_single("Concat", xs, axis=axis)[0])


@pytest.mark.parametrize("axis,sizes", [(0, (1, 3)), (2, (2, 2, 1))])
def test_split(axis, sizes):
    x = rand(4, 3, 5)
    want = onnx_single("Split", [x], {"s": np.array(sizes, np.int64)}, len(sizes), axis=axis)
    got = ir_single(OpType.SPLIT, [x], SplitParams(axis), shapes=[w.shape for w in want])
    for g, w in zip(got, want):
        close(g, w)


@pytest.mark.parametrize("starts,ends,steps", [
    ((1, 0, 2), (3, 5, 7), (1, 2, 3)), ((3, -1, 6), (0, -6, -100), (-1, -2, -3))])
def test_slice(starts, ends, steps):
    x = rand(4, 6, 8)
    want = onnx_single("Slice", [x], {"s": np.array(starts, np.int64),
                                      "e": np.array(ends, np.int64),
                                      "a": np.arange(3, dtype=np.int64),
                                      "t": np.array(steps, np.int64)})[0]
    # IR begins are non-negative and already clamped (the importer's job).
    begin = tuple(s % d for s, d in zip(starts, x.shape))
    got = ir_single(OpType.SLICE, [x], SliceParams(begin, steps), shapes=[want.shape])[0]
    close(got, want)


@pytest.mark.parametrize("mode,pads", [(PadMode.CONSTANT, (1, 0, 2, 0, 3, 1)),
                                       (PadMode.CONSTANT, (-1, 2, 0, 1, -2, 1)),
                                       (PadMode.REFLECT, (2, 1, 0, 1, 2, 3)),
                                       (PadMode.EDGE, (0, 3, 1, 2, 0, 1))])
def test_pad(mode, pads):
    x = rand(3, 4, 5)
    want = onnx_single("Pad", [x], {"p": np.array(pads, np.int64), "v": np.float32(0.5)},
                       mode=mode.name.lower())[0]
    close(ir_single(OpType.PAD, [x], PadParams(pads, mode, 0.5))[0], want)


@pytest.mark.parametrize("axis,beta", [(0, 1.0), (2, 1.0), (1, 0.5)])
def test_softmax(axis, beta):
    x = rand(2, 3, 4) * 10
    want = onnx_single("Softmax", [x * np.float32(beta)], axis=axis)[0]
    close(ir_single(OpType.SOFTMAX, [x], SoftmaxParams(axis, beta))[0], want)


@pytest.mark.parametrize("axis,indices", [(0, np.array([2, -1, 0], np.int64)),
                                          (1, np.array([[1, 0], [-2, 2]], np.int32)),
                                          (2, np.array(-3, np.int64))])
def test_gather(axis, indices):
    x = rand(3, 4, 5)
    want = onnx_single("Gather", [x], {"i": indices}, axis=axis)[0]
    b = GraphBuilder()
    b.input("x", x.shape)
    out = b.node(OpType.GATHER, ["x", b.const("i", indices)], GatherParams(axis))
    b.output(out)
    close(reference.evaluate(b.build(), {"x": x})[out], want)


def test_gather_rejects_out_of_range_index():
    b = GraphBuilder()
    b.input("x", (3, 2))
    out = b.node(OpType.GATHER, ["x", b.const("i", np.array([3], np.int64))], GatherParams(0))
    with pytest.raises(reference.EvaluationError, match="out of range"):
        reference.evaluate(b.build(), {"x": rand(3, 2)})


RESIZE = [(ResizeMode.NEAREST, CoordinateTransform.ASYMMETRIC, NearestRounding.FLOOR, (2.0, 3.0)),
          (ResizeMode.NEAREST, CoordinateTransform.HALF_PIXEL,
           NearestRounding.ROUND_PREFER_FLOOR, (1.5, 0.5)),
          (ResizeMode.NEAREST, CoordinateTransform.ALIGN_CORNERS,
           NearestRounding.ROUND_PREFER_CEIL, (2.0, 1.75)),
          (ResizeMode.NEAREST, CoordinateTransform.HALF_PIXEL, NearestRounding.CEIL, (3.0, 2.0)),
          (ResizeMode.LINEAR, CoordinateTransform.HALF_PIXEL, NearestRounding.FLOOR, (2.0, 0.6)),
          (ResizeMode.LINEAR, CoordinateTransform.ALIGN_CORNERS, NearestRounding.FLOOR,
           (1.5, 2.5)),
          (ResizeMode.LINEAR, CoordinateTransform.ASYMMETRIC, NearestRounding.FLOOR, (2.0, 2.0)),
          (ResizeMode.LINEAR, CoordinateTransform.PYTORCH_HALF_PIXEL, NearestRounding.FLOOR,
           (0.25, 1.5))]


@pytest.mark.parametrize("mode,transform,rounding,scales", RESIZE)
def test_resize(mode, transform, rounding, scales):
    x = rand(1, 2, 4, 5)
    want = onnx_single("Resize", [x], {"r": np.array([], np.float32),
                                       "s": np.array([1, 1, *scales], np.float32)},
                       mode=mode.name.lower(),
                       coordinate_transformation_mode=transform.name.lower(),
                       nearest_mode=rounding.name.lower())[0]
    p = ResizeParams(mode, transform, rounding, *scales)
    got = ir_single(OpType.RESIZE, [x.transpose(TO_NHWC)], p)[0]
    close(got.transpose(TO_NCHW), want)


def test_evaluate_returns_all_tensors_and_checks_input_shape():
    b = GraphBuilder()
    b.input("x", (2, 3))
    h = b.node(OpType.RELU, ["x"])
    y = b.node(OpType.MUL, [h, b.const("two", np.float32(2))])
    b.output(y)
    x = rand(2, 3)
    values = reference.evaluate(b.build(), {"x": x})
    assert set(values) == {"x", h, "two", y}
    close(values[y], np.maximum(x, 0) * 2)
    with pytest.raises(reference.ShapeError, match="expected shape"):
        reference.evaluate(b.build(), {"x": rand(3, 2)})
