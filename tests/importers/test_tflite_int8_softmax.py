"""int8 SOFTMAX from TFLiteConverter models (Keras Dense -> softmax of several depths, Conv ->
Softmax over the channels): Emberlite's outputs equal LiteRT's reference kernels (BUILTIN_REF)
byte for byte and are within 1 LSB of LiteRT's default kernels on >= 99% of the elements.
LiteRT runs in one subprocess for all models (see tflite_int8_models.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from conftest import require_module
from emberlite.converter.importers.tflite import read_tflite
from tflite_int8_models import (assert_identical_to_reference, assert_within_one_lsb_of_default,
                                int8_tflite, litert_cases, random_int8_samples, tflite_ops, uniform)

SAMPLES = 6
# Depths around the edges of the fixed-point paths: one class, tiny, odd, > 256.
DEPTHS = [1, 2, 10, 37, 100, 300]


def _keras_cases(tf: Any, rng: np.random.Generator) -> dict[str, tuple[Any, tuple[int, ...]]]:
    """name -> (Keras model, input shape). Weights are random and uneven, and some models
    scale the logits up, so input scales and the share of cut-off differences vary."""
    L = tf.keras.layers

    def model(shape: tuple[int, ...], body: Callable[[Any], Any]) -> Any:
        x = L.Input(shape)
        return tf.keras.Model(x, body(x))

    def dense_softmax(units: int, gain: float) -> Callable[[Any], Any]:
        def body(x: Any) -> Any:
            layer = L.Dense(units)
            y = layer(x)
            w, b = layer.get_weights()
            layer.set_weights([w * rng.uniform(0.2, gain, w.shape).astype(np.float32),
                               rng.normal(0, 0.5, b.shape).astype(np.float32)])
            return L.Softmax()(y)
        return body

    cases = {f"dense{d}_softmax": (model((16,), dense_softmax(d, 1.5 + 3 * (i % 3))), (16,))
             for i, d in enumerate(DEPTHS)}
    cases["conv_softmax_channels"] = (
        model((7, 6, 3), lambda x: L.Softmax(axis=-1)(L.Conv2D(12, 3, padding="same")(x))),
        (7, 6, 3))
    cases["conv_relu_softmax_channels"] = (
        model((5, 5, 4), lambda x: L.Softmax()(L.Conv2D(5, 1, activation="relu")(x))),
        (5, 5, 4))
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    tf = require_module("tensorflow")
    require_module("ai_edge_litert")
    rng = np.random.default_rng(21)
    tf.keras.utils.set_random_seed(21)
    models, inputs = {}, {}
    for name, (model, shape) in _keras_cases(tf, rng).items():
        data = int8_tflite(tf, model, uniform(rng, shape))
        assert "SOFTMAX" in tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}"
        models[name] = data
        # Random int8 inputs plus calibration-like ones, so rows are both flat and peaked.
        quant = read_tflite(data).tensors[read_tflite(data).inputs[0]].quant
        typical = [[np.clip(np.round(uniform(rng, shape)() / np.float32(quant.scale[0]))
                            + quant.zero_point[0], -128, 127).astype(np.int8)]
                   for _ in range(SAMPLES // 2)]
        inputs[name] = random_int8_samples(data, rng, SAMPLES - len(typical)) + typical
    return litert_cases(tmp_path_factory.mktemp("int8_softmax"), models, inputs)


CASES = [f"dense{d}_softmax" for d in DEPTHS] + ["conv_softmax_channels",
                                                  "conv_relu_softmax_channels"]


@pytest.mark.parametrize("name", CASES)
def test_softmax_identical_to_litert_reference(results: dict, name: str) -> None:
    ops = [op.op_name for op in read_tflite(results[name]["data"]).operators]
    assert ops[-1] == "SOFTMAX", ops
    # A depth-1 softmax is always 1.0 (127); elsewhere the outputs must not be degenerate.
    values = np.unique(np.concatenate([s[0].reshape(-1) for s in results[name]["ref"]]))
    assert len(values) >= (1 if name == "dense1_softmax" else 8), values
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_softmax_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


def test_softmax_output_quantization_is_checked_on_import() -> None:
    # TFLiteConverter writes scale 1/256 and zero point -128, which the importer accepts;
    # the same file with the output's quantization edited is refused, as LiteRT refuses it.
    from emberlite.converter.importers.tflite_int8 import int8_problems
    from emberlite.converter.importers.tflite_ops import TFLITE_OPS
    from emberlite.converter.ir import QuantParams

    tf = require_module("tensorflow")
    rng = np.random.default_rng(5)
    model = tf.keras.Sequential([tf.keras.layers.Input((6,)), tf.keras.layers.Dense(4),
                                 tf.keras.layers.Softmax()])
    m = read_tflite(int8_tflite(tf, model, uniform(rng, (6,))))
    op = next(o for o in m.operators if o.op_name == "SOFTMAX")
    out = m.tensors[op.outputs[0]]
    assert out.quant.scale == (1.0 / 256,) and out.quant.zero_point == (-128,)
    constant = {i for i, t in enumerate(m.tensors) if t.data is not None}
    assert int8_problems(m, op, TFLITE_OPS[op.code], constant) == []
    for scale, zp in [(1.0 / 128, -128), (1.0 / 256, 0)]:
        out.quant = QuantParams((scale,), (zp,))
        problems = int8_problems(m, op, TFLITE_OPS[op.code], constant)
        assert any("scale 1/256 and zero point -128" in p for p in problems), problems
