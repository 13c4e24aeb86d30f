"""What the Keras model sets (tests/importers/keras_int8_*.py, keras_int16x8.py) share: each
set is built once per session from one seeded random stream (session_cases), most of them by
converting a table of Keras models one after another (convert_keras_cases)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from conftest import require_module
from tests.importers.tflite_int8_models import (Sample, int8_tflite, litert_cases, tflite_ops,
                                                uniform)

# name -> .tflite bytes, and name -> the samples LiteRT and Emberlite run on it.
Built = tuple[dict[str, bytes], dict[str, list[Sample]]]
Shapes = list[tuple[int, ...]]


def session_cases(cache: dict[str, dict[str, Any]], tmp_path_factory: Any, folder: str,
                  seed: int, build: Callable[[Any, np.random.Generator], Built]
                  ) -> dict[str, dict[str, Any]]:
    """name -> case (tflite_int8_models.litert_cases) of every model `build(tf, rng)` makes,
    kept in `cache`: built on the first call of the session, with numpy and Keras seeded with
    `seed`, so every op's test file sees the same models whichever runs first; skipped
    (failed in CI) without tensorflow or ai-edge-litert."""
    tf = require_module("tensorflow")
    require_module("ai_edge_litert")
    if not cache:
        rng = np.random.default_rng(seed)
        tf.keras.utils.set_random_seed(seed)
        models, inputs = build(tf, rng)
        cache.update(litert_cases(tmp_path_factory.mktemp(folder), models, inputs))
    return cache


def convert_keras_cases(tf: Any, cases: dict[str, tuple[Any, tuple[int, ...], set[str]]],
                        rng: np.random.Generator,
                        samples: Callable[[bytes, tuple[int, ...]], list[Sample]]) -> Built:
    """Each (one-input Keras model, input shape, TFLite ops it must contain) of `cases`
    converted to full int8, calibrated on uniform draws, with `samples(data, shape)` to run
    it on."""
    models, inputs = {}, {}
    for name, (model, shape, ops) in cases.items():
        data = int8_tflite(tf, model, uniform(rng, shape))
        assert ops <= tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}"
        models[name] = data
        inputs[name] = samples(data, shape)
    return models, inputs


def inputs_model(tf: Any, shapes: Shapes, body: Callable[..., Any]) -> Any:
    """The Keras model body(*inputs) of inputs of `shapes` (batch 1), named in0, in1, ...:
    names that sort in input order (the converter orders inputs by name), and a fixed batch
    so Dense on 3-D inputs needs no run-time shape arithmetic."""
    L = tf.keras.layers
    xs = [L.Input(s, batch_size=1, name=f"in{i}") for i, s in enumerate(shapes)]
    return tf.keras.Model(xs if len(xs) > 1 else xs[0], body(*xs))


def uneven_weights(model: Any, rng: np.random.Generator, bias_shift: float = 0.0) -> None:
    """Scales every weight of `model` by its own random factor in [0.2, 3), so each layer's
    scale differs from its neighbours'; with `bias_shift`, adds a random offset within
    +-bias_shift to the 1-D ones (biases), so they are not zero."""
    for layer in model.layers:
        scaled = []
        for w in layer.get_weights():
            w = w * rng.uniform(0.2, 3.0, w.shape).astype(np.float32)
            if bias_shift and w.ndim == 1:
                w = w + rng.uniform(-bias_shift, bias_shift, w.shape).astype(np.float32)
            scaled.append(w)
        if scaled:
            layer.set_weights(scaled)


def calibration_draw(rng: np.random.Generator, shapes: list[tuple[int, ...]]
                     ) -> Callable[[], np.ndarray | Sample]:
    """Draws one uniform calibration sample for a model with inputs of `shapes` (a bare array
    when it has one input, as TFLiteConverter's representative dataset takes it)."""
    sample = [uniform(rng, s) for s in shapes]
    return (lambda: [f() for f in sample]) if len(shapes) > 1 else sample[0]
