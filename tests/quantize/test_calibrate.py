"""Calibration end to end: an ONNX CNN converted to IR, calibrated through the runtime, checked
against converter/reference.py's evaluation of every tensor, with every dataset form."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter import QuantizationError
from emberlite.converter.importers import import_onnx
from emberlite.converter.passes import run_passes
from emberlite.converter.quantize import calibrate
from emberlite.converter.quantize.calibrate import observed_tensors
from emberlite.converter.reference import evaluate
from tests.quantize.models import weight as random_weight

SAMPLES = 20
X_SHAPE = (1, 3, 12, 12)


def _cnn() -> onnx.ModelProto:
    weight = partial(random_weight, np.random.default_rng(1))
    inits = [weight("w1", 8, 3, 3, 3), weight("b1", 8), weight("w2", 8, 8, 3, 3),
             weight("b2", 8), weight("w3", 6, 8, 1, 1), weight("fc", 5, 6 * 6 * 6),
             weight("fcb", 5), numpy_helper.from_array(np.array([1, -1], np.int64), "flat")]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["s2"]),
        helper.make_node("MaxPool", ["s2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p2", "w3"], ["c3"]),
        helper.make_node("Relu", ["c3"], ["r3"]),
        helper.make_node("Reshape", ["r3", "flat"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1),
    ]
    graph = helper.make_graph(nodes, "cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, X_SHAPE)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


@pytest.fixture(scope="module")
def graph():
    g = run_passes(import_onnx(_cnn()))
    assert g.metadata.get("layout.input.x") == "NHWC", "the test needs a layout-changed input"
    return g


@pytest.fixture(scope="module")
def samples() -> list[np.ndarray]:
    rng = np.random.default_rng(2)
    return [(rng.standard_normal(X_SHAPE) * rng.uniform(0.5, 3)).astype(np.float32)
            for _ in range(SAMPLES)]


def _expected_minmax(graph, samples) -> dict[str, tuple[float, float]]:
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    for x in samples:
        values = evaluate(graph, {"x": np.transpose(x, (0, 2, 3, 1))})
        for name in observed_tensors(graph):
            lo[name] = min(lo.get(name, 0.0), float(values[name].min()))
            hi[name] = max(hi.get(name, 0.0), float(values[name].max()))
    return {name: (lo[name], hi[name]) for name in lo}


def test_minmax_matches_reference_on_every_tensor(graph, samples):
    got = calibrate(graph, samples, progress=False)
    want = _expected_minmax(graph, samples)
    assert set(got) == set(want)
    assert len(got) >= 6, f"too few observed tensors: {sorted(got)}"
    for name, (w_lo, w_hi) in want.items():
        g_lo, g_hi = got[name]
        scale = max(abs(w_lo), abs(w_hi), 1e-12)
        assert abs(g_lo - w_lo) <= 1e-5 * scale and abs(g_hi - w_hi) <= 1e-5 * scale, \
            f"{name}: got {(g_lo, g_hi)}, want {(w_lo, w_hi)}"


def test_dataset_forms_give_the_same_ranges(graph, samples, tmp_path: Path):
    as_list = calibrate(graph, [[x] for x in samples], progress=False)
    as_dicts = calibrate(graph, lambda: ({"x": x} for x in samples), progress=False)
    npz = tmp_path / "data.npz"
    np.savez(npz, x=np.stack([x[0] for x in samples]))   # samples without the batch axis
    as_npz = calibrate(graph, npz, progress=False)
    flat = tmp_path / "flat"
    flat.mkdir()
    for i, x in enumerate(samples):
        np.save(flat / f"{i:03d}.npy", x)
    as_dir = calibrate(graph, flat, progress=False)
    nested = tmp_path / "nested"
    for i, x in enumerate(samples):
        (nested / f"s{i:03d}").mkdir(parents=True)
        np.save(nested / f"s{i:03d}" / "x.npy", x)
    as_nested = calibrate(graph, nested, progress=False)
    for other in (as_dicts, as_npz, as_dir, as_nested):
        assert other == as_list


@pytest.mark.parametrize("method", ["percentile", "entropy", "mse"])
def test_clipping_methods_stay_inside_minmax(graph, samples, method):
    minmax = calibrate(graph, samples, progress=False)
    got = calibrate(graph, samples, method=method, percentile=99.0, progress=False)
    assert set(got) == set(minmax)
    for name, (lo, hi) in got.items():
        m_lo, m_hi = minmax[name]
        tol = 1e-6 * max(m_hi - m_lo, 1e-12)
        assert m_lo - tol <= lo <= 0.0 <= hi <= m_hi + tol, f"{name}: {(lo, hi)} vs {minmax[name]}"
    # Some tensor must actually be clipped, or the method did nothing.
    assert any(hi < minmax[n][1] or lo > minmax[n][0] for n, (lo, hi) in got.items())


def test_progress_bar_reports_count_and_rate(graph, samples, capsys):
    calibrate(graph, samples[:3], progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "sample/s" in err


def test_unknown_method_is_rejected(graph, samples):
    with pytest.raises(QuantizationError, match="unknown calibration method 'kl'"):
        calibrate(graph, samples, method="kl", progress=False)
