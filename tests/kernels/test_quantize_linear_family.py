"""QUANTIZE_LINEAR and DEQUANTIZE_LINEAR (csrc/kernels/quantize_linear.c): ONNX QuantizeLinear
and DequantizeLinear whose scale and zero point are graph inputs (or whose integer side is
int16, uint16 or int32), against ONNX Runtime bit for bit: random shapes, per tensor and per
axis (negative axes too), every integer type, scales spanning 1e-6..1e3, zero points at the
types' extremes, exact ties at .5 (rounded half to even), infinities saturating; NaN (ONNX
leaves it open) against the numpy reference; an empty x; malformed nodes refused at conversion
or at allocate with the node named."""
from __future__ import annotations

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from emberlite.converter import EmberError
from emberlite.converter.ir import DType, QuantParams
from emberlite.converter.ops import OpType
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.kernels.select_models import run_ir

Q_TYPES = [np.int8, np.uint8, np.int16, np.uint16]
DQ_TYPES = Q_TYPES + [np.int32]
ONNX_TYPE = {np.dtype(t): helper.np_dtype_to_tensor_dtype(np.dtype(t))
             for t in DQ_TYPES + [np.float32]}
SHAPES = [(7,), (3, 5), (2, 3, 4), (2, 1, 3, 5)]


def _model(op: str, x: np.ndarray, scale: np.ndarray, zp: np.ndarray | None, out_dtype: type,
           axis: int, const: bool = False) -> onnx.ModelProto:
    """One QuantizeLinear / DequantizeLinear (opset 21) with x, the scale and the zero point as
    graph inputs, or the scale and zero point as initializers (`const`)."""
    feeds = {"x": x, "scale": scale} | ({} if zp is None else {"zp": zp})
    inputs = [helper.make_tensor_value_info(n, ONNX_TYPE[v.dtype], v.shape)
              for n, v in feeds.items() if n == "x" or not const]
    inits = [onnx.numpy_helper.from_array(v, n) for n, v in feeds.items()
             if n != "x" and const]
    node = helper.make_node(op, list(feeds), ["y"], axis=axis)
    graph = helper.make_graph(
        [node], "q", inputs,
        [helper.make_tensor_value_info("y", ONNX_TYPE[np.dtype(out_dtype)], x.shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])


def _params(rng: np.random.Generator, shape: tuple, axis: int | None, dtype: type
            ) -> tuple[np.ndarray, np.ndarray]:
    """A scale log-uniform in 1e-6..1e3 (per tensor: a 0-d one) and a zero point of `dtype`,
    the first channels at the type's extremes."""
    n = 1 if axis is None else shape[axis]
    scale = np.exp(rng.uniform(np.log(1e-6), np.log(1e3), n)).astype(np.float32)
    info = np.iinfo(dtype)
    zp = rng.integers(info.min, int(info.max) + 1, n, dtype=np.int64)
    zp[:2] = [info.min, info.max][:n]
    if dtype == np.int32:
        zp[:] = 0  # ONNX: an int32 x has zero point 0
    if axis is None:
        return scale.reshape(()), zp.astype(dtype).reshape(())
    return scale, zp.astype(dtype)


def _float_x(rng: np.random.Generator, shape: tuple, scale: np.ndarray, zp: np.ndarray,
             axis: int | None) -> np.ndarray:
    """Values around the quantized range, some landing exactly on k + 0.5 (the scale rounded to a
    power of two there, so x / scale is exact), and infinities."""
    bshape = [1] * len(shape)
    if axis is not None:
        bshape[axis] = shape[axis]
    s = scale.astype(np.float64).reshape(bshape)
    span = float(np.iinfo(zp.dtype).max) - float(np.iinfo(zp.dtype).min)
    x = rng.uniform(-0.7, 0.7, shape) * span * s
    ties = rng.random(shape) < 0.3
    pow2 = np.exp2(np.round(np.log2(s)))
    k = rng.integers(-300, 300, shape) + 0.5
    x = np.where(ties, k * pow2, x).astype(np.float32)
    flat = x.reshape(-1)
    flat[:2] = [np.inf, -np.inf][:flat.size]
    return x


def _axes(shape: tuple) -> list[int | None]:
    return [None, len(shape) - 1, -len(shape)]


def _pos(axis: int | None, rank: int) -> int | None:
    return None if axis is None else axis % rank


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", Q_TYPES, ids=lambda t: np.dtype(t).name)
def test_quantize_matches_onnx_runtime(dtype: type, shape: tuple) -> None:
    rng = np.random.default_rng(len(shape) * 10 + np.dtype(dtype).itemsize)
    for axis in _axes(shape):
        pos = _pos(axis, len(shape))
        scale, zp = _params(rng, shape, pos, dtype)
        x = _float_x(rng, shape, scale, zp, pos)
        # The halves the power-of-two scales make are ties: both rounding ways must be seen.
        model = _model("QuantizeLinear", x, scale, zp, dtype, 1 if axis is None else axis)
        want = run_ort(model, [x, scale, zp])[0]
        got = run_ember(convert_onnx(model), [x, scale, zp])[0]
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, want)
        assert not np.all(want == zp.reshape(-1)[0])  # the values span more than one step


