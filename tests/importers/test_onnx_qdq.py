"""Quantized ONNX models (converter/importers/onnx_qdq.py) against ONNX Runtime.

A torchvision ResNet-18 with random weights, exported by torch, quantized by ONNX Runtime's
quantize_static (QDQ format; uint8 and int8 activations, per-tensor and per-channel weights)
over random calibration data: the converted graph runs int8 convolutions, and its output is
within one step of the output's quantization scale of ONNX Runtime's on >= 99% of the values.
A small CNN with the other patterns quantize_static writes (depthwise convolution, concat,
pools, MatMul, an op without an int8 kernel that stays float32); standalone Q/DQ pairs;
malformed Q/DQ nodes refused by name and reason. ONNX's node cases for the quantized ops run
in tests/conformance/test_onnx_node.py.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import require_module
from emberlite import Interpreter
from emberlite.converter import Converter, ModelImportError, UnsupportedOpsError
from emberlite.converter.importers.onnx_qdq import FLOAT_NODES_KEY
from helpers import run_ember, run_ort

SIZE = 224                      # ResNet-18's input: its global pool averages 7 x 7 values
CALIBRATION = 4


def _calibration(name: str, shape: tuple[int, ...], seed: int):
    """A CalibrationDataReader over `CALIBRATION` random inputs."""
    quantization = require_module("onnxruntime.quantization")

    class Reader(quantization.CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(seed)
            self.samples = iter([{name: rng.standard_normal(shape).astype(np.float32)}
                                 for _ in range(CALIBRATION)])

        def get_next(self) -> dict | None:
            return next(self.samples, None)

    return Reader()


def _quantize(float_path: Path, out: Path, shape: tuple[int, ...], activations: str,
              per_channel: bool, preprocess: bool = True) -> onnx.ModelProto:
    """quantize_static in QDQ format (ONNX Runtime's recommended pre-processing first)."""
    quantization = require_module("onnxruntime.quantization")
    from onnxruntime.quantization.shape_inference import quant_pre_process

    pre = out.with_suffix(".pre.onnx")
    if preprocess:
        quant_pre_process(str(float_path), str(pre), skip_symbolic_shape=True)
    else:
        pre = float_path
    act = {"uint8": quantization.QuantType.QUInt8, "int8": quantization.QuantType.QInt8}
    quantization.quantize_static(str(pre), str(out), _calibration("x", shape, 0),
                                 quant_format=quantization.QuantFormat.QDQ,
                                 activation_type=act[activations],
                                 weight_type=quantization.QuantType.QInt8,
                                 per_channel=per_channel)
    return onnx.load(str(out))


def _export(net, shape: tuple[int, ...], path: Path) -> Path:
    torch = require_module("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(net.eval(), (torch.zeros(shape),), str(path), opset_version=17,
                          dynamo=False, input_names=["x"], output_names=["y"])
    return path


def _output_scale(model: onnx.ModelProto) -> float:
    """The scale of the DequantizeLinear that makes the graph output."""
    out = model.graph.output[0].name
    node = next(n for n in model.graph.node if out in n.output)
    assert node.op_type == "DequantizeLinear", node.op_type
    scales = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return float(scales[node.input[1]])


def _within_one_step(model: onnx.ModelProto, data: bytes, shape: tuple[int, ...],
                     runs: int) -> float:
    """The fraction of outputs within one output quantization step of ONNX Runtime's."""
    step = _output_scale(model)
    interp = Interpreter(model_content=data)
    interp.allocate_tensors()
    rng = np.random.default_rng(1)
    close = total = 0
    for _ in range(runs):
        x = rng.standard_normal(shape).astype(np.float32)
        [got] = run_ember(data, [x], interpreter=interp)
        [want] = run_ort(model, [x])
        assert got.shape == want.shape
        diff = np.abs(got.astype(np.float64) - want) / step
        close += int(np.sum(diff <= 1.0 + 1e-4))
        total += diff.size
    return close / total


def _op_types(data: bytes) -> list[tuple[str, str]]:
    """(op, dtype of its first output) of every node of a converted model."""
    interp = Interpreter(model_content=data)
    details = interp.get_tensor_details()
    return [(op, np.dtype(details[interp.node_outputs(i)[0]]["dtype"]).name)
            for i, op in enumerate(interp.node_ops())]


@pytest.fixture(scope="module")
def resnet18(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch = require_module("torch")
    torchvision = require_module("torchvision")
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("qdq")
    return _export(torchvision.models.resnet18(weights=None), (1, 3, SIZE, SIZE),
                   folder / "resnet18.onnx")


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("activations", ["uint8", "int8"])
def test_resnet18_qdq_within_one_step(resnet18: Path, activations: str,
                                      per_channel: bool) -> None:
    shape = (1, 3, SIZE, SIZE)
    out = resnet18.with_name(f"resnet18_{activations}_{per_channel}.onnx")
    model = _quantize(resnet18, out, shape, activations, per_channel)
    data = Converter.from_onnx(out).convert()
    ops = _op_types(data)
    convs = [dtype for op, dtype in ops if op == "conv2d"]
    assert convs == ["int8"] * 20, convs       # every convolution runs int8
    assert ("fully_connected", "int8") in ops and ("add", "int8") in ops
    assert not any(op == "dequantize" for op, _ in ops[:-1]), ops  # float only at the end
    fraction = _within_one_step(model, data, shape, runs=2)
    print(f"resnet18 {activations} {'per-channel' if per_channel else 'per-tensor'}: "
          f"{fraction:.4%} of outputs within 1 step of ONNX Runtime")
    assert fraction >= 0.99, f"{fraction:.4%} of outputs within one step"


def test_resnet18_qdq_without_preprocessing(resnet18: Path) -> None:
    """Without the pre-processing, torch's shared zero biases reach the convolutions through
    Identity nodes, dequantized once at another convolution's scale: each is requantized to
    its own convolution's input x weight scale, and every convolution still runs int8."""
    shape = (1, 3, SIZE, SIZE)
    out = resnet18.with_name("resnet18_raw.onnx")
    model = _quantize(resnet18, out, shape, "uint8", per_channel=False, preprocess=False)
    assert any(n.op_type == "Identity" for n in model.graph.node)
    data = Converter.from_onnx(out).convert()
    assert [dtype for op, dtype in _op_types(data) if op == "conv2d"] == ["int8"] * 20
    assert _within_one_step(model, data, shape, runs=2) >= 0.99


def _small_cnn():
    torch = require_module("torch")
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
            self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)
            self.pointwise = nn.Conv2d(8, 8, 1)
            self.head = nn.Linear(16, 10)

        def forward(self, x):
            x = torch.relu(self.stem(x))
            a = torch.clamp(self.depthwise(x), 0.0, 6.0)
            b = nn.functional.avg_pool2d(self.pointwise(x), 3, stride=1, padding=1)
            x = torch.cat([a, torch.sigmoid(b)], dim=1)
            x = nn.functional.max_pool2d(x, 2)
            x = x.mean(dim=(2, 3))
            return torch.matmul(x, self.head.weight.T) + self.head.bias

    torch.manual_seed(1)
    return Net()


@pytest.mark.parametrize("activations", ["uint8", "int8"])
def test_small_cnn_qdq(tmp_path: Path, activations: str) -> None:
    """Depthwise conv, concat (inputs requantized to its output's params), max pool, mean
    and MatMul run int8, Sigmoid as an int8 lookup table; the average pool counting padding
    (no int8 kernel) runs float32 between DEQUANTIZE and QUANTIZE, named in the metadata."""
    shape = (1, 3, 32, 32)
    path = _export(_small_cnn(), shape, tmp_path / "small.onnx")
    out = tmp_path / f"small_{activations}.onnx"
    model = _quantize(path, out, shape, activations, per_channel=True)
    data = Converter.from_onnx(out).convert()
    ops = _op_types(data)
    for op in ("conv2d", "depthwise_conv2d", "concatenation", "max_pool2d", "mean",
               "fully_connected", "lookup_table"):
        assert (op, "int8") in ops, (op, ops)
    assert ("average_pool2d", "float32") in ops and ("sigmoid", "float32") not in ops
    reasons = json.loads(Interpreter(model_content=data).get_metadata()[FLOAT_NODES_KEY])
    assert list(reasons) == ["/AveragePool"], reasons
    assert "inside the input" in reasons["/AveragePool"]
    fraction = _within_one_step(model, data, shape, runs=4)
    print(f"small CNN {activations}: {fraction:.4%} of outputs within 1 step")
    assert fraction >= 0.99


# --- hand-made Q/DQ graphs ------------------------------------------------------------------
def _model(nodes: list, inputs: list, outputs: list, initializers: list,
           opset: int = 21) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "qdq", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


def _qdq_pair(zero_point: np.ndarray, axis: int | None = None) -> onnx.ModelProto:
    """x -> QuantizeLinear -> DequantizeLinear -> y, the scale per tensor or per `axis`."""
    scale = np.float32(0.05) if axis is None else \
        np.linspace(0.02, 0.08, 4, dtype=np.float32)
    attrs = {} if axis is None else {"axis": axis}
    inits = [numpy_helper.from_array(np.asarray(scale), "s"),
             numpy_helper.from_array(zero_point, "zp")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], name="q", **attrs),
             helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], name="dq", **attrs)]
    return _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 3, 3])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4, 3, 3])], inits)


