"""int8 -> int8 QUANTIZE (requantization) in TFLiteConverter models: a tensor feeding two
CONCATENATIONs whose other inputs have very different ranges cannot share both outputs'
scales, so TF requantizes it for one of them. Emberlite's outputs equal LiteRT's reference
kernels (BUILTIN_REF) byte for byte and are within 1 LSB of LiteRT's default kernels on >= 99%
of the elements. LiteRT runs in one subprocess for all models (see tflite_int8_models.py)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tflite.TensorType import TensorType

from conftest import require_module
from emberlite.converter.importers.tflite import read_tflite
from tflite_int8_models import (assert_identical_to_reference, assert_within_one_lsb_of_default,
                                int8_tflite, litert_cases, random_int8_samples, uniform)

SAMPLES = 6
GAINS = {"two_concats_x30": 30.0, "two_concats_x4": 4.0, "two_concats_x200": 200.0}


def _two_concats(tf: Any, gain: float) -> Any:
    L = tf.keras.layers
    x = L.Input((12,))
    shared = L.Dense(8)(x)
    wide = L.Dense(8, kernel_initializer=tf.keras.initializers.RandomNormal(stddev=gain))(x)
    narrow = L.Dense(8)(x)
    return tf.keras.Model(x, [L.Concatenate()([shared, wide]),
                              L.Concatenate()([shared, narrow])])


def _requantizations(data: bytes) -> list[Any]:
    """The QUANTIZE ops of the file whose input and output are both int8."""
    model = read_tflite(data)
    return [op for op in model.operators if op.op_name == "QUANTIZE"
            and all(model.tensors[t].type == TensorType.INT8 for t in (*op.inputs, *op.outputs))]


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    tf = require_module("tensorflow")
    require_module("ai_edge_litert")
    rng = np.random.default_rng(31)
    tf.keras.utils.set_random_seed(31)
    models, inputs = {}, {}
    for name, gain in GAINS.items():
        models[name] = int8_tflite(tf, _two_concats(tf, gain), uniform(rng, (12,)))
        inputs[name] = random_int8_samples(models[name], rng, SAMPLES)
    return litert_cases(tmp_path_factory.mktemp("int8_requantize"), models, inputs)


@pytest.mark.parametrize("name", list(GAINS))
def test_requantize_identical_to_litert_reference(results: dict, name: str) -> None:
    assert _requantizations(results[name]["data"]), \
        [op.op_name for op in read_tflite(results[name]["data"]).operators]
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", list(GAINS))
def test_requantize_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