@pytest.mark.parametrize("dtype", Q_TYPES, ids=lambda t: np.dtype(t).name)
def test_quantize_ties_round_half_to_even(dtype: type) -> None:
    """x / scale exactly k + 0.5 for k around 0: ONNX Runtime and Emberlite both round to the
    even neighbour (a multiply by 1 / scale would not be exact for scale 0.1)."""
    k = np.arange(-20, 20, dtype=np.float64) + 0.5
    for s in (0.25, 0.1, 3.0):
        x = (k * s).astype(np.float32)
        scale, zp = np.array(s, np.float32), np.array(np.iinfo(dtype).min // 2 + 60, dtype)
        model = _model("QuantizeLinear", x, scale, zp, dtype, 1)
        want = run_ort(model, [x, scale, zp])[0]
        np.testing.assert_array_equal(run_ember(convert_onnx(model), [x, scale, zp])[0], want)
    ties = np.rint(np.float32(0.5) + np.arange(4, dtype=np.float32))
    assert ties.tolist() == [0.0, 2.0, 2.0, 4.0]  # numpy's rint, the oracle's rule, is even


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", DQ_TYPES, ids=lambda t: np.dtype(t).name)
def test_dequantize_matches_onnx_runtime(dtype: type, shape: tuple) -> None:
    rng = np.random.default_rng(len(shape) * 10 + np.dtype(dtype).itemsize)
    info = np.iinfo(dtype)
    for axis in _axes(shape):
        pos = _pos(axis, len(shape))
        scale, zp = _params(rng, shape, pos, dtype)
        x = rng.integers(info.min, int(info.max) + 1, shape, dtype=np.int64).astype(dtype)
        x.reshape(-1)[:2] = [info.min, info.max][:x.size]
        model = _model("DequantizeLinear", x, scale, zp, np.float32, 1 if axis is None else axis)
        want = run_ort(model, [x, scale, zp])[0]
        got = run_ember(convert_onnx(model), [x, scale, zp])[0]
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.int16, np.uint16], ids=lambda t: np.dtype(t).name)
def test_constant_params_of_wide_types(dtype: type) -> None:
    """int16 / uint16 Q and DQ with an initializer scale and zero point run the same kernels
    (the int8 lowering is for int8 and uint8 only)."""
    rng = np.random.default_rng(3)
    scale, zp = _params(rng, (2, 3, 4), 1, dtype)
    x = _float_x(rng, (2, 3, 4), scale, zp, 1)
    model = _model("QuantizeLinear", x, scale, zp, dtype, 1, const=True)
    q = run_ort(model, [x])[0]
    np.testing.assert_array_equal(run_ember(convert_onnx(model), [x])[0], q)
    model = _model("DequantizeLinear", q, scale, zp, np.float32, 1, const=True)
    np.testing.assert_array_equal(run_ember(convert_onnx(model), [q])[0],
                                  run_ort(model, [q])[0])