@pytest.mark.parametrize("zero_point", [np.uint8(131), np.int8(-7)], ids=["uint8", "int8"])
def test_standalone_pair_is_quantize_dequantize(zero_point: np.ndarray) -> None:
    model = _qdq_pair(np.asarray(zero_point))
    data = Converter.from_onnx(model).convert()
    assert [op for op, _ in _op_types(data)] == ["quantize", "dequantize"]
    x = (np.random.default_rng(2).standard_normal((2, 4, 3, 3)) * 4).astype(np.float32)
    [got], [want] = run_ember(data, [x]), run_ort(model, [x])
    np.testing.assert_array_equal(got, want)   # saturation included


@pytest.mark.parametrize("zero_point", [np.array([3, 130, 250, 0], np.uint8),
                                        np.array([-3, 0, 100, -128], np.int8)],
                         ids=["uint8", "int8"])
def test_per_axis_pair(zero_point: np.ndarray) -> None:
    """Per-axis Q/DQ have no kernel: float ops with ONNX's own rounding, bit for bit."""
    model = _qdq_pair(zero_point, axis=1)
    x = (np.random.default_rng(3).standard_normal((2, 4, 3, 3)) * 4).astype(np.float32)
    [got], [want] = run_ember(Converter.from_onnx(model).convert(), [x]), run_ort(model, [x])
    np.testing.assert_array_equal(got, want)


