"""The TFLite importer on full-int8 models using MAXIMUM, MINIMUM, PRELU, SUM, ARG_MAX,
ARG_MIN, CAST, L2_NORMALIZATION, PACK and UNPACK: Keras models converted by TFLiteConverter in the test must give
the same bytes as LiteRT's reference kernels (BUILTIN_REF), and their int8 outputs stay within
1 LSB of LiteRT's default kernels (XNNPACK) on >= 99% of the elements.

SUM is the exception: LiteRT 2.3's BUILTIN_REF int8 SUM returns values unrelated to its input
(a constant -1 over axes [1, 2], partly garbage over the last axis), so int8 SUM is compared,
as the first op of its model (an int8 input feeds it directly), with LiteRT's builtin kernel
without delegates, whose float32 rescaling Emberlite reproduces."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from conftest import require_module
from tflite_int8_models import (assert_identical_to_reference, assert_within_one_lsb_of_default,
                                ember_outputs, int8_tflite, litert_cases, random_int8_samples,
                                tflite_ops, uniform)

SAMPLES = 8


def _keras_cases(tf: Any) -> dict[str, tuple[Any, tuple[int, ...], set[str]]]:
    """name -> (Keras model, input shape, TFLite ops the converted model must contain)."""
    L = tf.keras.layers

    def model(shape: tuple[int, ...], body: Callable[[Any], Any]) -> Any:
        x = L.Input(shape)
        return tf.keras.Model(x, body(x))

    def conv(x: Any, n: int = 4) -> Any:
        return L.Conv2D(n, 3, padding="same")(x)

    def prelu(shared_axes: list[int] | None) -> Callable[[Any], Any]:
        def body(x: Any) -> Any:
            layer = L.PReLU(shared_axes=shared_axes)
            y = layer(conv(x))
            # uneven slopes of both signs, so the negative branch has interesting scales
            layer.set_weights([np.random.default_rng(1).uniform(-0.6, 1.2, w.shape)
                               for w in layer.get_weights()])
            return y
        return body

    def reduce_sum(axes: list[int], keepdims: bool) -> Callable[[Any], Any]:
        return lambda x: L.Lambda(lambda t: tf.reduce_sum(t, axes, keepdims=keepdims))(x)

    def arg(fn: Callable, **kw: Any) -> Callable[[Any], Any]:
        return lambda x: L.Lambda(lambda t: fn(t, **kw))(conv(x, 5))

    return {
        "maximum": (model((6, 7, 3), lambda x: L.Maximum()([conv(x), conv(x)])), (6, 7, 3),
                    {"MAXIMUM"}),
        "minimum": (model((6, 7, 3), lambda x: L.Minimum()([conv(x, 3), x])), (6, 7, 3),
                    {"MINIMUM"}),
        "prelu_channel": (model((6, 7, 3), prelu([1, 2])), (6, 7, 3), {"PRELU"}),
        "prelu_full": (model((5, 4, 3), prelu(None)), (5, 4, 3), {"PRELU"}),
        "sum_spatial": (model((6, 7, 3), reduce_sum([1, 2], False)), (6, 7, 3), {"SUM"}),
        "sum_last_keepdims": (model((6, 7, 3), reduce_sum([-1], True)), (6, 7, 3), {"SUM"}),
        "arg_max": (model((6, 7, 3), arg(tf.math.argmax, axis=-1, output_type=tf.int32)),
                    (6, 7, 3), {"ARG_MAX"}),
        "arg_min": (model((6, 7, 3), arg(tf.math.argmin, axis=1)), (6, 7, 3), {"ARG_MIN"}),
        # What TF emits around CAST in int8 models: indices widened or narrowed, or cast to
        # float and quantized again, and float casts after a DEQUANTIZE.
        "cast_index_float": (model((6, 7, 3), arg(lambda t: tf.cast(tf.argmax(t, -1),
                                                                    tf.float32))),
                             (6, 7, 3), {"ARG_MAX", "CAST", "QUANTIZE"}),
        "cast_index_int32": (model((6, 7, 3), arg(lambda t: tf.cast(tf.argmax(t, -1),
                                                                    tf.int32))),
                             (6, 7, 3), {"ARG_MAX", "CAST"}),
        "cast_float_int32": (model((6, 7, 3), arg(lambda t: tf.cast(t * 10.0, tf.int32))),
                             (6, 7, 3), {"DEQUANTIZE", "CAST"}),
        "l2_normalization": (model((5, 4, 6), lambda x: L.Lambda(
            lambda t: tf.math.l2_normalize(t, axis=-1))(conv(x, 6))), (5, 4, 6),
                             {"L2_NORMALIZATION"}),
        "pack_unpack": (model((4, 5, 3), lambda x: L.Lambda(lambda t: tf.stack(
            tf.unstack(t, axis=1)[::-1], axis=2))(conv(x))), (4, 5, 3), {"PACK", "UNPACK"}),
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    tf = require_module("tensorflow")
    require_module("ai_edge_litert")
    rng = np.random.default_rng(12)
    tf.keras.utils.set_random_seed(12)
    models, inputs = {}, {}
    for name, (model, shape, ops) in _keras_cases(tf).items():
        data = int8_tflite(tf, model, uniform(rng, shape))
        assert ops <= tflite_ops(data), f"{name}: TF emitted {tflite_ops(data)}"
        models[name] = data
        inputs[name] = random_int8_samples(data, rng, SAMPLES)
    return litert_cases(tmp_path_factory.mktemp("int8_newops"), models, inputs)


SUMS = ["sum_spatial", "sum_last_keepdims"]
INDEX_OUT = ["arg_max", "arg_min", "cast_index_int32", "cast_float_int32"]  # no int8 output
CASES = ["maximum", "minimum", "prelu_channel", "prelu_full", "cast_index_float",
         "l2_normalization", "pack_unpack"] + INDEX_OUT + SUMS


@pytest.mark.parametrize("name", [n for n in CASES if n not in SUMS])
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", SUMS)
def test_int8_sum_identical_to_litert_builtin(results: dict, name: str) -> None:
    from ai_edge_litert.interpreter import Interpreter as LiteRT
    from ai_edge_litert.interpreter import OpResolverType

    case = results[name]
    assert tflite_ops(case["data"]) == {"SUM"}
    litert = LiteRT(model_content=case["data"],
                    experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    litert.allocate_tensors()
    for ours, sample in zip(ember_outputs(case), case["inputs"], strict=True):
        litert.set_tensor(litert.get_input_details()[0]["index"], sample[0])
        litert.invoke()
        want = litert.get_tensor(litert.get_output_details()[0]["index"])
        assert ours[0].dtype == want.dtype and ours[0].shape == want.shape
        assert ours[0].tobytes() == want.tobytes(), \
            f"{np.count_nonzero(ours[0] != want)} of {want.size} elements differ"


@pytest.mark.parametrize("name", [n for n in CASES if n not in INDEX_OUT])
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