def test_missing_zero_point_is_uint8_zero() -> None:
    x = np.linspace(-3, 300, 24, dtype=np.float32).reshape(4, 6)
    scale = np.array(0.7, np.float32)
    model = _model("QuantizeLinear", x, scale, None, np.uint8, 1)
    want = run_ort(model, [x, scale])[0]
    np.testing.assert_array_equal(run_ember(convert_onnx(model), [x, scale])[0], want)


def test_nan_and_empty_against_the_reference() -> None:
    """NaN (ONNX leaves it open) gives the zero point; an empty x gives an empty output."""
    x = np.array([[np.nan, 1.0, -np.inf], [2.5, np.nan, 3.5]], np.float32)
    for scale in (np.array([0.5], np.float32), np.array([[0.5], [2.0]], np.float32)):
        zp = np.full(scale.shape, -7, np.int8)
        got, want = run_ir(OpType.QUANTIZE_LINEAR, [x, scale, zp], [(x.shape, DType.INT8)])
        np.testing.assert_array_equal(got[0], want[0])
        assert got[0][0, 0] == -7
    empty = np.zeros((0, 3), np.int16)
    got, want = run_ir(OpType.DEQUANTIZE_LINEAR, [empty, np.array([2.0], np.float32)],
                       [((0, 3), DType.FLOAT32)])
    assert got[0].shape == want[0].shape == (0, 3)


def _refused(model: onnx.ModelProto, *words: str) -> None:
    with pytest.raises(EmberError) as err:
        convert_onnx(model)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_malformed_models_are_refused_at_conversion() -> None:
    x, scale = np.zeros((2, 4), np.float32), np.ones(4, np.float32)
    zp = np.zeros(4, np.int8)
    # Three scales for an axis of 4.
    _refused(_model("QuantizeLinear", x, scale[:3], zp[:3], np.int8, 1), "QuantizeLinear",
             "3 scales for axis 1 of size 4")
    # A zero point of another shape than the scale.
    _refused(_model("QuantizeLinear", x, scale, zp[:1], np.int8, 1), "zero point shape")
    # A 2-D (blocked) scale.
    _refused(_model("DequantizeLinear", zp.reshape(2, 2), scale.reshape(2, 2),
                    zp.reshape(2, 2), np.float32, 1), "blocked")
    # output_dtype int16 with an int8 zero point.
    m = _model("QuantizeLinear", x, scale, zp, np.int16, 1)
    m.graph.node[0].attribute.append(helper.make_attribute("output_dtype", TensorProto.INT16))
    _refused(m, "zero point is int8, but output_dtype is int16")
    # An integer scale.
    m = _model("DequantizeLinear", zp, scale.astype(np.int32), None, np.float32, 1)
    _refused(m, "scale of type int32")


@pytest.mark.parametrize("case", ["scale_shape", "zp_shape", "zp_type", "scale_type",
                                  "quantized_x", "output_type"])
def test_malformed_nodes_are_refused_at_allocate(case: str) -> None:
    """Files the converter would not write: the C check names the node and what is wrong."""
    x = np.zeros((2, 3), np.float32)
    scale, zp = np.ones((1, 3), np.float32), np.zeros((1, 3), np.uint8)
    out, quant, op = DType.UINT8, None, OpType.QUANTIZE_LINEAR
    words = {"scale_shape": "scale", "zp_shape": "zero point", "zp_type": "input 2",
             "scale_type": "input 1", "quantized_x": "quantization", "output_type": "output"}
    if case == "scale_shape":
        scale = np.ones((2, 3), np.float32)
    elif case == "zp_shape":
        zp = np.zeros((3,), np.uint8)
    elif case == "zp_type":
        zp = zp.astype(np.int8)
    elif case == "scale_type":
        scale = scale.astype(np.int32)
    elif case == "quantized_x":
        op, x, out = OpType.DEQUANTIZE_LINEAR, np.zeros((2, 3), np.uint8), DType.FLOAT32
        quant = {"x0": QuantParams((1.0,), (0,))}
    else:
        out = DType.INT32
        zp = zp.astype(np.int32)
    with pytest.raises(InvalidModelError) as err:
        run_ir(op, [x, scale, zp], [((2, 3), out)], quant=quant)
    message = str(err.value)
    assert f"({op.name.lower()})" in message and words[case] in message, message