def _dq_model(x_type: int, scale_input: bool = False, zero_point: np.ndarray | None = None,
              axis: int | None = None) -> onnx.ModelProto:
    inputs = [helper.make_tensor_value_info("x", x_type, [1, 4, 2, 2])]
    inits = []
    if scale_input:
        inputs.append(helper.make_tensor_value_info("s", TensorProto.FLOAT, []))
    else:
        scale = np.float32(0.1) if axis is None else np.full(4, 0.1, np.float32)
        inits.append(numpy_helper.from_array(np.asarray(scale), "s"))
    names = ["x", "s"]
    if zero_point is not None:
        inits.append(numpy_helper.from_array(zero_point, "zp"))
        names.append("zp")
    attrs = {} if axis is None else {"axis": axis}
    node = helper.make_node("DequantizeLinear", names, ["y"], name="bad_dq", **attrs)
    return _model([node], inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                  inits)


def _refusal(model: onnx.ModelProto) -> str:
    with pytest.raises((UnsupportedOpsError, ModelImportError)) as info:
        Converter.from_onnx(model).convert()
    return str(info.value)


def test_run_time_scale_runs_dequantize_linear() -> None:
    """A graph-input scale: DEQUANTIZE_LINEAR reads it at invoke (tests/kernels/
    test_quantize_runtime_params.py checks it against ONNX Runtime)."""
    data = Converter.from_onnx(_dq_model(TensorProto.INT8, scale_input=True)).convert()
    assert ("dequantize_linear", "float32") in _op_types(data)


