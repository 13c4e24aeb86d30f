"""int8 LOG_SOFTMAX and DIV models made by TensorFlow's TFLiteConverter, and LiteRT's outputs
for them, for tests/kernels/test_log_softmax.py and test_div.py. All models are made from one
random stream, in one order, once per session (litert_results), so each op's file sees the same
models whichever ran first.

What TensorFlow 2.21's TFLiteConverter emits (Optimize.DEFAULT, a representative dataset,
TFLITE_BUILTINS_INT8, int8 inference input and output): tf.nn.log_softmax becomes one int8
LOG_SOFTMAX whose output has scale 16/256 and zero point 127; x / y of two run-time tensors
becomes one int8 DIV (int8 inputs and output, no DEQUANTIZE/QUANTIZE around it, which
litert_results asserts), and x / constant becomes an int8 MUL by the reciprocal (covered by the
MUL tests). LiteRT's int8 DIV fails the invoke when a divisor equals its zero point, so the
inputs here avoid that value; tests/kernels/test_div.py covers it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from tflite.TensorType import TensorType

from emberlite.converter.importers.tflite_reader import read_tflite
from tests.importers.keras_sets import Built, session_cases
from tests.importers.tflite_int8_models import (Sample, assert_identical_to_reference, int8_tflite,
                                                random_int8_samples, tflite_ops)

SAMPLES = 6
# Depth 1 (always log 1 = 0), small, odd, and wide; the gains spread the logits' scales over
# three orders of magnitude, so rows range from flat to one-hot with many cut-off values.
LOG_SOFTMAX = {"log_softmax_d1": (1, 1.0), "log_softmax_d5": (5, 0.02),
               "log_softmax_d37": (37, 1.0), "log_softmax_d1000": (1000, 0.3),
               "log_softmax_d1000_steep": (1000, 30.0), "log_softmax_d64_steep": (64, 40.0)}


def signed_uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values of magnitude 0.5..3 and random sign: calibrating a divisor on them keeps the
    output range finite, and both DIV inputs can share it (TFLiteConverter's order of the
    representative inputs then does not matter)."""
    return (rng.choice([-1.0, 1.0], (1, *shape)) *
            rng.uniform(0.5, 3.0, (1, *shape))).astype(np.float32)


def _keras_cases(tf: Any, rng: np.random.Generator) -> dict[str, tuple[Any, list, set[str]]]:
    """name -> (Keras model, input shapes, the exact TFLite ops of the converted model)."""
    L = tf.keras.layers

    def model(shapes: list[tuple[int, ...]], body: Callable[..., Any]) -> Any:
        xs = [L.Input(s) for s in shapes]
        return tf.keras.Model(xs, body(*xs))

    def dense_log_softmax(units: int, gain: float) -> Callable[[Any], Any]:
        def body(x: Any) -> Any:
            layer = L.Dense(units)
            y = layer(x)
            w, b = layer.get_weights()
            layer.set_weights([(w * gain * rng.uniform(0.2, 1.5, w.shape)).astype(np.float32),
                               (rng.normal(0, 0.5, b.shape) * gain).astype(np.float32)])
            return L.Lambda(lambda t: tf.nn.log_softmax(t))(y)
        return body

    def divide(fn: Callable[[Any], Any] = lambda t: t) -> Callable[[Any, Any], Any]:
        return lambda a, b: L.Lambda(lambda ts: fn(ts[0] / ts[1]))([a, b])

    cases = {name: (model([(16,)], dense_log_softmax(d, gain)), [(16,)],
                    {"FULLY_CONNECTED", "LOG_SOFTMAX"})
             for name, (d, gain) in LOG_SOFTMAX.items()}
    cases["conv_log_softmax_channels"] = (model([(6, 5, 3)], lambda x: L.Lambda(
        lambda t: tf.nn.log_softmax(t))(L.Conv2D(7, 3, padding="same")(x))), [(6, 5, 3)],
        {"CONV_2D", "LOG_SOFTMAX"})
    cases["div"] = (model([(6, 5, 3)] * 2, divide()), [(6, 5, 3)] * 2, {"DIV"})
    cases["div_broadcast"] = (model([(4, 5, 3), (3,)], divide()), [(4, 5, 3), (3,)], {"DIV"})
    cases["div_relu"] = (model([(7, 4)] * 2, divide(tf.nn.relu)), [(7, 4)] * 2, {"DIV"})
    # Every pair of int8 values (the divisor's zero point excepted) in one tensor.
    cases["div_all_pairs"] = (model([(256 * 256,)] * 2, divide()), [(256 * 256,)] * 2, {"DIV"})
    return cases


