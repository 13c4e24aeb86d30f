"""Dynamic range computing in int8 (quantize("dynamic", compute="int8"), LiteRT's hybrid
kernels; csrc/kernels/hybrid_gemm.c): CONV2D and FULLY_CONNECTED keep float32 inputs and
outputs and read int8 weights directly, quantizing their input per inference.

Each optimised run (every ISA tier, 1 and 2 threads) gives the reference loop's bits; the
outputs stay close to the float32 model (a small conv net covering every path: gathered KxK
with stride, padding and dilation, 1x1 direct and strided, a fused residual and activations,
batch 2, fully connected rows of very different magnitudes); the digits CNN keeps its accuracy;
MobileNetV2 (random weights, 112x112) converts and runs; the options are checked."""
from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import ISA_ALL, ISA_NONE, Interpreter
from emberlite.cli import main
from emberlite.converter import Converter, QuantizationError
from emberlite.converter.reference import evaluate
from tests.helpers import run_ember
from tests.kernels.fixed_point import ISA_VARIANTS
from tests.quantize.digits import accuracy, digits, logits_of  # noqa: F401


def _hybrid(model: onnx.ModelProto) -> bytes:
    return Converter.from_onnx(model).quantize("dynamic", compute="int8").convert()


def _run(model: bytes, inputs: list[np.ndarray], isa_mask: int, threads: int,
         ) -> tuple[list[np.ndarray], list[str]]:
    interp = Interpreter(model_content=model, isa_mask=isa_mask, num_threads=threads)
    interp.allocate_tensors()
    return run_ember(model, inputs, interpreter=interp), interp.node_variants()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _export(net, shape: tuple[int, ...]) -> onnx.ModelProto:
    import torch

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net.eval(), (torch.zeros(shape),), buffer, opset_version=17,
                          dynamo=False, input_names=["x"], output_names=["y"])
    return onnx.load_from_string(buffer.getvalue())


@pytest.fixture(scope="module")
def conv_net() -> onnx.ModelProto:
    """Every hybrid path: a gathered 3x3 stride-2 padded conv on 3 channels (RELU6), a 1x1
    direct conv with 37 channels (RELU), a 5x5 dilated one, a residual 1x1 (fused ADD), a
    HARD_SWISH one, a strided 1x1 (gathered), two fully connected layers; batch 2."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Sequential(nn.Conv2d(3, 24, 3, stride=2, padding=1), nn.ReLU6(),
                                   nn.Conv2d(24, 37, 1), nn.ReLU(),
                                   nn.Conv2d(37, 19, 5, padding=4, dilation=2))
            self.res = nn.Conv2d(19, 19, 1)
            self.b = nn.Sequential(nn.Conv2d(19, 21, 1), nn.Hardswish(),
                                   nn.Conv2d(21, 16, 1, stride=2), nn.Flatten(),
                                   nn.Linear(16 * 5 * 5, 33), nn.ReLU(), nn.Linear(33, 7))

        def forward(self, x):
            h = self.a(x)
            return self.b(h + self.res(h))

    return _export(Net(), (2, 3, 19, 19))


def _conv_inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.standard_normal((2, 3, 19, 19)).astype(np.float32) * s for s in (1.0, 40.0)]


def test_weights_reach_the_ops_without_dequantize(conv_net: onnx.ModelProto) -> None:
    interp = Interpreter(model_content=_hybrid(conv_net))
    interp.allocate_tensors()
    assert "dequantize" not in interp.node_ops()
    assert interp.get_metadata()["dynamic_compute"] == "int8"
    ops = interp.node_ops()
    variants = interp.node_variants()
    hybrid = [v for op, v in zip(ops, variants) if op in ("conv2d", "fully_connected")]
    assert len(hybrid) == 8 and all(v.startswith("hybrid") for v in hybrid), variants
    assert any(v.startswith("hybrid_gather_") for v in hybrid)
    int8 = [d for d in interp.get_tensor_details() if d["dtype"] == np.int8]
    assert len(int8) == 8 and all(d["quantization_parameters"]["quantized_dimension"] == 0
                                  for d in int8)


@pytest.mark.parametrize("isa_mask", ISA_VARIANTS)
def test_fast_paths_give_the_reference_bits(conv_net: onnx.ModelProto, isa_mask: int) -> None:
    """Clamp activations and the residual: bit for bit. The HARD_SWISH node's fast epilogue is
    the float32 ops' (kernels/epilogue.h), so the net is compared without it below."""
    model = _hybrid(_without_hardswish(conv_net))
    for x in _conv_inputs():
        [want], ref = _run(model, [x], ISA_NONE, 1)
        assert all(v in ("hybrid_ref", "reference") or not v.startswith("hybrid")
                   for v in ref), ref
        for threads in (1, 2):
            [got], _ = _run(model, [x], isa_mask, threads)
            np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))


