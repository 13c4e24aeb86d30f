"""CONV2D, DEPTHWISE_CONV2D and FULLY_CONNECTED int8 against LiteRT's reference kernels
(BUILTIN_REF) on models made by TensorFlow's TFLiteConverter: the same int8 weights, bias and
quantization parameters, rebuilt as an Emberlite graph by hand, must give the same bytes.
Skipped when tensorflow or ai-edge-litert is missing, except in CI, where that fails.
LiteRT runs in a subprocess (litert_int8_worker.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import require_module
from emberlite.converter.ops import FusedActivation, OpType
from emberlite.converter.ops.conv2d import Conv2DParams
from emberlite.converter.ops.depthwise_conv2d import DepthwiseConv2DParams
from emberlite.converter.ops.fully_connected import FullyConnectedParams
from tests.kernels.fixed_point import empty_graph, int8_tensor, quant_tensor, run_graph, single_op

WORKER = Path(__file__).with_name("litert_int8_worker.py")


def same_pads(size: int, k: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + k - size)
    return total // 2, total - total // 2


def litert(kind: str, seed: int, tmp_path: Path) -> dict[str, np.ndarray]:
    out = tmp_path / f"{kind}.npz"
    run = subprocess.run([sys.executable, str(WORKER), kind, str(seed), str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return dict(np.load(out))


def graph_for(kind: str, d: dict[str, np.ndarray]):
    g = empty_graph()
    int8_tensor(g, "x", d["x"].shape, float(d["x_scale"][0]), int(d["x_zp"][0]))
    quant_tensor(g, "w", d["w"], d["w_scale"], int(d["w_axis"]))
    quant_tensor(g, "b", d["b"], d["b_scale"], 0)
    int8_tensor(g, "out", d["y"].shape, float(d["y_scale"][0]), int(d["y_zp"][0]))
    if kind == "fully_connected":
        return single_op(OpType.FULLY_CONNECTED, ["x", "w", "b"], FullyConnectedParams(), g)
    h, w = d["x"].shape[1:3]
    if kind == "conv2d":  # Conv2D(6, 3, strides=2, padding="same", activation="relu")
        (t, b), (l, r) = same_pads(h, 3, 2), same_pads(w, 3, 2)
        params = Conv2DParams(stride_h=2, stride_w=2, pad_top=t, pad_left=l, pad_bottom=b,
                              pad_right=r, activation=FusedActivation.RELU)
        return single_op(OpType.CONV2D, ["x", "w", "b"], params, g)
    (t, b), (l, r) = same_pads(h, 3, 1), same_pads(w, 3, 1)
    params = DepthwiseConv2DParams(depth_multiplier=2, pad_top=t, pad_left=l, pad_bottom=b,
                                   pad_right=r, activation=FusedActivation.RELU6)
    return single_op(OpType.DEPTHWISE_CONV2D, ["x", "w", "b"], params, g)


def check_matches_litert_reference(kind: str, tmp_path: Path) -> None:
    """The worker's `kind` layer (seed 7) gives LiteRT's bytes in Emberlite."""
    require_module("tensorflow")
    require_module("ai_edge_litert")
    d = litert(kind, 7, tmp_path)
    got = run_graph(graph_for(kind, d), [d["x"]])[0]
    assert got.shape == d["y"].shape
    assert np.array_equal(got, d["y"]), f"{np.count_nonzero(got != d['y'])} of {got.size} differ"
