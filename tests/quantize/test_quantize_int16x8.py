"""16x8 post-training quantization (int16 activations, int8 weights): the digits CNN keeps its
accuracy and is far closer to float than int8; a small conv / depthwise / residual add / pool /
FC model runs int16 in every node and gives exactly what a numpy model of LiteRT's 16x8
arithmetic (tests/kernels/fixed_point16.py) computes from the params the quantizer chose; ops
without an int16 kernel run in float32 between DEQUANTIZE and QUANTIZE; the CLI; torchvision
resnet18 at least as close to float as int8."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from emberlite import Interpreter
from emberlite.cli import main
from emberlite.converter import Converter, QuantizationError
from emberlite.converter.importers.onnx import import_onnx
from emberlite.converter.ir import DType, Graph, Node
from emberlite.converter.ops import OpType
from emberlite.converter.passes import run_passes
from emberlite.converter.quantize.calibrate import calibrate
from emberlite.converter.quantize.int16_rules import INT16_RULES
from emberlite.converter.quantize.quantize_int8 import quantize_int16x8
from tests.kernels.fixed_point import run_graph
from tests.kernels.fixed_point16 import (INT16_MIN, activation_range16, add16,
                                         fully_connected16_double, quantize16, requantize16)
from tests.kernels.conv_models import patches
from tests.quantize.models import (TORCHVISION_INPUT, cosine, gated_cnn, onnx_model, outlier_cnn,
                                   outputs, torchvision_onnx, weight)
from tests.quantize.digits import CALIBRATION, accuracy, digits, logits_of  # noqa: F401

CONVERSIONS = (OpType.QUANTIZE, OpType.DEQUANTIZE)


def _snr_db(want: np.ndarray, got: np.ndarray) -> float:
    want, got = want.astype(np.float64), got.astype(np.float64)
    return float(10 * np.log10(np.sum(want ** 2) / np.sum((want - got) ** 2)))


def test_digits_int16x8_accuracy_and_snr(digits: dict) -> None:
    """16x8 keeps the accuracy and is closer to float than int8. Its int8 weights set a noise
    floor: dynamic range (the same int8 weights, float activations) measures it, and 16x8
    activations must add less than a quarter of the noise int8 activations add above it."""
    calib = digits["x_train"][:CALIBRATION]
    float_logits = logits_of(Converter.from_onnx(digits["onnx"]).convert(), digits["x_test"])
    q16 = Converter.from_onnx(digits["onnx"]).quantize("int16x8", dataset=calib).convert()
    interp = Interpreter(model_content=q16)
    interp.allocate_tensors()
    assert interp.get_metadata()["quantization"] == "int16x8"
    assert "quantization.float_nodes" not in interp.get_metadata()  # every node runs 16x8
    assert interp.get_input_details()[0]["dtype"] == np.float32  # float io by default
    logits = {"float": float_logits, "int16x8": logits_of(q16, digits["x_test"])}
    for mode, options in (("int8", {"dataset": calib}), ("dynamic", {})):
        data = Converter.from_onnx(digits["onnx"]).quantize(mode, **options).convert()
        logits[mode] = logits_of(data, digits["x_test"])
    acc = {k: accuracy(v, digits["y_test"]) for k, v in logits.items()}
    snr = {k: _snr_db(float_logits, v) for k, v in logits.items() if k != "float"}
    print(f"\ndigits accuracy: " + ", ".join(f"{k} {v:.2f}%" for k, v in acc.items()) +
          "; output SNR vs float: " + ", ".join(f"{k} {v:.2f} dB" for k, v in snr.items()))
    assert acc["int16x8"] >= acc["float"] - 0.5
    assert snr["int16x8"] >= snr["int8"] + 2.0
    nsr = {k: 10 ** (-v / 10) for k, v in snr.items()}
    assert nsr["int16x8"] - nsr["dynamic"] <= (nsr["int8"] - nsr["dynamic"]) / 4


def _conv_add_model() -> onnx.ModelProto:
    """Conv+Relu -> depthwise Conv, added back to its input -> MaxPool 2x2 -> MaxPool to 1x1
    -> Flatten -> Gemm: every op has a 16x8 kernel."""
    rng = np.random.default_rng(3)
    inits = [weight(rng, "w1", 8, 3, 3, 3), weight(rng, "b1", 8), weight(rng, "wd", 8, 1, 3, 3),
             weight(rng, "bd", 8), weight(rng, "fc", 5, 8), weight(rng, "fcb", 5)]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c"], pads=[1, 1, 1, 1], name="conv"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Conv", ["r", "wd", "bd"], ["d"], pads=[1, 1, 1, 1], group=8,
                              name="depthwise"),
             helper.make_node("Add", ["r", "d"], ["s"], name="residual"),
             helper.make_node("MaxPool", ["s"], ["p"], kernel_shape=[2, 2], strides=[2, 2],
                              name="pool"),
             helper.make_node("MaxPool", ["p"], ["g"], kernel_shape=[4, 4], name="global"),
             helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1, name="fc")]
    return onnx_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                            [1, 3, 8, 8])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)


def _scale(g: Graph, name: str) -> float:
    return g.tensors[name].quant.scale[0]


def _weighted16(g: Graph, node: Node, acc: np.ndarray) -> np.ndarray:
    """acc plus the int64 bias, requantized as the 16x8 conv kernels do."""
    if len(node.inputs) > 2 and node.inputs[2]:
        acc = acc + np.asarray(g.tensors[node.inputs[2]].data)
    w_scale = np.array(g.tensors[node.inputs[1]].quant.scale)
    return requantize16(acc, _scale(g, node.inputs[0]), w_scale, _scale(g, node.outputs[0]),
                        int(node.params.activation))


def _numpy16(g: Graph, node: Node, args: list[np.ndarray]) -> np.ndarray:
    """The int16 output of 16x8 node `node` of `g` from its input values `args`."""
    p, x = node.params, args[0]
    if node.op in (OpType.CONV2D, OpType.DEPTHWISE_CONV2D):
        w = np.asarray(g.tensors[node.inputs[1]].data).astype(np.int64)
        taps = patches(x, w.shape[1], w.shape[2], p, 0)
        if node.op == OpType.CONV2D:
            assert p.groups == 1
            return _weighted16(g, node, np.einsum("nhwyxc,oyxc->nhwo", taps, w))
        taps = np.repeat(taps, p.depth_multiplier, axis=-1)
        return _weighted16(g, node, np.einsum("nhwyxc,yxc->nhwc", taps, w[0]))
    if node.op == OpType.FULLY_CONNECTED:
        w = np.asarray(g.tensors[node.inputs[1]].data).astype(np.int64)
        acc = x.astype(np.int64) @ w.T + np.asarray(g.tensors[node.inputs[2]].data)
        return fully_connected16_double(acc, _scale(g, node.inputs[0]),
                                        np.array(g.tensors[node.inputs[1]].quant.scale),
                                        _scale(g, node.outputs[0]), int(p.activation))
    if node.op == OpType.ADD:
        return add16(x, args[1], _scale(g, node.inputs[0]), _scale(g, node.inputs[1]),
                     _scale(g, node.outputs[0]), int(p.activation))
    if node.op == OpType.MAX_POOL2D:
        v = np.pad(x.astype(np.int64), ((0, 0), (p.pad_top, p.pad_bottom),
                                        (p.pad_left, p.pad_right), (0, 0)),
                   constant_values=INT16_MIN)
        oh, ow = g.tensors[node.outputs[0]].shape[1:3]
        out = np.array([[v[:, i * p.stride_h:i * p.stride_h + p.filter_h,
                           j * p.stride_w:j * p.stride_w + p.filter_w].max(axis=(1, 2))
                         for j in range(ow)] for i in range(oh)]).transpose(2, 0, 1, 3)
        return np.clip(out, *activation_range16(int(p.activation),
                                                _scale(g, node.outputs[0]))).astype(np.int16)
    assert node.op == OpType.RESHAPE, node.op
    return x.reshape(g.tensors[node.outputs[0]].shape)


def test_conv_add_model_is_int16_and_bit_exact() -> None:
    model = _conv_add_model()
    rng = np.random.default_rng(4)
    images = rng.standard_normal((24, 1, 3, 8, 8)).astype(np.float32)
    graph = run_passes(import_onnx(model))
    assert {n.op for n in graph.nodes} <= set(INT16_RULES)
    q = quantize_int16x8(graph, calibrate(graph, list(images[:16]), progress=False), "minmax",
                         "int16")
    tensors = [n for node in q.nodes for n in node.inputs + node.outputs if n]
    assert all(q.tensors[n].dtype == DType.INT16 and q.tensors[n].quant.zero_point == (0,)
               for n in tensors if not q.tensors[n].is_constant)
    for node in q.nodes:
        if INT16_RULES[node.op].weights is not None:
            w, b = (q.tensors[n] for n in node.inputs[1:3])
            assert w.dtype == DType.INT8 and set(w.quant.zero_point) == {0}
            assert len(w.quant.scale) == w.shape[w.quant.axis] > 1  # per channel
            assert b.dtype == DType.INT64
    int16_io = Converter.from_onnx(model).quantize("int16x8", dataset=list(images[:16]),
                                                  io="int16").convert()
    float_io = Converter.from_onnx(model).quantize("int16x8", dataset=list(images[:16])
                                                  ).convert()
    s_in, s_out = _scale(q, q.inputs[0]), _scale(q, q.outputs[0])
    for image in images:
        x = quantize16(np.transpose(image, (0, 2, 3, 1)), s_in)
        values = {q.inputs[0]: x}
        for node in q.nodes:
            values[node.outputs[0]] = _numpy16(q, node, [values.get(n) for n in node.inputs])
        want = values[q.outputs[0]]
        assert np.array_equal(run_graph(q, [x])[0], want)
        got = outputs(int16_io, quantize16(image, s_in))[0]  # NCHW in, as the source
        assert np.array_equal(got.astype(np.int16), want.reshape(-1))
        # float io: QUANTIZE in, DEQUANTIZE out (exact: the product has <= 41 bits)
        np.testing.assert_array_equal(outputs(float_io, image)[0],
                                      want.reshape(-1).astype(np.float32) * np.float32(s_out))


def test_float_fallback_between_int16_nodes() -> None:
    """HARD_SIGMOID and DIV have no 16x8 kernel: they run float32 between DEQUANTIZE and
    QUANTIZE (int16 ones), every other node int16; the output stays close to float."""
    model = gated_cnn()
    rng = np.random.default_rng(2)
    images = rng.standard_normal((40, 3, 8, 8)).astype(np.float32)
    graph = run_passes(import_onnx(model))
    q = quantize_int16x8(graph, calibrate(graph, list(images[:20, None]), progress=False),
                         "minmax", "float")
    float_names = {n.name for n in graph.nodes if n.op not in INT16_RULES}
    assert float_names == {"gate", "scale", "squash"}
    for node in q.nodes:
        types = {q.tensors[n].dtype for n in node.inputs + node.outputs
                 if n and not q.tensors[n].is_constant}
        if node.op in CONVERSIONS:
            assert types == {DType.FLOAT32, DType.INT16}, node.name
        else:
            assert types == {DType.FLOAT32 if node.name in float_names else DType.INT16}
    converter = Converter.from_onnx(model).quantize("int16x8", dataset=list(images[:20, None]),
                                                    report=True)
    data = converter.convert()
    precisions = {e.layer: e.precision for e in converter.report.layers}
    assert {k for k, v in precisions.items() if v == "float32"} == float_names
    assert set(precisions.values()) == {"float32", "int16"}
    want = outputs(Converter.from_onnx(model).convert(), images[20:])
    assert cosine(outputs(data, images[20:]), want).min() >= 0.999


def test_int16x8_budget_keeps_layers_float() -> None:
    model = outlier_cnn()
    rng = np.random.default_rng(5)
    calib = list(rng.standard_normal((12, 1, 4, 8, 8)).astype(np.float32))
    converter = Converter.from_onnx(model).quantize("int16x8", dataset=calib,
                                                    accuracy_budget=30.0)
    converter.convert()
    budget = converter.report.budget
    print(f"\noutlier CNN 16x8 output SNR {budget.before:.2f} -> {budget.after:.2f} dB, kept "
          f"float: {budget.kept_float}")
    assert budget.before < 30.0 <= budget.after and budget.met and budget.kept_float


def test_int16x8_options() -> None:
    model = _conv_add_model()
    with pytest.raises(QuantizationError, match="one of 'int16', 'float'"):
        Converter.from_onnx(model).quantize("int16x8", dataset=[], io="int8")
    with pytest.raises(QuantizationError, match="needs a calibration dataset"):
        Converter.from_onnx(model).quantize("int16x8")


def test_cli_convert_int16x8(digits: dict, tmp_path: Path, capsys) -> None:
    source, calib = tmp_path / "digits.onnx", tmp_path / "calib.npz"
    onnx.save(digits["onnx"], str(source))
    np.savez(calib, image=digits["x_train"][:CALIBRATION])
    for flags, io in (([], "float"), (["--io", "int16"], "int16")):
        out = tmp_path / f"digits_{io}.ember"
        assert main(["convert", str(source), "-o", str(out), "--quantize", "int16x8",
                     "--calibration", str(calib), "--method", "mse", *flags]) == 0
        assert out.read_bytes() == Converter.from_onnx(digits["onnx"]).quantize(
            "int16x8", dataset=calib, method="mse", io=io).convert()
    capsys.readouterr()
    assert main(["convert", str(source), "--quantize", "int16x8"]) == 2
    assert "needs --calibration" in capsys.readouterr().err
    for mode, io in (("int8", "int16"), ("int16x8", "int8"), ("int16x8", "uint8")):
        assert main(["convert", str(source), "--calibration", str(calib), "--quantize", mode,
                     "--io", io]) == 2
        assert f"--io {io} is not an io type of --quantize {mode}" in capsys.readouterr().err


def test_resnet18_int16x8_at_least_as_close_as_int8() -> None:
    rng = np.random.default_rng(0)
    net = torchvision_onnx("resnet18")
    calib = list(rng.standard_normal((8, *TORCHVISION_INPUT)).astype(np.float32))
    held_out = rng.standard_normal((4, *TORCHVISION_INPUT[1:])).astype(np.float32)
    want = outputs(Converter.from_onnx(net).convert(), held_out)
    cos = {}
    for mode in ("int8", "int16x8"):
        data = Converter.from_onnx(net).quantize(mode, dataset=calib).convert()
        cos[mode] = float(cosine(outputs(data, held_out), want).min())
    print(f"\nresnet18 min cosine vs float: int8 {cos['int8']:.5f}, "
          f"int16x8 {cos['int16x8']:.5f}")
    assert cos["int16x8"] >= cos["int8"]