def _qlinear_matmul_model(a: np.ndarray, b: np.ndarray, zp_shape: tuple, y_type: type
                          ) -> onnx.ModelProto:
    names = ["a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"]
    types = [a.dtype, np.float32, a.dtype, b.dtype, np.float32, b.dtype, np.float32, y_type]
    shapes = [a.shape, (), (), b.shape, zp_shape, zp_shape, (), ()]
    inputs = [helper.make_tensor_value_info(n, ONNX_TYPE[np.dtype(t)], s)
              for n, t, s in zip(names, types, shapes)]
    out = helper.make_tensor_value_info("y", ONNX_TYPE[np.dtype(y_type)],
                                        a.shape[:-1] + b.shape[-1:])
    graph = helper.make_graph([helper.make_node("QLinearMatMul", names, ["y"])], "qmm", inputs,
                              [out])
    # Opset 20: ONNX Runtime registers QLinearMatMul-21 for int8 only.
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


@pytest.mark.parametrize("types", [(np.uint8, np.uint8, np.uint8), (np.int8, np.int8, np.int8)],
                         ids=lambda t: np.dtype(t[0]).name)
@pytest.mark.parametrize("per_column", [False, True], ids=["per_tensor", "per_column"])
def test_qlinear_matmul_matches_onnx_runtime(types: tuple, per_column: bool) -> None:
    """Run-time scales and zero points: the integer product, requantized in float32 with
    a_scale x b_scale / y_scale, equals ONNX Runtime's output bit for bit."""
    rng = np.random.default_rng(sum(np.dtype(t).kind == "u" for t in types) + 5 * per_column)
    a_t, b_t, y_t = types
    seen: set[int] = set()
    for m, k, n, batch in ((3, 5, 4, ()), (7, 64, 9, ()), (2, 258, 3, (2,)), (1, 1, 1, ())):
        def ints(t: type, shape: tuple) -> np.ndarray:
            info = np.iinfo(t)
            return rng.integers(info.min, int(info.max) + 1, shape).astype(t)
        a, b = ints(a_t, batch + (m, k)), ints(b_t, (k, n))
        zp_shape = (n,) if per_column else ()
        feeds = [a, np.float32(rng.uniform(1e-3, 0.1)), ints(a_t, ()), b,
                 rng.uniform(1e-3, 0.1, zp_shape).astype(np.float32), ints(b_t, zp_shape),
                 np.float32(0.0)]
        feeds.append(ints(y_t, ()))
        # The products' spread, about 100 x 100 x sqrt(K) scaled, over 10..100 output steps.
        feeds[6] = np.float32(feeds[1] * feeds[4].max() * 1e4 * np.sqrt(k) / rng.uniform(10, 100))
        feeds = [np.asarray(v) for v in feeds]
        model = _qlinear_matmul_model(a, b, zp_shape, y_t)
        want = run_ort(model, feeds)[0]
        np.testing.assert_array_equal(run_ember(convert_onnx(model), feeds)[0], want)
        seen.update(want.reshape(-1).tolist())
    assert len(seen) > 20  # not all saturated


def _graph_model(op: str, feeds: dict[str, np.ndarray], out_type: type, out_shape: tuple,
                 opset: int = 20, **attrs) -> onnx.ModelProto:
    """One `op` node reading every feed as a graph input (optional inputs named "")."""
    inputs = [helper.make_tensor_value_info(n, ONNX_TYPE[v.dtype], v.shape)
              for n, v in feeds.items() if n]
    node = helper.make_node(op, list(feeds), ["y"], **attrs)
    out = helper.make_tensor_value_info("y", ONNX_TYPE[np.dtype(out_type)], out_shape)
    graph = helper.make_graph([node], op.lower(), inputs, [out])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _ints(rng: np.random.Generator, t: type, shape: tuple) -> np.ndarray:
    info = np.iinfo(t)
    return np.asarray(rng.integers(info.min, int(info.max) + 1, shape).astype(t))


@pytest.mark.parametrize("types", [(np.uint8, np.uint8), (np.uint8, np.int8),
                                   (np.int8, np.int8)], ids=lambda t: np.dtype(t[1]).name)
