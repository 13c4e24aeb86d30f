"""Full-int8 torchvision CNNs: mobilenet_v2 and resnet18 with random weights and BatchNorm
statistics from forward passes in train mode (a cumulative average over 4 random batches), so
activations have realistic ranges; exported to ONNX at 96x96, calibrated on 16 random inputs,
compared with the float model on 8 held-out ones, per calibration method."""
from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import pytest

from conftest import require_module
from emberlite import Interpreter
from emberlite.converter import Converter
from tests.quantize.models import cosine, outputs

SHAPE = (1, 3, 96, 96)
METHODS = ["minmax", "percentile", "entropy", "mse"]
# The least cosine vs float each model's int8 output holds on every held-out input, per method.
# Random-weight mobilenet_v2 with BatchNorm statistics is chaotic: its float model alone gives
# cosine ~0.97 once its input is rounded to the int8 input's grid
# (test_mobilenet_v2_float_model_is_too_sensitive_for_0_99), so 0.99 is out of reach of any
# int8 model of it; measured: minmax 0.896, percentile 0.905, entropy 0.731, mse 0.892.
HOLDS = {"resnet18": {"minmax": 0.99, "percentile": 0.99, "entropy": 0.99, "mse": 0.99},
         "mobilenet_v2": {"minmax": 0.85, "percentile": 0.85, "mse": 0.85}}


def _export(name: str) -> onnx.ModelProto:
    torch = require_module("torch")
    torchvision = require_module("torchvision")
    torch.manual_seed(0)
    net = getattr(torchvision.models, name)(weights=None)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches below
    net.train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(8, *SHAPE[1:]))
    net.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(SHAPE),), buffer, opset_version=17, dynamo=False,
                          input_names=["image"], output_names=["logits"])
    return onnx.load_from_string(buffer.getvalue())


@pytest.fixture(scope="module", params=["mobilenet_v2", "resnet18"])
def model(request) -> dict:
    rng = np.random.default_rng(0)
    net = _export(request.param)
    float_bytes = Converter.from_onnx(net).convert()
    held_out = rng.standard_normal((8, *SHAPE[1:])).astype(np.float32)
    return {"name": request.param, "onnx": net, "float": float_bytes, "held_out": held_out,
            "calib": list(rng.standard_normal((16, *SHAPE)).astype(np.float32)),
            "want": outputs(float_bytes, held_out)}


def test_int8_cosine_per_method(model: dict) -> None:
    cosines = {}
    for method in METHODS:
        converter = Converter.from_onnx(model["onnx"]).quantize(
            "int8", dataset=model["calib"], method=method, report=method == "minmax")
        data = converter.convert()
        cosines[method] = float(cosine(outputs(data, model["held_out"]), model["want"]).min())
        if method == "minmax":
            report = converter.report
            assert not report.float_layers  # every layer runs int8
            names = {n.name for n in model["onnx"].graph.node}
            assert all(e.layer in names for e in report.layers[:5])
            snrs = [e.snr_db for e in report.layers]
            assert snrs == sorted(snrs)
            print(f"\n{model['name']} worst layers:\n{report.table(5)}")
        if model["name"] == "mobilenet_v2" and method == "minmax":
            ratio = len(data) / len(model["float"])
            print(f"mobilenet_v2 int8/float size {ratio:.4f} ({len(data)} / "
                  f"{len(model['float'])} bytes)")
            assert ratio <= 0.28
    print(f"{model['name']} min cosine vs float: " +
          ", ".join(f"{m} {c:.4f}" for m, c in cosines.items()))
    for method, bound in HOLDS[model["name"]].items():
        assert cosines[method] >= bound, method


def test_mobilenet_v2_float_model_is_too_sensitive_for_0_99(model: dict) -> None:
    """The float model on inputs rounded to the int8 model's input grid (the error every int8
    model starts from): for mobilenet_v2 already below 0.99, for resnet18 far above."""
    data = Converter.from_onnx(model["onnx"]).quantize("int8", dataset=model["calib"]).convert()
    interp = Interpreter(model_content=data)
    scale, zp = interp.get_input_details()[0]["quantization"]
    q = np.clip(np.round(model["held_out"] / np.float32(scale)) + zp, -128, 127)
    rounded = ((q - zp) * np.float32(scale)).astype(np.float32)
    cos = float(cosine(outputs(model["float"], rounded), model["want"]).min())
    print(f"\n{model['name']}: float model on int8-rounded inputs, min cosine {cos:.4f}")
    if model["name"] == "mobilenet_v2":
        assert cos < 0.99
    else:
        assert cos >= 0.995
