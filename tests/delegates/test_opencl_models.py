"""Whole torchvision CNNs (random weights, exported as tests/test_torchvision.py does) on the
OpenCL delegate: every node offloaded in one partition, outputs within 1e-4 x max |output| of
the CPU interpreter on the same inputs (fp32), and within a looser bound with fp16 storage."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emberlite import Interpreter
from emberlite.converter import Converter
from helpers import TORCHVISION_INPUT_SHAPE as INPUT_SHAPE
from helpers import export_torchvision

MODELS = ["mobilenet_v2", "mobilenet_v3_small", "resnet18", "efficientnet_b0"]
# fp16 stores every activation and weight in half precision (11-bit significand, relative
# rounding 2^-11 per store): over ResNet18's 25 nodes the error stays below half a percent of
# the output range (4.6e-4 seen on PoCL).
FP16_TOLERANCE = 5e-3


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("torchvision_opencl")


def _run(interp: Interpreter, x: np.ndarray) -> np.ndarray:
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def _max_rel(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


@pytest.mark.parametrize("name", MODELS)
def test_whole_model_in_one_partition(name, export_dir, make_opencl_delegate):
    data = Converter.from_onnx(export_torchvision(name, export_dir)).convert()
    cpu = Interpreter(model_content=data)
    cpu.allocate_tensors()
    gpu = Interpreter(model_content=data, experimental_delegates=[make_opencl_delegate()])
    gpu.allocate_tensors()
    placements = gpu.node_placements()
    on_cpu = [(p["index"], p["op"], p["reason"]) for p in placements if p["delegate"] is None]
    assert not on_cpu, f"{name}: nodes left on the CPU: {on_cpu[:5]}"
    assert {p["partition"] for p in placements} == {0}
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal(INPUT_SHAPE).astype(np.float32)
        err = _max_rel(_run(gpu, x), _run(cpu, x))
        assert err <= 1e-4, f"{name}: max|diff| / max|cpu| = {err:.3g}"


def test_fp16_resnet18(export_dir, make_opencl_delegate):
    # ResNet18's outputs keep their scale with random weights; MobileNets' and EfficientNet's
    # shrink layer by layer to 1e-9 and below, under half precision's smallest value.
    data = Converter.from_onnx(export_torchvision("resnet18", export_dir)).convert()
    cpu = Interpreter(model_content=data)
    cpu.allocate_tensors()
    gpu = Interpreter(model_content=data,
                      experimental_delegates=[make_opencl_delegate(precision="fp16")])
    gpu.allocate_tensors()
    assert all(p["delegate"] == "opencl" for p in gpu.node_placements())
    x = np.random.default_rng(1).standard_normal(INPUT_SHAPE).astype(np.float32)
    want = _run(cpu, x)
    err = _max_rel(_run(gpu, x), want)
    assert 0 < err <= FP16_TOLERANCE, f"fp16: max|diff| / max|cpu| = {err:.3g}"