def test_matmul_integer_with_run_time_b_matches_onnx_runtime(types: tuple) -> None:
    rng = np.random.default_rng(11)
    for m, k, n, per_column in ((3, 7, 5, False), (4, 200, 6, True), (1, 1, 1, False)):
        a, b = _ints(rng, types[0], (2, m, k)), _ints(rng, types[1], (k, n))
        feeds = {"a": a, "b": b, "a_zp": _ints(rng, types[0], ()),
                 "b_zp": _ints(rng, types[1], (n,) if per_column else ())}
        model = _graph_model("MatMulInteger", feeds, np.int32, (2, m, n))
        want = run_ort(model, list(feeds.values()))[0]
        np.testing.assert_array_equal(run_ember(convert_onnx(model), list(feeds.values()))[0],
                                      want)


def test_conv_integer_with_run_time_w_matches_onnx_runtime() -> None:
    """Run-time w and zero points (per output channel too), grouped and padded."""
    rng = np.random.default_rng(12)
    for group, pads, per_channel in ((1, [1, 1, 1, 1], False), (2, [0, 1, 0, 1], True)):
        x, w = _ints(rng, np.uint8, (1, 4, 6, 5)), _ints(rng, np.uint8, (6, 4 // group, 3, 2))
        feeds = {"x": x, "w": w, "x_zp": _ints(rng, np.uint8, ()),
                 "w_zp": _ints(rng, np.uint8, (6,) if per_channel else ())}
        model = _graph_model("ConvInteger", feeds, np.int32, None, group=group, pads=pads)
        # ONNX Runtime takes one w zero point only: ONNX's reference evaluator the others.
        want = ReferenceEvaluator(model).run(None, feeds)[0] if per_channel else \
            run_ort(model, list(feeds.values()))[0]
        np.testing.assert_array_equal(run_ember(convert_onnx(model), list(feeds.values()))[0],
                                      want)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8], ids=lambda t: np.dtype(t).name)
def test_qlinear_conv_with_run_time_params_matches_onnx_runtime(dtype: type) -> None:
    """Run-time scales and zero points, per-output-channel w scale, a constant int32 bias:
    equal to ONNX Runtime bit for bit."""
    rng = np.random.default_rng(13)
    seen: set[int] = set()
    for per_channel in (False, True):
        x, w = _ints(rng, dtype, (1, 3, 7, 6)), _ints(rng, dtype, (5, 3, 3, 3))
        zs = (5,) if per_channel else ()
        x_s = np.asarray(np.float32(rng.uniform(1e-3, 0.1)))
        w_s = np.asarray(rng.uniform(1e-3, 0.1, zs).astype(np.float32))
        y_s = np.asarray(np.float32(x_s * w_s.max() * 1e4 * np.sqrt(27) / 40))
        feeds = {"x": x, "x_scale": x_s, "x_zp": _ints(rng, dtype, ()), "w": w,
                 "w_scale": w_s, "w_zp": np.zeros(zs, dtype) if dtype == np.int8 and
                 per_channel else _ints(rng, dtype, zs), "y_scale": y_s,
                 "y_zp": _ints(rng, dtype, ())}
        model = _graph_model("QLinearConv", feeds, dtype, None, pads=[1, 0, 1, 0])
        bias = onnx.numpy_helper.from_array(rng.integers(-5000, 5000, 5).astype(np.int32), "B")
        model.graph.initializer.append(bias)
        model.graph.node[0].input.append("B")
        want = run_ort(model, list(feeds.values()))[0]
        np.testing.assert_array_equal(run_ember(convert_onnx(model), list(feeds.values()))[0],
                                      want)
        seen.update(want.reshape(-1).tolist())
    assert len(seen) > 20


@pytest.mark.parametrize("float8", [TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT8E5M2],
                         ids=["e4m3fn", "e5m2"])