@pytest.mark.parametrize("isa_mask", ISA_VARIANTS)
def test_images_quantized_in_chunks_give_the_reference_bits(isa_mask: int) -> None:
    """Images of 36864 floats: the threads find the range in 16384-float chunks (the last one
    partial), each image's extreme value in a different chunk."""
    rng = np.random.default_rng(8)
    w = rng.standard_normal((24, 16, 1, 1)).astype(np.float32) / 4
    node = helper.make_node("Conv", ["x", "w"], ["y"])
    graph = helper.make_graph(
        [node], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 16, 48, 48])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 24, 48, 48])],
        [numpy_helper.from_array(w, "w")])
    model = _hybrid(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    x = rng.standard_normal((2, 16, 48, 48)).astype(np.float32)
    x[0, 15, 47, 47], x[1, 0, 0, 0] = 9.0, -11.0   # last chunk of image 0, first of image 1
    [want], _ = _run(model, [x], ISA_NONE, 1)
    for threads in (1, 2):
        [got], _ = _run(model, [x], isa_mask, threads)
        np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))


def _without_hardswish(model: onnx.ModelProto) -> onnx.ModelProto:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for node in m.graph.node:
        if node.op_type == "HardSwish":
            node.op_type = "Relu"
    return m


def test_close_to_float(conv_net: onnx.ModelProto) -> None:
    float_file = Converter.from_onnx(conv_net).convert()
    dynamic = Converter.from_onnx(conv_net).quantize("dynamic").convert()
    hybrid = _hybrid(conv_net)
    for x in _conv_inputs():
        [want] = run_ember(float_file, [x])
        [dyn] = run_ember(dynamic, [x])
        [fast], _ = _run(hybrid, [x], ISA_ALL, 2)
        [ref], _ = _run(hybrid, [x], ISA_NONE, 1)
        err = np.abs(fast - want).max() / np.abs(want).max()
        print(f"\nconv net x{np.abs(x).max():.0f}: cosine hybrid {_cosine(fast, want):.6f} "
              f"dequantized {_cosine(dyn, want):.6f}, max err / max|y| {err:.2e}")
        assert _cosine(fast, want) >= 0.999 and err <= 0.03
        # only the HARD_SWISH node's fast epilogue may round differently from the reference
        assert np.abs(fast - ref).max() <= 1e-4 * np.abs(ref).max()


def test_fully_connected_quantizes_each_row_alone() -> None:
    """Rows 1e-4 and 1e4 in magnitude each keep their accuracy: with one scale for the batch
    the small rows would quantize to zero."""
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((29, 67)) / 8).astype(np.float32)
    b = rng.standard_normal(29).astype(np.float32)
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)
    graph = helper.make_graph(
        [node], "fc", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 67])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [5, 29])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = rng.standard_normal((5, 67)).astype(np.float32)
    x *= np.array([1e-4, 1.0, 1e4, 3.0, 0.0], np.float32)[:, None]
    want = x.astype(np.float64) @ w.T + b
    [got], variants = _run(_hybrid(model), [x], ISA_ALL, 1)
    assert variants[0].startswith("hybrid")
    for row in range(5):
        sums = x[row].astype(np.float64) @ w.T
        err = np.abs(got[row] - want[row]).max()
        assert err <= 0.02 * max(np.abs(sums).max(), 1e-30) + 1e-6 * np.abs(b).max(), row
    np.testing.assert_array_equal(got[4], b)  # a zero row gives the bias exactly


def test_python_reference_reads_the_int8_weights(conv_net: onnx.ModelProto) -> None:
    from emberlite.converter.passes import run_passes
    from emberlite.converter.quantize.weight_only import quantize_dynamic

    graph = run_passes(Converter.from_onnx(conv_net)._source.load())
    q = quantize_dynamic(graph, "int8")
    x = _conv_inputs()[0].transpose(0, 2, 3, 1)
    name = graph.inputs[0]
    want = evaluate(graph, {name: x})[graph.outputs[0]]
    got = evaluate(q, {name: x})[q.outputs[0]]
    assert _cosine(got, want) >= 0.9999


def test_digits_accuracy(digits: dict) -> None:  # noqa: F811
    float_model = Converter.from_onnx(digits["onnx"]).convert()
    model = _hybrid(digits["onnx"])
    float_acc = accuracy(logits_of(float_model, digits["x_test"]), digits["y_test"])
    acc = accuracy(logits_of(model, digits["x_test"]), digits["y_test"])
    want = logits_of(float_model, digits["x_test"])
    got = logits_of(model, digits["x_test"])
    err = np.abs(got - want).max() / np.abs(want).max()
    print(f"\ndigits: float {float_acc:.2f}%  hybrid {acc:.2f}%  cosine {_cosine(got, want):.6f}"
          f"  max err / max|logit| {err:.2e}")
    assert acc >= float_acc - 0.5
    assert _cosine(got, want) >= 0.999 and err <= 0.03