def _div_inputs(data: bytes, samples: list[Sample], name: str) -> list[Sample]:
    """The samples with every divisor equal to its zero point moved one step up (LiteRT
    refuses a zero divisor); for div_all_pairs, the dividend and divisor take every pair."""
    m = read_tflite(data)
    div = next(op for op in m.operators if op.op_name == "DIV")
    pos = {t: i for i, t in enumerate(m.inputs)}
    num, den = pos[div.inputs[0]], pos[div.inputs[1]]
    zp = m.tensors[div.inputs[1]].quant.zero_point[0]
    if name == "div_all_pairs":
        q = np.arange(-128, 128)
        pair = [np.empty(0, np.int8)] * 2
        pair[num], pair[den] = (v.reshape(1, -1).astype(np.int8)
                                for v in np.meshgrid(q, q, indexing="ij"))
        samples = [pair]
    for sample in samples:
        sample[den] = np.where(sample[den] == zp, zp + 1, sample[den]).astype(np.int8)
    return samples


_CACHE: dict[str, dict[str, Any]] = {}


def _build(tf: Any, rng: np.random.Generator) -> Built:
    models, inputs = {}, {}
    for name, (model, shapes, ops) in _keras_cases(tf, rng).items():
        data = int8_tflite(tf, model, lambda: [signed_uniform(rng, s) for s in shapes],
                           samples=8 if name == "div_all_pairs" else 32)
        assert tflite_ops(data) == ops, f"{name}: TF emitted {tflite_ops(data)}"
        m = read_tflite(data)
        assert all(m.tensors[t].type == TensorType.INT8 for op in m.operators for t in [*op.inputs,
                   *op.outputs] if t >= 0 and m.tensors[t].data is None), f"{name}: not int8"
        models[name] = data
        # Random int8 values plus calibration-like ones (rows both flat and peaked).
        # In the .tflite's input order, which need not be the Keras model's (it follows the
        # input names, and so what ran before in the process).
        file_inputs = [m.tensors[i] for i in m.inputs]
        typical = [[np.clip(np.round(signed_uniform(rng, t.shape[1:]) / np.float32(
                        t.quant.scale[0])) + t.quant.zero_point[0], -128, 127).astype(np.int8)
                    for t in file_inputs] for _ in range(SAMPLES // 2)]
        samples = random_int8_samples(data, rng, SAMPLES - len(typical)) + typical
        inputs[name] = _div_inputs(data, samples, name) if "DIV" in ops else samples
    return models, inputs


def litert_results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """name -> case (tflite_int8_models.litert_cases) of every model, made once per session
    (keras_sets.session_cases)."""
    return session_cases(_CACHE, tmp_path_factory, "int8_logsoftmax_div", 31, _build)


def check_identical_to_reference(results: dict, name: str) -> None:
    """LiteRT's reference outputs are not degenerate (a depth-1 log softmax is always log 1 =
    0, i.e. 127; the flat 5-wide rows stay near log(1/5)), and Emberlite's equal them."""
    values = np.unique(np.concatenate([s[0].reshape(-1) for s in results[name]["ref"]]))
    assert len(values) >= {"log_softmax_d1": 1, "log_softmax_d5": 3}.get(name, 8), values
    m = read_tflite(results[name]["data"])
    op = m.operators[-1]
    print(f"{name}: {op.op_name} input scales "
          f"{[m.tensors[t].quant.scale[0] for t in op.inputs]}, {len(values)} output values")
    assert_identical_to_reference(results[name])
