"""The TFLite importer on 16x8 models (int16 activations, int8 weights, int64 biases) made by
TensorFlow's TFLiteConverter with EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
(in keras_int16x8.py, except the refused one below): Emberlite's outputs must be the same
bytes as LiteRT's reference kernels (BUILTIN_REF), with float32 inputs and outputs
(QUANTIZE/DEQUANTIZE at the edges) and with int16 ones. Weights are scaled unevenly so that
every layer has its own scales, and the test inputs reach beyond the calibration range so the
int16 clamps run."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conftest import require_module
from emberlite.converter import Converter
from emberlite.converter.errors import UnsupportedOpsError
from tests.importers import keras_int16x8
from tflite_int8_models import assert_identical_to_reference, int16x8_tflite, uniform


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int16x8.litert_results(tmp_path_factory)


# The single-layer models of the same stream are checked in each op's tests/kernels/test_<op>.py.
CASES = ["add_residual", "add_two_inputs", "cnn"] + \
    [f"{n}_int16_io" for n in keras_int16x8.INT16_IO]


@pytest.mark.parametrize("name", CASES)
def test_int16x8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


def test_int16_io_model_has_int16_edges(results: dict) -> None:
    from emberlite import Interpreter

    interp = Interpreter(model_content=Converter.from_tflite(
        results["cnn_int16_io"]["data"]).convert())
    interp.allocate_tensors()
    assert [d["dtype"] for d in interp.get_input_details()] == [np.int16]
    assert [d["dtype"] for d in interp.get_output_details()] == [np.int16]
    detail = interp.get_input_details()[0]
    assert detail["quantization"][1] == 0 and detail["quantization"][0] > 0


def test_ops_without_int16_kernel_are_listed() -> None:
    tf = require_module("tensorflow")
    L = tf.keras.layers
    x = L.Input((8, 8, 3), batch_size=1)
    y = L.Softmax()(L.Flatten()(L.AveragePooling2D(2)(L.Conv2D(4, 3)(x))))
    rng = np.random.default_rng(0)
    data = int16x8_tflite(tf, tf.keras.Model(x, y), uniform(rng, (8, 8, 3)), samples=4)
    with pytest.raises(UnsupportedOpsError) as err:
        Converter.from_tflite(data).convert()
    listed = {(op, reason) for _, op, reason in err.value.problems}
    assert {op for op, _ in listed} == {"AVERAGE_POOL_2D", "SOFTMAX"}
    assert all("int16" in reason for _, reason in listed)
