"""Dynamic-range quantization (quantize mode "dynamic"): int8 weights symmetric per output
channel, float32 activations, no calibration. Each weighted op quantizes along its output
channels (checked on channels four orders of magnitude apart); the digits CNN keeps its
accuracy; mobilenet_v2 keeps its outputs, shrinks to under 0.28x and needs no more arena than
float; the CLI converts without calibration data; malformed weights are refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from emberlite import Interpreter, InvalidModelError
from emberlite.cli import main
from emberlite.converter import Converter, QuantizationError
from emberlite.converter.ir import DType, Graph, Node, QuantParams, Tensor, constant_array
from emberlite.converter.ops import OpType
from emberlite.converter.ops.batch_matmul import BatchMatMulParams
from emberlite.converter.passes import run_passes
from emberlite.converter.planner import plan_memory
from emberlite.converter.quantize.weight_only import quantize_dynamic
from emberlite.converter.writer import serialize
from tests.helpers import max_rel_diff, run_ember
from tests.quantize.digits import accuracy, digits, logits_of  # noqa: F401
from tests.quantize.models import TORCHVISION_INPUT, torchvision_onnx
from tests.quantize.weight_only_models import (arena_size, compare, weighted_ops,
                                               worst_channel_error)

OPS = weighted_ops()


@pytest.mark.parametrize("name", sorted(OPS))
def test_weights_quantized_along_output_channels(name: str) -> None:
    case = OPS[name]
    float_file = Converter.from_onnx(case.model).convert()
    dynamic = Converter.from_onnx(case.model).quantize("dynamic").convert()
    interp = Interpreter(model_content=dynamic)
    interp.allocate_tensors()
    assert case.op in interp.node_ops() and "dequantize" in interp.node_ops()
    [weights] = [d for d in interp.get_tensor_details() if d["dtype"] == np.int8]
    q = weights["quantization_parameters"]
    assert q["quantized_dimension"] == case.axis
    assert len(q["scales"]) == weights["shape"][case.axis] and not q["zero_points"].any()
    shape = [d.dim_value for d in case.model.graph.input[0].type.tensor_type.shape.dim]
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    [want] = run_ember(float_file, [x])
    [got] = run_ember(dynamic, [x])
    err = worst_channel_error(got, want, case.channel_axis)
    print(f"\n{name}: worst per-channel max|diff|/max|float| = {err:.2e}")
    # int8 rounding moves each weight by at most half a step (max|w| / 254 of its channel)
    assert err <= 0.02


def test_batch_matmul_adj_b_quantizes_its_last_but_one_axis() -> None:
    rng = np.random.default_rng(4)
    b = rng.standard_normal((2, 5, 6)).astype(np.float32) * np.logspace(-3, 1, 5)[:, None]
    tensors = [Tensor("a", DType.FLOAT32, (2, 3, 6)),
               Tensor("b", DType.FLOAT32, b.shape, constant_array(b.astype(np.float32))),
               Tensor("y", DType.FLOAT32, (2, 3, 5))]
    node = Node(OpType.BATCH_MATMUL, "bmm", ["a", "b"], ["y"], BatchMatMulParams(adj_b=True))
    graph = Graph({t.name: t for t in tensors}, [node], ["a"], ["y"])
    q = quantize_dynamic(graph)
    [stored] = [t for t in q.tensors.values() if t.dtype == DType.INT8]
    assert stored.quant.axis == 1 and len(stored.quant.scale) == 5
    a = rng.standard_normal((2, 3, 6)).astype(np.float32)
    [want] = run_ember(serialize(graph, plan_memory(graph)), [a])
    [got] = run_ember(serialize(q, plan_memory(q)), [a])
    assert worst_channel_error(got, want, 2) <= 0.02


def test_digits_accuracy_within_half_a_point(digits: dict) -> None:  # noqa: F811
    float_model = Converter.from_onnx(digits["onnx"]).convert()
    model = Converter.from_onnx(digits["onnx"]).quantize("dynamic").convert()
    interp = Interpreter(model_content=model)
    assert interp.get_metadata()["quantization"] == "dynamic"
    assert interp.get_input_details()[0]["dtype"] == np.float32
    float_acc = accuracy(logits_of(float_model, digits["x_test"]), digits["y_test"])
    acc = accuracy(logits_of(model, digits["x_test"]), digits["y_test"])
    print(f"\ndigits: float {float_acc:.2f}%  dynamic {acc:.2f}%  "
          f"size {len(model)} / {len(float_model)} bytes")
    assert float_acc >= 97.0
    assert acc >= float_acc - 0.5


def _dequantized_in_numpy(q: Graph) -> Graph:
    """`q` with each DEQUANTIZE of a constant replaced by its output computed in numpy."""
    g = q.copy()
    for node in [n for n in g.nodes if n.op == OpType.DEQUANTIZE]:
        t = g.tensors[node.inputs[0]]
        shape = [1] * t.data.ndim
        shape[t.quant.axis] = -1
        value = t.data.astype(np.float32) * np.asarray(t.quant.scale, np.float32).reshape(shape)
        out = g.tensors[node.outputs[0]]
        g.tensors[out.name] = Tensor(out.name, DType.FLOAT32, out.shape, constant_array(value))
        g.nodes.remove(node)
    return g


def test_mobilenet_v2() -> None:
    """The int8 weights are within half a step of the float ones, and the file computes
    exactly what float32 does with them."""
    model = torchvision_onnx("mobilenet_v2")
    graph = run_passes(Converter.from_onnx(model)._source.load())
    q = quantize_dynamic(graph)
    worst_step = 0.0
    for node in [n for n in q.nodes if n.op == OpType.DEQUANTIZE]:
        t = q.tensors[node.inputs[0]]
        source = graph.tensors[node.outputs[0].removesuffix("/dequantized")].data
        shape = [1] * t.data.ndim
        shape[t.quant.axis] = -1
        scale = np.asarray(t.quant.scale, np.float32).reshape(shape)
        worst_step = max(worst_step, float(np.max(np.abs(t.data * scale - source) / scale)))
    assert worst_step <= 0.5 + 1e-3
    rng = np.random.default_rng(11)
    inputs = [rng.standard_normal(TORCHVISION_INPUT).astype(np.float32) for _ in range(4)]
    exact = serialize(_dequantized_in_numpy(q), plan_memory(_dequantized_in_numpy(q)))
    for x in inputs[:2]:
        [want] = run_ember(exact, [x])
        [got] = run_ember(serialize(q, plan_memory(q)), [x])
        assert max_rel_diff(got, want) <= 1e-5
    c = compare(model, "dynamic", inputs)
    print(f"\nmobilenet_v2 dynamic: least cosine {c.cosine:.6f}, size ratio {c.size_ratio:.4f}, "
          f"arena {c.arena} vs float {c.float_arena} bytes, worst rounding {worst_step:.3f} "
          f"steps")
    assert c.cosine >= 0.999
    assert c.size_ratio <= 0.28
    assert c.arena <= c.float_arena


def test_deterministic_and_calibration_options_refused() -> None:
    model = OPS["conv2d"].model
    assert Converter.from_onnx(model).quantize("dynamic").convert() == \
        Converter.from_onnx(model).quantize("dynamic").convert()
    for options in ({"dataset": np.zeros((1, 1, 3, 8, 8), np.float32)}, {"report": True},
                    {"accuracy_budget": 30.0}, {"keep_float": ["conv"]}, {"io": "int8"}):
        with pytest.raises(QuantizationError):
            Converter.from_onnx(model).quantize("dynamic", **options)
    with pytest.raises(QuantizationError, match="int8, dynamic, fp16"):
        Converter.from_onnx(model).quantize("int4")
    with pytest.raises(QuantizationError, match="needs a calibration dataset"):
        Converter.from_onnx(model).quantize("int8")


def test_cli_convert_dynamic(tmp_path: Path, capsys) -> None:
    source, out = tmp_path / "conv.onnx", tmp_path / "conv_dynamic.ember"
    onnx.save(OPS["conv2d"].model, str(source))
    assert main(["convert", str(source), "-o", str(out), "--quantize", "dynamic"]) == 0
    assert out.read_bytes() == Converter.from_onnx(OPS["conv2d"].model).quantize(
        "dynamic").convert()
    assert main(["inspect", str(out)]) == 0
    printed = capsys.readouterr().out
    assert " prep " in printed and "dequantize" in printed
    np.savez(tmp_path / "calib.npz", x=np.zeros((2, 1, 3, 8, 8), np.float32))
    assert main(["convert", str(source), "--quantize", "dynamic",
                 "--calibration", str(tmp_path / "calib.npz")]) == 2
    assert "--calibration is only used with --quantize int8" in capsys.readouterr().err


def _single_dequantize(quant: QuantParams, shape: tuple[int, ...]) -> bytes:
    """x + DEQUANTIZE(int8 constant with `quant`): the writer writes what it is given."""
    w = constant_array(np.ones(shape, np.int8))
    tensors = [Tensor("x", DType.FLOAT32, shape), Tensor("w", DType.INT8, shape, w, quant),
               Tensor("wf", DType.FLOAT32, shape), Tensor("y", DType.FLOAT32, shape)]
    nodes = [Node(OpType.DEQUANTIZE, "dq", ["w"], ["wf"]),
             Node(OpType.ADD, "add", ["x", "wf"], ["y"])]
    graph = Graph({t.name: t for t in tensors}, nodes, ["x"], ["y"])
    return serialize(graph, plan_memory(graph))


def test_malformed_per_channel_weights_are_refused() -> None:
    good = _single_dequantize(QuantParams((0.5, 0.25, 2.0), (0, 0, 0), 1), (2, 3))
    interp = Interpreter(model_content=good)
    interp.allocate_tensors()
    assert arena_size(good) == interp.arena_size
    for quant, message in [(QuantParams((0.5, 0.25), (0, 0), 1), "dim 1 has 3 channels"),
                           (QuantParams((0.5, 0.25, 2.0), (0, 0, 0), 2), "out of range"),
                           (QuantParams((0.5, 0.25, 2.0), (0, 200, 0), 1), "zero point 1")]:
        with pytest.raises(InvalidModelError, match=message):
            Interpreter(model_content=_single_dequantize(quant, (2, 3)))