def test_zero_point_type_mismatch_is_refused() -> None:
    message = _refusal(_dq_model(TensorProto.INT8, zero_point=np.uint8(3)))
    assert "bad_dq" in message and "uint8" in message and "int8" in message


def test_axis_out_of_range_is_refused() -> None:
    message = _refusal(_dq_model(TensorProto.UINT8, zero_point=np.zeros(4, np.uint8), axis=5))
    assert "bad_dq" in message and "axis 5" in message


def test_matmul_integer_beyond_exact_float_is_refused() -> None:
    """MatMulInteger runs as float32 sums of integers: refused where they could round."""
    weights = np.full((600, 2), 127, np.int8)
    node = helper.make_node("MatMulInteger", ["a", "w"], ["y"], name="big_sum")
    model = _model([node], [helper.make_tensor_value_info("a", TensorProto.UINT8, [1, 600])],
                   [helper.make_tensor_value_info("y", TensorProto.INT32, [1, 2])],
                   [numpy_helper.from_array(weights, "w")], opset=10)
    message = _refusal(model)
    assert "big_sum" in message and "2^24" in message


def _mlp():
    torch = require_module("torch")
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.up = nn.Linear(16, 32)
            self.down = nn.Linear(32, 16)

        def forward(self, x):
            return torch.softmax(self.down(torch.relu(self.up(x))), dim=-1)

    torch.manual_seed(2)
    return Net()


@pytest.mark.parametrize("activations", ["uint8", "int8"])
def test_token_mlp_qdq(tmp_path: Path, activations: str) -> None:
    """Linear layers on [batch, tokens, features] and Softmax, quantized (the pre-processing
    makes each Linear a Reshape, Gemm, Reshape; the first Reshape's output is quantized as the
    removed Relu's): FULLY_CONNECTED, the reshapes (one requantizing) and SOFTMAX (its fixed
    output params requantized to the model's) run int8."""
    shape = (1, 8, 16)
    path = _export(_mlp(), shape, tmp_path / "mlp.onnx")
    out = tmp_path / f"mlp_{activations}.onnx"
    model = _quantize(path, out, shape, activations, per_channel=True)
    data = Converter.from_onnx(out).convert()
    ops = _op_types(data)
    for op in ("fully_connected", "reshape", "softmax"):
        assert (op, "int8") in ops, (op, ops)
    assert not any(op in ("fully_connected", "softmax") and dtype == "float32"
                   for op, dtype in ops), ops
    assert _within_one_step(model, data, shape, runs=4) >= 0.99


def test_int8_output_keeps_its_name() -> None:
    """A QuantizeLinear after an int8 group that is a graph output: the group's int8 tensor,
    under the ONNX name, with the QuantizeLinear's params."""
    rng = np.random.default_rng(4)
    w = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    inits = [numpy_helper.from_array(np.float32(0.02), "xs"),
             numpy_helper.from_array(np.int8(3), "xz"),
             numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.float32(0.01), "ws"),
             numpy_helper.from_array(np.float32(0.3), "ys"),
             numpy_helper.from_array(np.int8(-5), "yz")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xf"]),
             helper.make_node("DequantizeLinear", ["w", "ws"], ["wf"]),
             helper.make_node("Conv", ["xf", "wf"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("QuantizeLinear", ["c", "ys", "yz"], ["y"])]
    model = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
                   [helper.make_tensor_value_info("y", TensorProto.INT8, [1, 4, 6, 6])], inits)
    data = Converter.from_onnx(model).convert()
    assert ("conv2d", "int8") in _op_types(data)
    interp = Interpreter(model_content=data)
    [detail] = interp.get_output_details()
    assert detail["name"] == "y" and detail["quantization"] == (np.float32(0.3), -5)
    x = rng.standard_normal((1, 3, 6, 6)).astype(np.float32)
    [got], [want] = run_ember(data, [x]), run_ort(model, [x])
    assert np.mean(np.abs(got.astype(int) - want) <= 1) >= 0.99