def test_float8_quantize_and_dequantize_match_onnx_reference(float8: int) -> None:
    """float8 x / y (kept float8 at the graph's edges, float32 inside): QuantizeLinear is
    x / scale cast to float8 (saturating), DequantizeLinear x x scale, per tensor and per axis,
    equal to ONNX's reference evaluator (ONNX Runtime has no float8 Q/DQ kernel here)."""
    rng = np.random.default_rng(float8)
    f8 = helper.tensor_dtype_to_np_dtype(float8)
    for axis, scale in ((1, np.asarray(np.float32(0.37))),
                        (0, rng.uniform(0.01, 3.0, 3).astype(np.float32))):
        x = (rng.standard_normal((3, 4)) * 300).astype(np.float32)
        x[0, 0] = 1e9  # saturates
        zp = np.zeros(scale.shape, f8)
        feeds = {"x": x, "scale": scale, "zp": zp}
        inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype),
                                                v.shape) for n, v in feeds.items()]
        for op, names, out_type in (("QuantizeLinear", ["x", "scale", "zp"], float8),
                                    ("DequantizeLinear", ["q", "scale", "zp"],
                                     TensorProto.FLOAT)):
            if op == "DequantizeLinear":
                feeds = {"q": want_q, "scale": scale, "zp": zp}
                inputs[0] = helper.make_tensor_value_info("q", float8, x.shape)
            node = helper.make_node(op, names, ["y"], axis=axis)
            graph = helper.make_graph([node], "f8", inputs,
                                      [helper.make_tensor_value_info("y", out_type, x.shape)])
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
            want = ReferenceEvaluator(model).run(None, feeds)[0]
            got = run_ember(convert_onnx(model), list(feeds.values()))[0]
            np.testing.assert_array_equal(got.astype(np.float32), want.astype(np.float32))
            if op == "QuantizeLinear":
                want_q = want


def test_malformed_run_time_integer_ops_are_refused() -> None:
    """The composed integer ops refuse, naming the node: sums that could pass float32's exact
    range, a run-time bias, a zero point of another type than its operand, a 2-D scale."""
    rng = np.random.default_rng(14)
    a, b = _ints(rng, np.uint8, (2, 300)), _ints(rng, np.uint8, (300, 3))
    feeds = {"a": a, "a_scale": np.asarray(np.float32(0.1)), "a_zp": _ints(rng, np.uint8, ()),
             "b": b, "b_scale": np.asarray(np.float32(0.1)), "b_zp": _ints(rng, np.uint8, ()),
             "y_scale": np.asarray(np.float32(1.0)), "y_zp": _ints(rng, np.uint8, ())}
    _refused(_graph_model("QLinearMatMul", feeds, np.uint8, (2, 3), name="bad_node"),
             "bad_node", "int32 sums may reach")
    feeds = {"a": a[:, :4], "b": b[:4], "a_zp": _ints(rng, np.uint8, ()),
             "b_zp": _ints(rng, np.int8, ())}
    _refused(_graph_model("MatMulInteger", feeds, np.int32, (2, 3), name="bad_node"),
             "bad_node", "b zero point is int8, but b is uint8")
    x, w = _ints(rng, np.uint8, (1, 2, 4, 4)), _ints(rng, np.uint8, (3, 2, 2, 2))
    feeds = {"x": x, "x_scale": np.asarray(np.float32(0.1)), "x_zp": _ints(rng, np.uint8, ()),
             "w": w, "w_scale": np.full((3, 1), 0.1, np.float32),
             "w_zp": _ints(rng, np.uint8, (3, 1)), "y_scale": np.asarray(np.float32(1.0)),
             "y_zp": _ints(rng, np.uint8, ())}
    _refused(_graph_model("QLinearConv", feeds, np.uint8, None, name="bad_node"), "bad_node")
    feeds["w_scale"], feeds["w_zp"] = np.full(3, 0.1, np.float32), _ints(rng, np.uint8, (3,))
    feeds["B"] = rng.integers(-9, 9, 3).astype(np.int32)
    _refused(_graph_model("QLinearConv", feeds, np.uint8, None, name="bad_node"), "bad_node",
             "run-time bias")


