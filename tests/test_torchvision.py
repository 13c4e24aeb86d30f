"""torchvision CNNs with random weights, exported by torch to ONNX (opset 17, TorchScript
exporter), converted and run in Emberlite: outputs must match ONNX Runtime on 8 random
inputs to max|diff| <= 1e-4 * max|output|."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from emberlite import Interpreter
from emberlite.converter import Converter
from helpers import (TORCHVISION_INPUT_SHAPE, export_torchvision, max_rel_diff, run_ember,
                     run_ort)

MODELS = ["mobilenet_v2", "resnet18", "squeezenet1_1", "mobilenet_v3_small",
          "shufflenet_v2_x0_5", "efficientnet_b0"]
INPUT_SHAPE = TORCHVISION_INPUT_SHAPE


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("torchvision")


@pytest.mark.parametrize("name", MODELS)
def test_matches_onnxruntime(name: str, export_dir: Path) -> None:
    path = export_torchvision(name, export_dir)
    model = onnx.load(path)
    data = Converter.from_onnx(path).convert()
    interp = Interpreter(model_content=data)
    interp.allocate_tensors()
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(8):
        x = rng.standard_normal(INPUT_SHAPE).astype(np.float32)
        [got] = run_ember(data, [x], interpreter=interp)
        [want] = run_ort(model, [x])
        assert got.shape == want.shape
        err = max_rel_diff(got, want)
        assert err <= 1e-4, f"{name}: max rel diff {err:.3g}"
        worst = max(worst, err)
    print(f"{name}: worst max|diff|/max|ref| over 8 inputs = {worst:.2e}")


def test_mobilenet_v2_is_fully_lowered(export_dir: Path) -> None:
    # Without torch's own constant folding the export keeps every BatchNormalization node,
    # so the converter has to fold them (and all layout transposes) away itself.
    path = export_torchvision("mobilenet_v2", export_dir, fold_constants=False)
    model = onnx.load(path)
    onnx_ops = Counter(n.op_type for n in model.graph.node)
    assert onnx_ops["BatchNormalization"] == 52
    data = Converter.from_onnx(path, io_layout="nhwc").convert()
    ops = Counter(Interpreter(model_content=data).node_ops())
    assert ops["transpose"] == 0
    # With the ONNX layout at the edges (the default) the NCHW input costs one transpose.
    default = Interpreter(model_content=Converter.from_onnx(path).convert()).node_ops()
    assert Counter(default)["transpose"] == 1
    assert ops["mul"] == onnx_ops["Mul"] == 0
    # The residual connections are fused into the convolutions that produce them.
    assert ops["add"] == 0 and onnx_ops["Add"] == 10
    assert ops["conv2d"] + ops["depthwise_conv2d"] == onnx_ops["Conv"]
    x = np.random.default_rng(1).standard_normal(INPUT_SHAPE).astype(np.float32)
    [got] = run_ember(data, [x])
    [want] = run_ort(model, [x])
    assert max_rel_diff(got, want) <= 1e-4


@pytest.mark.parametrize("name,onnx_counts,ember_counts", [
    # SiLU is exported as Sigmoid + Mul: all but the squeeze-excite gates' fuse into the
    # convolution before them, and every residual ADD into the projection before it.
    ("efficientnet_b0", {"Sigmoid": 65, "Mul": 65, "Add": 9},
     {"sigmoid": 16, "mul": 16, "add": 0}),
    # Every residual ADD (and the ReLU after it) fuses into a convolution.
    ("resnet18", {"Add": 8, "Relu": 17}, {"add": 0, "relu": 0}),
])
def test_fused_epilogues(name: str, onnx_counts: dict, ember_counts: dict,
                         export_dir: Path) -> None:
    path = export_dir / f"{name}.onnx"
    if not path.exists():
        path = export_torchvision(name, export_dir)
    onnx_ops = Counter(n.op_type for n in onnx.load(path).graph.node)
    assert {op: onnx_ops[op] for op in onnx_counts} == onnx_counts
    ops = Counter(Interpreter(model_content=Converter.from_onnx(path).convert()).node_ops())
    assert {op: ops[op] for op in ember_counts} == ember_counts