# --- the quantized operators ------------------------------------------------------------------
def _qlinear_conv_model(rng: np.random.Generator, unsigned: bool, group: int,
                        per_channel: bool) -> onnx.ModelProto:
    cin, cout = 8, 8 if group > 1 else 6
    w = rng.integers(-127, 128, (cout, cin // group, 3, 3)).astype(np.int8)
    w_scale = (rng.uniform(0.002, 0.01, cout) if per_channel else
               np.array(0.005)).astype(np.float32)
    act = np.uint8 if unsigned else np.int8
    inits = [numpy_helper.from_array(np.float32(0.03), "xs"),
             numpy_helper.from_array(act(130 if unsigned else 2), "xz"),
             numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(w_scale, "ws"),
             numpy_helper.from_array(np.zeros(w_scale.shape, np.int8), "wz"),
             numpy_helper.from_array(np.float32(0.05), "ys"),
             numpy_helper.from_array(act(120 if unsigned else -8), "yz"),
             numpy_helper.from_array(rng.integers(-2000, 2000, cout).astype(np.int32), "b")]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                            ["y"], name="qconv", group=group, strides=[2, 1],
                            pads=[1, 0, 1, 2])
    elem = TensorProto.UINT8 if unsigned else TensorProto.INT8
    return _model([node], [helper.make_tensor_value_info("x", elem, [1, cin, 9, 7])],
                  [helper.make_tensor_value_info("y", elem, None)], inits, opset=13)


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("group", [1, 8], ids=["conv", "depthwise"])
@pytest.mark.parametrize("unsigned", [True, False], ids=["uint8", "int8"])
def test_qlinear_conv(unsigned: bool, group: int, per_channel: bool) -> None:
    """QLinearConv runs the int8 kernels (LiteRT's fixed-point requantization): within one
    step of ONNX Runtime's everywhere, equal on >= 99%."""
    rng = np.random.default_rng(5)
    model = _qlinear_conv_model(rng, unsigned, group, per_channel)
    data = Converter.from_onnx(model).convert()
    op = "conv2d" if group == 1 else "depthwise_conv2d"
    assert (op, "int8") in _op_types(data)
    info = np.iinfo(np.uint8 if unsigned else np.int8)
    x = rng.integers(info.min, info.max + 1, (1, 8, 9, 7)).astype(info.dtype)
    [got], [want] = run_ember(data, [x]), run_ort(model, [x])
    assert got.dtype == want.dtype and got.shape == want.shape
    diff = np.abs(got.astype(int) - want.astype(int))
    assert diff.max() <= 1 and np.mean(diff == 0) >= 0.99


def test_conv_and_matmul_integer_exact() -> None:
    """ConvInteger and MatMulInteger: int32 sums equal to ONNX Runtime's."""
    rng = np.random.default_rng(6)
    w = rng.integers(0, 256, (5, 4, 3, 3)).astype(np.uint8)
    m = rng.integers(-128, 128, (12, 7)).astype(np.int8)
    nodes = [helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("MatMulInteger", ["r", "m", "xz"], ["p"])]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(m, "m"),
             numpy_helper.from_array(np.uint8(100), "xz"),
             numpy_helper.from_array(np.uint8(140), "wz")]
    model = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 4, 6, 6]),
                           helper.make_tensor_value_info("r", TensorProto.UINT8, [5, 12])],
                   [helper.make_tensor_value_info("c", TensorProto.INT32, None),
                    helper.make_tensor_value_info("p", TensorProto.INT32, None)], inits,
                   opset=13)
    inputs = [rng.integers(0, 256, shape).astype(np.uint8) for shape in ((1, 4, 6, 6), (5, 12))]
    got, want = run_ember(Converter.from_onnx(model).convert(), inputs), run_ort(model, inputs)
    for g, e in zip(got, want):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("unsigned", [True, False], ids=["uint8", "int8"])
