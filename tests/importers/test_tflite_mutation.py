"""Mutated .tflite files, 5,000 per model (bit flips, truncations, overwritten 32-bit words):
each one converts or raises an EmberError (never another exception), and each one that
converts loads, verifies and runs in Emberlite. Models: a float32 conv, a full-int8 CNN
(int8 input and output), and the same CNN with float32 input and output (QUANTIZE and
DEQUANTIZE at its edges) and with uint8 input and output (QUANTIZEs at its edges)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from conftest import require_module
from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.errors import EmberError
from emberlite.errors import EmberRuntimeError
from tflite_int8_models import int8_tflite, uniform

MUTANTS = 5000
# A mutant's model.metadata list may be corrupt too: skipping it with a MetadataWarning is
# the expected outcome, not worth a line in the report each.
pytestmark = pytest.mark.filterwarnings("ignore::emberlite.converter.MetadataWarning")


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    tf = require_module("tensorflow")
    rng = np.random.default_rng(31)
    tf.keras.utils.set_random_seed(31)
    L = tf.keras.layers
    w = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    conv = tf.function(lambda x: tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME")) + 1.0)
    concrete = conv.get_concrete_function(tf.TensorSpec((1, 4, 4, 2), tf.float32))
    cnn = tf.keras.Sequential([L.Input((8, 8, 2)), L.Conv2D(4, 3, activation="relu"),
                               L.MaxPooling2D(2), L.Flatten(), L.Dense(5)])
    return {
        "float_conv": tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert(),
        "int8_cnn": int8_tflite(tf, cnn, uniform(rng, (8, 8, 2))),
        "int8_cnn_float_io": int8_tflite(tf, cnn, uniform(rng, (8, 8, 2)),
                                         io_type=tf.float32),
        "int8_cnn_uint8_io": int8_tflite(tf, cnn, uniform(rng, (8, 8, 2)), io_type=tf.uint8),
    }


def mutate(data: bytes, rng: np.random.Generator, case: int) -> bytes:
    out = bytearray(data)
    n = len(out)
    kind = case % 3
    if kind == 0:
        for _ in range(int(rng.integers(1, 4))):
            out[int(rng.integers(n))] ^= 1 << int(rng.integers(8))
    elif kind == 1:
        del out[int(rng.integers(n)):]
    else:
        pos = int(rng.integers(0, n - 4)) & ~3
        word = int(rng.choice([0, 1, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, int(rng.integers(n))]))
        out[pos:pos + 4] = word.to_bytes(4, "little")
    return bytes(out)


def run_once(ember: bytes) -> None:
    interp = Interpreter(model_content=ember)
    interp.allocate_tensors()
    for d in interp.get_input_details():
        interp.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    interp.invoke()


@pytest.mark.parametrize("name", ["float_conv", "int8_cnn", "int8_cnn_float_io",
                                  "int8_cnn_uint8_io"])
def test_mutated_files_convert_or_raise_ember_errors(models: dict[str, bytes],
                                                     name: str) -> None:
    rng = np.random.default_rng(2024)
    outcomes: Counter[str] = Counter()
    for case in range(MUTANTS):
        try:
            ember = Converter.from_tflite(mutate(models[name], rng, case)).convert()
        except EmberError as e:
            assert str(e), "an EmberError without a message"
            outcomes[type(e).__name__] += 1
            continue
        try:
            run_once(ember)
            outcomes["converted and ran"] += 1
        except EmberRuntimeError as e:
            # A converted file the runtime refuses is a converter bug, except for data it
            # cannot judge (a mutated gather index, say), which eval reports as a status.
            outcomes[f"runtime {type(e).__name__}"] += 1
    print(f"{name}: {dict(outcomes)}")
    assert sum(outcomes.values()) == MUTANTS
    assert outcomes["converted and ran"] > 0
    assert sum(v for k, v in outcomes.items() if k.startswith("runtime")) == 0, outcomes