def test_mobilenet_v2_112() -> None:
    torch = pytest.importorskip("torch")
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    net = torchvision.models.mobilenet_v2(weights=None)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
    net.train()
    with torch.no_grad():
        for _ in range(2):
            net(torch.randn(8, 3, 112, 112))
    model = _export(net, (1, 3, 112, 112))
    float_file = Converter.from_onnx(model).convert()
    hybrid = _hybrid(model)
    x = np.random.default_rng(2).standard_normal((1, 3, 112, 112)).astype(np.float32)
    [want] = run_ember(float_file, [x])
    [one], variants = _run(hybrid, [x], ISA_ALL, 1)
    [two], _ = _run(hybrid, [x], ISA_ALL, 2)
    print(f"\nmobilenet_v2 112 hybrid: cosine {_cosine(one, want):.6f}, size "
          f"{len(hybrid)} / {len(float_file)} bytes")
    assert sum(v.startswith("hybrid") for v in variants) == 36  # 35 convs and the classifier
    np.testing.assert_array_equal(one.view(np.int32), two.view(np.int32))
    assert _cosine(one, want) >= 0.999


def test_options() -> None:
    node = helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)
    graph = helper.make_graph(
        [node], "fc", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(np.ones((3, 4), np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(QuantizationError, match="compute only applies"):
        Converter.from_onnx(model).quantize("fp16", compute="int8")
    with pytest.raises(QuantizationError, match="compute must be one of float, int8"):
        Converter.from_onnx(model).quantize("dynamic", compute="int4")
    default = Converter.from_onnx(model).quantize("dynamic").convert()
    assert Converter.from_onnx(model).quantize("dynamic", compute="float").convert() == default
    assert "dequantize" in Interpreter(model_content=default).node_ops()


def test_cli_dynamic_compute(tmp_path, capsys) -> None:
    node = helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)
    graph = helper.make_graph(
        [node], "fc", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4), "w")])
    src = tmp_path / "fc.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), src)
    out = tmp_path / "fc.ember"
    assert main(["convert", str(src), "-o", str(out), "--quantize", "dynamic",
                 "--dynamic-compute", "int8"]) == 0
    interp = Interpreter(model_path=out)
    assert interp.node_ops() == ["fully_connected"]
    assert main(["convert", str(src), "--quantize", "fp16", "--dynamic-compute", "int8"]) != 0
    assert "only used with --quantize dynamic" in capsys.readouterr().err


def _fc_graph(k: int, weights_constant: bool) -> bytes:
    from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor, constant_array
    from emberlite.converter.ops import OpType
    from emberlite.converter.ops.fully_connected import FullyConnectedParams
    from emberlite.converter.planner import plan_memory
    from emberlite.converter.writer import serialize

    w = np.ones((3, k), np.int8)
    tensors = [Tensor("x", DType.FLOAT32, (1, k)),
               Tensor("w", DType.INT8, (3, k), constant_array(w) if weights_constant else None,
                      QuantParams((0.5, 0.25, 0.125), (0, 0, 0), 0)),
               Tensor("y", DType.FLOAT32, (1, 3))]
    node = Node(OpType.FULLY_CONNECTED, "fc", ["x", "w"], ["y"], FullyConnectedParams())
    inputs = ["x"] if weights_constant else ["x", "w"]
    g = Graph({t.name: t for t in tensors}, [node], inputs, ["y"])
    return serialize(g, plan_memory(g))


def test_malformed_hybrid_nodes_refused() -> None:
    from emberlite import InvalidModelError

    assert run_ember(_fc_graph(8, True), [np.ones((1, 8), np.float32)])[0].tolist() == \
        [[4.0, 2.0, 1.0]]
    with pytest.raises(InvalidModelError, match="must be constant"):
        Interpreter(model_content=_fc_graph(8, False))
    with pytest.raises(InvalidModelError, match="longer than 66311"):
        Interpreter(model_content=_fc_graph(66312, True)).allocate_tensors()


def test_sums_too_long_for_int32_stay_dequantized() -> None:
    k = 66312
    node = helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)
    graph = helper.make_graph(
        [node], "fc", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        [numpy_helper.from_array(np.ones((2, k), np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert "dequantize" in Interpreter(model_content=_hybrid(model)).node_ops()