def test_qlinear_matmul(unsigned: bool) -> None:
    """QLinearMatMul with constant 2-D b: FULLY_CONNECTED int8, within one step of ONNX
    Runtime's."""
    rng = np.random.default_rng(7)
    act = np.uint8 if unsigned else np.int8
    inits = [numpy_helper.from_array(np.float32(0.02), "as"),
             numpy_helper.from_array(act(128 if unsigned else 0), "az"),
             numpy_helper.from_array(rng.integers(-127, 128, (16, 10)).astype(np.int8), "b"),
             numpy_helper.from_array(np.float32(0.01), "bs"),
             numpy_helper.from_array(np.int8(0), "bz"),
             numpy_helper.from_array(np.float32(0.04), "ys"),
             numpy_helper.from_array(act(125 if unsigned else -3), "yz")]
    node = helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
                            ["y"], name="qmm")
    elem = TensorProto.UINT8 if unsigned else TensorProto.INT8
    model = _model([node], [helper.make_tensor_value_info("a", elem, [3, 5, 16])],
                   [helper.make_tensor_value_info("y", elem, None)], inits, opset=13)
    data = Converter.from_onnx(model).convert()
    assert ("fully_connected", "int8") in _op_types(data)
    info = np.iinfo(act)
    a = rng.integers(info.min, info.max + 1, (3, 5, 16)).astype(act)
    [got], [want] = run_ember(data, [a]), run_ort(model, [a])
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def _malformed_qlinear_conv(bias_type: type, weight_type: type) -> onnx.ModelProto:
    inits = [numpy_helper.from_array(np.float32(0.03), "xs"),
             numpy_helper.from_array(np.uint8(128), "xz"),
             numpy_helper.from_array(np.ones((2, 3, 1, 1), weight_type), "w"),
             numpy_helper.from_array(np.float32(0.01), "ws"),
             numpy_helper.from_array(np.zeros((), weight_type), "wz"),
             numpy_helper.from_array(np.float32(0.05), "ys"),
             numpy_helper.from_array(np.uint8(128), "yz"),
             numpy_helper.from_array(np.zeros(2, bias_type), "b")]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                            ["y"], name="bad_node")
    return _model([node], [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 3, 4, 4])],
                  [helper.make_tensor_value_info("y", TensorProto.UINT8, None)], inits, opset=13)


def _quantize_to(output_dtype: int) -> onnx.ModelProto:
    node = helper.make_node("QuantizeLinear", ["x", "s"], ["y"], name="bad_node",
                            output_dtype=output_dtype)
    return _model([node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                  [helper.make_tensor_value_info("y", output_dtype, None)],
                  [numpy_helper.from_array(np.float32(0.1), "s")])


def _negative_scale() -> onnx.ModelProto:
    node = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="bad_node")
    return _model([node], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                  [helper.make_tensor_value_info("y", TensorProto.INT8, None)],
                  [numpy_helper.from_array(np.float32(-0.1), "s"),
                   numpy_helper.from_array(np.int8(0), "z")])


