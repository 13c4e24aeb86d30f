"""The TFLite importer on full-integer int8 models: Keras models made in the test and converted
by TensorFlow's TFLiteConverter (int8 weights and activations; int8, uint8 or float32 input
and output) must give the same bytes as LiteRT's reference kernels (BUILTIN_REF), and int8 outputs
stay within 1 LSB of LiteRT's default kernels (XNNPACK) on >= 99% of the elements. LiteRT runs
in a subprocess (litert_tflite_worker.py), since it can abort the process."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import tflite

from conftest import require_module
from emberlite import Interpreter
from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.importers.tflite import read_tflite
from tflite_int8_models import (assert_identical_to_reference, assert_within_one_lsb_of_default,
                                ember_outputs, int8_tflite, litert_cases, tflite_ops, uniform)

SAMPLES = 4


def _keras_cases(tf: Any) -> dict[str, tuple[Any, tuple[int, ...], set[str]]]:
    """name -> (Keras model, input shape, TFLite ops the converted model must contain)."""
    L = tf.keras.layers

    def model(shape: tuple[int, ...], body: Callable[[Any], Any]) -> Any:
        x = L.Input(shape)
        return tf.keras.Model(x, body(x))

    def residual(x: Any) -> Any:
        a = L.Conv2D(4, 3, padding="same")(x)
        return L.Add()([a, L.Conv2D(4, 1, activation="relu")(a)])

    def cnn(x: Any) -> Any:
        x = L.MaxPooling2D(2)(L.Conv2D(8, 3, padding="same", activation="relu")(x))
        x = L.MaxPooling2D(2)(L.Conv2D(12, 3, activation="relu")(x))
        return L.Dense(10)(L.Flatten()(x))

    return {
        "conv_bias_relu": (model((10, 9, 3), L.Conv2D(8, 3, padding="same",
                                                       activation="relu")),
                           (10, 9, 3), {"CONV_2D"}),
        "conv_no_bias_relu6": (model((11, 11, 3), L.Conv2D(6, 3, strides=2, use_bias=False,
                                                           activation="relu6")),
                               (11, 11, 3), {"CONV_2D"}),
        "conv_linear": (model((8, 8, 4), L.Conv2D(5, 1)), (8, 8, 4), {"CONV_2D"}),
        "depthwise_m1": (model((9, 8, 4), L.DepthwiseConv2D(3, padding="same",
                                                            activation="relu")),
                         (9, 8, 4), {"DEPTHWISE_CONV_2D"}),
        "depthwise_m2": (model((9, 8, 3), L.DepthwiseConv2D(3, strides=2, depth_multiplier=2)),
                         (9, 8, 3), {"DEPTHWISE_CONV_2D"}),
        "dense": (model((20,), L.Dense(16, activation="relu")), (20,), {"FULLY_CONNECTED"}),
        "add_residual": (model((6, 6, 3), residual), (6, 6, 3), {"ADD"}),
        "max_pool": (model((8, 9, 3), L.MaxPooling2D(3, strides=2, padding="same")),
                     (8, 9, 3), {"MAX_POOL_2D"}),
        "average_pool": (model((8, 9, 3), L.AveragePooling2D(2)), (8, 9, 3),
                         {"AVERAGE_POOL_2D"}),
        "reshape": (model((4, 6, 2), lambda x: L.Reshape((8, 6))(L.Conv2D(2, 1)(x))),
                    (4, 6, 2), {"RESHAPE"}),
        "concatenate": (model((5, 5, 3), lambda x: L.Concatenate()([
            x, L.MaxPooling2D(3, strides=1, padding="same")(x)])), (5, 5, 3),
                        {"CONCATENATION"}),
        "small_cnn": (model((16, 16, 3), cnn), (16, 16, 3),
                      {"CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED"}),
    }


def _digits(tf: Any) -> tuple[Any, np.ndarray, np.ndarray]:
    """A small CNN trained on sklearn's digits (logits, no softmax), and the test split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=0.3,
                                                        random_state=0)
    L = tf.keras.layers
    tf.keras.utils.set_random_seed(5)
    model = tf.keras.Sequential([
        L.Input((8, 8, 1)), L.Conv2D(8, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2), L.Flatten(), L.Dense(10)])
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    return model, x_test, y_test


def _quantize_input(data: bytes, x: np.ndarray) -> np.ndarray:
    model = read_tflite(data)
    quant = model.tensors[model.inputs[0]].quant
    q = np.round(x / np.float32(quant.scale[0])) + quant.zero_point[0]
    return np.clip(q, -128, 127).astype(np.int8)


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    """name -> litert_cases' record, plus the digits labels."""
    tf = require_module("tensorflow")
    require_module("ai_edge_litert")
    rng = np.random.default_rng(8)
    tf.keras.utils.set_random_seed(8)
    models, inputs = {}, {}
    cases = _keras_cases(tf)
    for name, (model, shape, ops) in cases.items():
        data = int8_tflite(tf, model, uniform(rng, shape))
        assert ops <= tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}"
        models[name] = data
        inputs[name] = [[rng.integers(-128, 128, (1, *shape)).astype(np.int8)]
                        for _ in range(SAMPLES)]
    digits, x_test, y_test = _digits(tf)
    train = iter(np.concatenate([x_test] * 2))
    models["digits"] = int8_tflite(tf, digits, lambda: next(train)[None])
    inputs["digits"] = [[_quantize_input(models["digits"], x[None])] for x in x_test]
    # The same int8 CNN with float32 input and output: TFLiteConverter wraps it in QUANTIZE
    # and DEQUANTIZE.
    cnn, shape, _ = cases["small_cnn"]
    models["float_io"] = int8_tflite(tf, cnn, uniform(rng, shape), io_type=tf.float32)
    inputs["float_io"] = [[uniform(rng, shape)()] for _ in range(SAMPLES)]
    # uint8 input and output: QUANTIZE uint8 -> int8 and int8 -> uint8 at the edges.
    for name, base in UINT8_CASES.items():
        model, shape, _ = cases[base]
        models[name] = int8_tflite(tf, model, uniform(rng, shape), io_type=tf.uint8)
        inputs[name] = [[rng.integers(0, 256, (1, *shape)).astype(np.uint8)]
                        for _ in range(SAMPLES)]
    out = litert_cases(tmp_path_factory.mktemp("int8"), models, inputs)
    out["digits"]["labels"] = list(y_test)
    return out


UINT8_CASES = {"uint8_io_cnn": "small_cnn", "uint8_io_dense": "dense"}
CASES = ["conv_bias_relu", "conv_no_bias_relu6", "conv_linear", "depthwise_m1",
         "depthwise_m2", "dense", "add_residual", "max_pool", "average_pool", "reshape",
         "concatenate", "small_cnn", "digits"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


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


@pytest.mark.parametrize("name", list(UINT8_CASES))
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
