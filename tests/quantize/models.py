"""Small ONNX models (onnx.helper, random weights) and a runner shared by the quantization
tests."""
from __future__ import annotations

import io
import warnings
from functools import lru_cache

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from conftest import require_module
from emberlite import Interpreter
from emberlite.converter.ir import TO_NHWC

TORCHVISION_INPUT = (1, 3, 96, 96)


@lru_cache(maxsize=4)
def torchvision_onnx(name: str, momentum: float | None = 0.1) -> onnx.ModelProto:
    """torchvision model `name` with random weights and BatchNorm statistics from 4 train-mode
    passes over random batches (with PyTorch's default momentum 0.1 unless given; None is a
    cumulative average, i.e. the batches' own statistics), exported to ONNX at 96x96."""
    torch = require_module("torch")
    torchvision = require_module("torchvision")
    torch.manual_seed(0)
    net = getattr(torchvision.models, name)(weights=None)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = momentum
    net.train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(8, *TORCHVISION_INPUT[1:]))
    net.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(TORCHVISION_INPUT),), buffer, opset_version=17,
                          dynamo=False, input_names=["image"], output_names=["logits"])
    return onnx.load_from_string(buffer.getvalue())


def weight(rng: np.random.Generator, name: str, *shape: int) -> onnx.TensorProto:
    w = rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))
    return numpy_helper.from_array(w.astype(np.float32), name)


def onnx_model(nodes: list, inputs: list, outputs: list, inits: list) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "mixed", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def gated_cnn() -> onnx.ModelProto:
    """Conv -> HardSigmoid -> Conv+Relu -> Div by a per-channel constant -> Flatten -> Gemm ->
    HardSigmoid: three ops without an int8 kernel between int8 ones, one of them at the
    output."""
    rng = np.random.default_rng(0)
    scale = rng.uniform(0.5, 2.0, (1, 8, 1, 1)).astype(np.float32)
    inits = [weight(rng, "w1", 8, 3, 3, 3), weight(rng, "b1", 8),
             weight(rng, "w2", 8, 8, 3, 3), weight(rng, "b2", 8),
             numpy_helper.from_array(scale, "m"), weight(rng, "fc", 10, 8 * 8 * 8),
             numpy_helper.from_array(np.array([1, -1], np.int64), "flat")]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
             helper.make_node("HardSigmoid", ["c1"], ["s"], name="gate"),
             helper.make_node("Conv", ["s", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1],
                              name="conv2"),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("Div", ["r2", "m"], ["mm"], name="scale"),
             helper.make_node("Reshape", ["mm", "flat"], ["f"], name="flatten"),
             helper.make_node("Gemm", ["f", "fc"], ["l"], transB=1, name="fc"),
             helper.make_node("HardSigmoid", ["l"], ["y"], name="squash")]
    return onnx_model(nodes,
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)


def shared_input_model() -> onnx.ModelProto:
    """The input feeds a float HARD_SIGMOID and an int8 ADD; a constant feeds an int8 ADD and
    a float DIV; the output comes from a float HARD_SIGMOID."""
    rng = np.random.default_rng(1)
    c = numpy_helper.from_array(rng.uniform(0.5, 1.5, (1, 16)).astype(np.float32), "c")
    nodes = [helper.make_node("HardSigmoid", ["x"], ["a"], name="gate"),
             helper.make_node("Add", ["a", "x"], ["b"], name="sum"),
             helper.make_node("Add", ["b", "c"], ["d"], name="shift"),
             helper.make_node("Div", ["d", "c"], ["e"], name="product"),
             helper.make_node("HardSigmoid", ["e"], ["y"], name="squash")]
    return onnx_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])], [c])


def outputs(model_bytes: bytes, inputs: np.ndarray) -> np.ndarray:
    """Float outputs for each input (NCHW or 2-D), flattened: int8 or uint8 io is converted by
    the tensor details' params, inputs as the QUANTIZE op would (float32 division, ties away
    from zero)."""
    interp = Interpreter(model_content=model_bytes)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    nhwc = interp.get_metadata().get(f"layout.input.{inp['name']}") == "NHWC"
    results = []
    for x in inputs:
        x = np.transpose(x[None], TO_NHWC) if nhwc else x[None]
        if inp["dtype"] in (np.int8, np.uint8):
            s, zp = inp["quantization"]
            scaled = x.astype(np.float32) / np.float32(s)
            x = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))
            info = np.iinfo(inp["dtype"])
            x = np.clip(x + zp, info.min, info.max).astype(inp["dtype"])
        interp.set_tensor(inp["index"], np.ascontiguousarray(x))
        interp.invoke()
        y = interp.get_tensor(out["index"]).reshape(-1)
        if y.dtype in (np.int8, np.uint8):
            s, zp = out["quantization"]
            y = (y.astype(np.float32) - np.float32(zp)) * np.float32(s)
        results.append(y.astype(np.float32))
    return np.stack(results)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))




def outlier_cnn(outlier: float = 300.0) -> onnx.ModelProto:
    """Conv -> Conv+Relu -> Conv (1x1) that quantizes badly: conv1's output channel 0 is
    `outlier` times larger than the others, and conv2 scales that channel back down, so the
    per-tensor params of conv1's output crush the channels conv2 depends on."""
    rng = np.random.default_rng(9)
    w1 = (rng.standard_normal((8, 4, 3, 3)) / 6).astype(np.float32)
    w1[0] *= outlier
    w2 = (rng.standard_normal((8, 8, 3, 3)) / 8).astype(np.float32)
    w2[:, 0] /= outlier
    w3 = (rng.standard_normal((4, 8, 1, 1)) / 3).astype(np.float32)
    inits = [numpy_helper.from_array(w1, "w1"), weight(rng, "b1", 8),
             numpy_helper.from_array(w2, "w2"), weight(rng, "b2", 8),
             numpy_helper.from_array(w3, "w3")]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1],
                              name="conv1"),
             helper.make_node("Conv", ["c1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1],
                              name="conv2"),
             helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
             helper.make_node("Conv", ["r2", "w3"], ["y"], name="conv3")]
    return onnx_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
                      inits)
