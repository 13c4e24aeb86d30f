"""The TFLite importer on full-integer int8 models: Keras models made in keras_int8_layers.py
and converted by TensorFlow's TFLiteConverter (int8 weights and activations; int8, uint8 or
float32 input and output) must give the same bytes as LiteRT's reference kernels
(BUILTIN_REF), and int8 outputs stay within 1 LSB of LiteRT's default kernels (XNNPACK) on
>= 99% of the elements. The whole int8 models, and the whole 16x8 models of keras_int16x8.py,
keep those bytes on the optimised kernels (isa_mask ISA_ALL, named so that `make pytest-ref`
runs them too) at 1 and 2 threads. LiteRT runs in a subprocess (litert_tflite_worker.py),
since it can abort the process."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import tflite

from conftest import require_module
from emberlite import ISA_ALL, Interpreter
from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.importers.tflite_reader import read_tflite
from tests.importers import keras_int16x8, keras_int8_layers
from tflite_int8_models import (assert_identical_to_reference, assert_within_one_lsb_of_default,
                                ember_outputs, int8_tflite, uniform)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_layers.litert_results(tmp_path_factory)


# The single-layer models of the same stream are checked in each op's tests/kernels/test_<op>.py.
CASES = ["add_residual", "reshape", "concatenate", "small_cnn", "swish_cnn", "digits"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", CASES + ["float_io", *keras_int8_layers.UINT8_CASES])
def test_int8_fast_kernels_identical_to_litert_reference(results: dict, name: str,
                                                         threads: int) -> None:
    assert_identical_to_reference(results[name], num_threads=threads, isa_mask=ISA_ALL)


@pytest.fixture(scope="module")
def results16x8(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int16x8.litert_results(tmp_path_factory)


# The whole 16x8 models of test_tflite_int16x8.py (its single layers: tests/kernels).
INT16X8_CASES = ["add_residual", "add_two_inputs", "cnn"] + \
    [f"{n}_int16_io" for n in keras_int16x8.INT16_IO]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", INT16X8_CASES)
def test_int16x8_fast_kernels_identical_to_litert_reference(results16x8: dict, name: str,
                                                            threads: int) -> None:
    assert_identical_to_reference(results16x8[name], num_threads=threads, isa_mask=ISA_ALL)


def test_digits_predictions_match_litert(results: dict) -> None:
    r = results["digits"]
    ours = [int(np.argmax(s[0])) for s in ember_outputs(r)]
    ref = [int(np.argmax(s[0])) for s in r["ref"]]
    xnn = [int(np.argmax(s[0])) for s in r["xnn"]]
    accuracy = float(np.mean(np.array(ours) == np.array(r["labels"])))
    print(f"digits int8: accuracy {accuracy:.3f} on {len(ours)} samples, "
          f"{np.mean(np.array(ours) == np.array(xnn)):.2%} same predictions as XNNPACK")
    assert ours == ref
    assert accuracy > 0.95


def test_float_io_identical_to_litert_reference(results: dict) -> None:
    r = results["float_io"]
    ops = [op.op_name for op in read_tflite(r["data"]).operators]
    assert ops[0] == "QUANTIZE" and ops[-1] == "DEQUANTIZE", ops
    assert r["ref"][0][0].dtype == np.float32
    assert_identical_to_reference(r)


def test_ops_without_int8_kernel_are_listed() -> None:
    tf = require_module("tensorflow")
    rng = np.random.default_rng(3)
    L = tf.keras.layers
    # SQUARED_DIFFERENCE is not an Emberlite op at all, so it has no int8 kernel either.
    x = L.Input((12,))
    a, b = L.Dense(8, activation="relu")(x), L.Dense(8)(x)
    diff = L.Lambda(lambda t: tf.math.squared_difference(t[0], t[1]))([a, b])
    model = tf.keras.Model(x, L.Dense(4)(diff))
    data = int8_tflite(tf, model, uniform(rng, (12,)), io_type=tf.float32)
    with pytest.raises(UnsupportedOpsError) as info:
        Converter.from_tflite(data).convert()
    problems = info.value.problems
    listed = {op for _, op, why in problems if why == "no int8 kernel yet"}
    assert "SQUARED_DIFFERENCE" in listed, problems
    assert not any(op in ("FULLY_CONNECTED", "QUANTIZE", "DEQUANTIZE")
                   for _, op, _ in problems), problems
    ops = read_tflite(data).operators
    for label, op, _ in problems:
        assert any(o.label == label and o.op_name == op for o in ops), (label, op)


@pytest.mark.parametrize("name", list(keras_int8_layers.UINT8_CASES))
def test_uint8_io_identical_to_litert_reference(results: dict, name: str) -> None:
    r = results[name]
    model = read_tflite(r["data"])
    ops = [op.op_name for op in model.operators]
    assert ops[0] == ops[-1] == "QUANTIZE", ops
    assert r["ref"][0][0].dtype == np.uint8
    assert_identical_to_reference(r)
    interp = Interpreter(model_content=Converter.from_tflite(r["data"]).convert())
    for details, t in ((interp.get_input_details()[0], model.inputs[0]),
                       (interp.get_output_details()[0], model.outputs[0])):
        quant = model.tensors[t].quant
        assert details["dtype"] == np.uint8
        assert details["quantization"] == (quant.scale[0], quant.zero_point[0])


def test_uint8_elsewhere_is_refused(results: dict) -> None:
    # The uint8 model with its CONV_2D rewired to read the uint8 graph input directly,
    # skipping the QUANTIZE to int8: only that QUANTIZE may read or write uint8.
    data = bytearray(results["uint8_io_cnn"]["data"])
    graph = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0)
    codes = [op.op_name for op in read_tflite(bytes(data)).operators]
    conv = graph.Operators(codes.index("CONV_2D"))
    first_input = conv._tab.Vector(conv._tab.Offset(6))  # Operator.inputs, element 0
    data[first_input:first_input + 4] = int(graph.Inputs(0)).to_bytes(4, "little")
    with pytest.raises(UnsupportedOpsError) as info:
        Converter.from_tflite(bytes(data)).convert()
    problems = info.value.problems
    assert [(op, why) for _, op, why in problems] == [
        ("CONV_2D", "uint8 tensors are supported only in a QUANTIZE to or from int8 (as at the "
                    "uint8 inputs and outputs of a full-integer model); everything else needs "
                    "int8")], problems


def test_quantization_parameters_are_kept_exactly(results: dict) -> None:
    from ai_edge_litert.interpreter import Interpreter as LiteRT

    from emberlite.converter.importers.tflite import import_tflite

    data = results["small_cnn"]["data"]
    graph = import_tflite(data)
    checked = 0
    for detail in LiteRT(model_content=data).get_tensor_details():
        tensor = graph.tensors.get(detail["name"])
        q = detail["quantization_parameters"]
        if tensor is None or len(q["scales"]) == 0:
            continue
        assert tensor.quant is not None, detail["name"]
        assert np.array_equal(np.float32(tensor.quant.scale), q["scales"]), detail["name"]
        assert list(tensor.quant.zero_point) == list(q["zero_points"]), detail["name"]
        if len(q["scales"]) > 1:
            assert tensor.quant.axis == q["quantized_dimension"], detail["name"]
        checked += 1
    assert checked >= 8, checked