@pytest.mark.parametrize("dtype", Q_TYPES, ids=lambda t: np.dtype(t).name)
def test_blocked_quantize_and_dequantize_match_onnx_reference(dtype: type) -> None:
    """block_size > 0: each block of x along the axis has its own scale and zero point (the
    last block short), run-time or constant, equal to ONNX's reference evaluator."""
    rng = np.random.default_rng(np.dtype(dtype).itemsize * 3 + (np.dtype(dtype).kind == "u"))
    for shape, axis, block in (((3, 7), 1, 3), ((5, 2, 4), 0, 2), ((4, 6), -1, 6)):
        blocks = list(shape)
        blocks[axis] = -(-shape[axis] // block)
        scale = np.exp(rng.uniform(np.log(1e-3), np.log(10.0), blocks)).astype(np.float32)
        zp = _ints(rng, dtype, tuple(blocks))
        x = (rng.uniform(-200, 200, shape) * np.repeat(scale, block, axis).take(
            np.arange(shape[axis]), axis)).astype(np.float32)
        for const in (False, True):
            q_model = _model("QuantizeLinear", x, scale, zp, dtype, axis, const)
            q_model.graph.node[0].attribute.append(helper.make_attribute("block_size", block))
            q_feeds = [x] if const else [x, scale, zp]
            want = ReferenceEvaluator(q_model).run(None, dict(zip(["x", "scale", "zp"],
                                                                  q_feeds)))[0]
            got = run_ember(convert_onnx(q_model), q_feeds)[0]
            np.testing.assert_array_equal(got, want)
            dq_model = _model("DequantizeLinear", want, scale, zp, np.float32, axis, const)
            dq_model.graph.node[0].attribute.append(helper.make_attribute("block_size", block))
            dq_feeds = [want] if const else [want, scale, zp]
            dq_want = ReferenceEvaluator(dq_model).run(None, dict(zip(["x", "scale", "zp"],
                                                                      dq_feeds)))[0]
            np.testing.assert_array_equal(run_ember(convert_onnx(dq_model), dq_feeds)[0],
                                          dq_want)
        assert len(np.unique(want)) > 3


def test_blocked_scale_of_the_wrong_shape_is_refused() -> None:
    x, scale, zp = np.zeros((3, 7), np.float32), np.ones((3, 2), np.float32), None
    model = _model("QuantizeLinear", x, scale, zp, np.uint8, 1)
    model.graph.node[0].attribute.append(helper.make_attribute("block_size", 3))
    model.graph.node[0].name = "bad_node"
    _refused(model, "bad_node", "in blocks of 3 along axis 1 needs [3, 3]")


@pytest.mark.parametrize("sub", [TensorProto.INT4, TensorProto.UINT4, TensorProto.INT2,
                                 TensorProto.UINT2], ids=["int4", "uint4", "int2", "uint2"])
def test_sub_byte_quantize_and_dequantize_match_onnx_reference(sub: int) -> None:
    """int4, uint4, int2, uint2 (one element per byte): saturating quantize with a run-time
    per-axis scale and zero point, and its dequantize, equal to ONNX's reference evaluator."""
    rng = np.random.default_rng(sub)
    t = helper.tensor_dtype_to_np_dtype(sub)
    lo, hi = int(np.array(ml_dtypes.iinfo(t).min)), int(np.array(ml_dtypes.iinfo(t).max))
    x = rng.uniform(-12, 12, (3, 5)).astype(np.float32)
    scale = rng.uniform(0.3, 2.0, 5).astype(np.float32)
    zp = rng.integers(lo, hi + 1, 5).astype(t)
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape),
              helper.make_tensor_value_info("scale", TensorProto.FLOAT, scale.shape),
              helper.make_tensor_value_info("zp", sub, zp.shape)]
    q = helper.make_node("QuantizeLinear", ["x", "scale", "zp"], ["q"], axis=1)
    dq = helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["y"], axis=1)
    graph = helper.make_graph([q, dq], "sub", inputs,
                              [helper.make_tensor_value_info("q", sub, x.shape),
                               helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    want = ReferenceEvaluator(model).run(None, {"x": x, "scale": scale, "zp": zp})
    got = run_ember(convert_onnx(model), [x, scale, zp])
    np.testing.assert_array_equal(got[0].astype(np.int8), want[0].astype(np.int8))
    np.testing.assert_array_equal(got[1], want[1])
    assert {lo, hi} <= set(want[0].astype(np.int8).ravel().tolist())  # both ends saturate
