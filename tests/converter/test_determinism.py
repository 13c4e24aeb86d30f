"""Converting the same model twice gives byte-identical files: in one process, and in two
processes with different string-hash seeds (so set or dict order cannot leak into the file)."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import require_module
from emberlite.converter import Converter

_CONVERT = ("import sys; from emberlite.converter import Converter; "
            "Converter.from_onnx(sys.argv[1]).save(sys.argv[2])")


def _mixed_model() -> onnx.ModelProto:
    """Conv + BatchNorm + activations, a folded Shape chain, Split/Concat and a Gemm."""
    rng = np.random.default_rng(3)
    w = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("BatchNormalization", ["c1", "s", "t", "m", "v"], ["bn"], name="bn"),
        helper.make_node("Clip", ["bn", "zero", "six"], ["act"], name="relu6"),
        helper.make_node("Split", ["act", "halves"], ["p", "q"], axis=1, name="split"),
        helper.make_node("HardSwish", ["q"], ["q2"], name="hswish"),
        helper.make_node("Concat", ["q2", "p"], ["cat"], axis=1, name="concat"),
        helper.make_node("MaxPool", ["cat"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Shape", ["pool"], ["shape"]),
        helper.make_node("Gather", ["shape", "i0"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["pool", "target"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    inits = {"w1": w(8, 3, 3, 3), "b1": w(8), "s": w(8), "t": w(8), "m": w(8),
             "v": np.abs(w(8)) + 0.1, "zero": np.float32(0), "six": np.float32(6),
             "halves": np.array([4, 4], np.int64), "i0": np.array(0, np.int64),
             "ax0": np.array([0], np.int64), "minus1": np.array([-1], np.int64),
             "fc_w": w(10, 8 * 4 * 4), "fc_b": w(10)}
    graph = helper.make_graph(
        nodes, "mixed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _torchvision_model(folder: Path) -> Path:
    torch = require_module("torch")
    torchvision = require_module("torchvision")
    torch.manual_seed(0)
    net = torchvision.models.shufflenet_v2_x0_5(weights=None).eval()
    path = folder / "shufflenet.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, 96, 96),), str(path), opset_version=17,
                          dynamo=False)
    return path


def _convert_in_subprocess(source: Path, target: Path, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run([sys.executable, "-c", _CONVERT, str(source), str(target)], env=env,
                   check=True, timeout=300)
    return target.read_bytes()


@pytest.mark.parametrize("kind", ["mixed", "torchvision"])
def test_same_bytes_in_one_process_and_across_processes(kind: str, tmp_path: Path) -> None:
    if kind == "mixed":
        source = tmp_path / "mixed.onnx"
        onnx.save(_mixed_model(), source)
    else:
        source = _torchvision_model(tmp_path)
    first = Converter.from_onnx(source).convert()
    assert Converter.from_onnx(source).convert() == first
    assert Converter.from_onnx(onnx.load(source)).convert() == first
    one = _convert_in_subprocess(source, tmp_path / "a.ember", "1")
    two = _convert_in_subprocess(source, tmp_path / "b.ember", "2")
    assert one == first
    assert two == first