@pytest.mark.parametrize("model, reason", [
    (lambda: _malformed_qlinear_conv(np.int8, np.int8), "B must be int32"),
    (lambda: _malformed_qlinear_conv(np.int32, np.int32), "w must be int8 or uint8"),
    (lambda: _quantize_to(TensorProto.INT32), "int8, uint8, int16 and uint16 are supported"),
    (_negative_scale, "scale must be finite and > 0"),
], ids=["bias_type", "weight_type", "int32_output", "negative_scale"])
def test_malformed_quantized_ops_are_refused(model, reason: str) -> None:
    message = _refusal(model())
    assert "bad_node" in message and reason in message, message


@pytest.mark.parametrize("unsigned", [True, False], ids=["uint8", "int8"])
def test_element_wise_functions_become_lookup_tables(unsigned: bool) -> None:
    """Sigmoid, Tanh, HardSigmoid, Gelu, Exp and Softplus between Q/DQ pairs: each an int8
    LOOKUP_TABLE of ONNX Runtime's own values (within one step, equal on >= 99%)."""
    act = np.uint8 if unsigned else np.int8
    chain = [("Sigmoid", 1 / 255), ("Tanh", 2 / 255), ("HardSigmoid", 1 / 255),
             ("Gelu", 0.01), ("Exp", 0.02), ("Softplus", 0.03)]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s0", "z0"], ["q0"])]
    inits = [numpy_helper.from_array(np.float32(0.02), "s0"),
             numpy_helper.from_array(act(128 if unsigned else 0), "z0")]
    for i, (op, scale) in enumerate(chain, 1):
        zero = 0 if op in ("Sigmoid", "HardSigmoid", "Exp", "Softplus") else 128
        inits += [numpy_helper.from_array(np.float32(scale), f"s{i}"),
                  numpy_helper.from_array(act(zero if unsigned else zero - 128), f"z{i}")]
        nodes += [helper.make_node("DequantizeLinear", [f"q{i - 1}", f"s{i - 1}", f"z{i - 1}"],
                                   [f"d{i}"]),
                  helper.make_node(op, [f"d{i}"], [f"f{i}"], name=op),
                  helper.make_node("QuantizeLinear", [f"f{i}", f"s{i}", f"z{i}"], [f"q{i}"])]
    n = len(chain)
    nodes.append(helper.make_node("DequantizeLinear", [f"q{n}", f"s{n}", f"z{n}"], ["y"]))
    model = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 64])], inits)
    data = Converter.from_onnx(model).convert()
    ops = _op_types(data)
    assert [op for op, _ in ops].count("lookup_table") == n, ops
    x = (np.random.default_rng(8).standard_normal((4, 64)) * 2).astype(np.float32)
    [got], [want] = run_ember(data, [x]), run_ort(model, [x])
    steps = np.abs(got.astype(np.float64) - want) / 0.03
    assert steps.max() <= 1.001 and np.mean(steps < 0.5) >= 0.99


def test_softmax_below_the_kernels_input_scale_runs_float() -> None:
    """A Softmax group whose input scale the int8 kernel refuses (beta x scale <= 2^-26, found
    by fuzzing) runs float32 instead of writing a file the runtime refuses."""
    inits = [numpy_helper.from_array(np.float32(1e-30), "s"),
             numpy_helper.from_array(np.uint8(128), "z"),
             numpy_helper.from_array(np.float32(1 / 256), "so"),
             numpy_helper.from_array(np.uint8(0), "zo")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"]),
             helper.make_node("Softmax", ["d"], ["p"], name="softmax"),
             helper.make_node("QuantizeLinear", ["p", "so", "zo"], ["pq"]),
             helper.make_node("DequantizeLinear", ["pq", "so", "zo"], ["y"])]
    model = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5])],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])], inits)
    data = Converter.from_onnx(model).convert()
    reasons = json.loads(Interpreter(model_content=data).get_metadata()[FLOAT_NODES_KEY])
    assert "2^-26" in reasons["softmax"]
    x = np.random.default_rng(9).standard_normal((2, 5)).astype(np.float32)
    [got], [want] = run_ember(data, [x]), run_ort(model, [x])
    np.testing.assert_allclose(got, want, atol=1 / 256 + 1e-6)
