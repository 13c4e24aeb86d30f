"""float16 weights (quantize mode "fp16"): the weights and biases of the weighted ops are
stored as float16 and widened by DEQUANTIZE at prepare; activations stay float32. The
DEQUANTIZE kernel's float16 -> float32 conversion equals numpy's bit for bit on all 65536
half values (NaN payloads included); each weighted op stays within float16 rounding of float;
the digits CNN keeps its accuracy; mobilenet_v2 keeps its outputs at under 0.52x the size and
no more arena than float."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.cli import main
from emberlite.converter import Converter
from emberlite.converter.ir import DType, Graph, Node, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import run_ember
from tests.quantize.digits import accuracy, digits, logits_of  # noqa: F401
from tests.quantize.models import TORCHVISION_INPUT, torchvision_onnx
from tests.quantize.weight_only_models import compare, weighted_ops, worst_channel_error

OPS = weighted_ops()


def test_float16_to_float32_matches_numpy_on_every_half() -> None:
    tensors = [Tensor("h", DType.FLOAT16, (65536,)), Tensor("f", DType.FLOAT32, (65536,))]
    graph = Graph({t.name: t for t in tensors},
                  [Node(OpType.DEQUANTIZE, "widen", ["h"], ["f"])], ["h"], ["f"])
    interp = Interpreter(model_content=serialize(graph, plan_memory(graph)))
    interp.allocate_tensors()
    halves = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    interp.set_tensor(interp.get_input_details()[0]["index"], halves)
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"]).view(np.uint32)
    want = halves.astype(np.float32).view(np.uint32)
    wrong = np.flatnonzero(got != want)
    assert wrong.size == 0, [f"{h:#06x}: {got[h]:#010x} != {want[h]:#010x}" for h in wrong[:5]]


@pytest.mark.parametrize("name", sorted(OPS))
def test_weighted_op_within_float16_rounding(name: str) -> None:
    case = OPS[name]
    float_file = Converter.from_onnx(case.model).convert()
    fp16 = Converter.from_onnx(case.model).quantize("fp16").convert()
    interp = Interpreter(model_content=fp16)
    interp.allocate_tensors()
    stored = [d for d in interp.get_tensor_details() if d["dtype"] == np.float16]
    has_bias = len(case.model.graph.initializer) > 1
    assert len(stored) == 1 + has_bias
    assert interp.get_metadata()["quantization"] == "fp16"
    shape = [d.dim_value for d in case.model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    [want] = run_ember(float_file, [x])
    [got] = run_ember(fp16, [x])
    err = worst_channel_error(got, want, case.channel_axis)
    print(f"\n{name}: worst per-channel max|diff|/max|float| = {err:.2e}")
    assert err <= 2e-3


def test_values_beyond_float16_stay_float32() -> None:
    w = np.array([[1.0, -2.0], [70000.0, 0.5]], np.float32)
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "w"], ["y"], transB=1)], "big",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
                              [numpy_helper.from_array(w, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    data = Converter.from_onnx(model).quantize("fp16").convert()
    x = np.array([[1.0, 1.0]], np.float32)
    [y] = run_ember(data, [x])
    np.testing.assert_array_equal(y, x @ w.T)
    assert "dequantize" not in Interpreter(model_content=data).node_ops()


def test_digits_accuracy_within_half_a_point(digits: dict) -> None:  # noqa: F811
    float_model = Converter.from_onnx(digits["onnx"]).convert()
    model = Converter.from_onnx(digits["onnx"]).quantize("fp16").convert()
    float_acc = accuracy(logits_of(float_model, digits["x_test"]), digits["y_test"])
    acc = accuracy(logits_of(model, digits["x_test"]), digits["y_test"])
    print(f"\ndigits: float {float_acc:.2f}%  fp16 {acc:.2f}%  "
          f"size {len(model)} / {len(float_model)} bytes")
    assert float_acc >= 97.0
    assert acc >= float_acc - 0.5


def test_mobilenet_v2() -> None:
    rng = np.random.default_rng(11)
    inputs = [rng.standard_normal(TORCHVISION_INPUT).astype(np.float32) for _ in range(4)]
    c = compare(torchvision_onnx("mobilenet_v2"), "fp16", inputs)
    print(f"\nmobilenet_v2 fp16: least cosine {c.cosine:.6f}, size ratio {c.size_ratio:.4f}, "
          f"arena {c.arena} vs float {c.float_arena} bytes")
    assert c.cosine >= 0.999
    assert c.size_ratio <= 0.52
    assert c.arena <= c.float_arena


def test_cli_convert_fp16(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "fc.onnx", tmp_path / "fc_fp16.ember"
    onnx.save(OPS["fully_connected"].model, str(source))
    assert main(["convert", str(source), "-o", str(out), "--quantize", "fp16"]) == 0
    assert out.read_bytes() == Converter.from_onnx(OPS["fully_connected"].model).quantize(
        "fp16").convert()
    assert main(["convert", str(source), "--quantize", "fp16", "--float-io"]) == 2
    assert "--float-io is only used with --quantize int8" in capsys.readouterr().err
