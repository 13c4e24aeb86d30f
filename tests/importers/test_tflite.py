"""The TFLite importer (float32): single-op models and Keras models made by TensorFlow's
TFLiteConverter in the test, checked against LiteRT; malformed and mutated files."""
from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from emberlite import Interpreter
from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.errors import ModelImportError
from helpers import max_rel_diff, run_ember
from tests.importers.tflite_files import litert

from conftest import require_module
from tests.importers.keras_int8_layers import digits_cnn

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RNG = np.random.default_rng(11)
TOL = 1e-4


@pytest.fixture(scope="module")
def tf() -> Any:
    return require_module("tensorflow")


def _const(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _from_fn(tf: Any, fn: Callable, shapes: list[tuple[int, ...]], **options: Any) -> bytes:
    specs = [tf.TensorSpec(s, tf.float32) for s in shapes]
    concrete = tf.function(fn).get_concrete_function(*specs)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    for key, value in options.items():
        setattr(converter, key, value)
    return converter.convert()


def _tflite_ops(data: bytes) -> set[str]:
    from emberlite.converter.importers.tflite_reader import read_tflite

    return {op.op_name for op in read_tflite(data).operators}


def _assert_matches_litert(data: bytes, inputs: list[np.ndarray],
                           ember: bytes | None = None) -> list[np.ndarray]:
    ember = ember or Converter.from_tflite(data).convert()
    got, want = run_ember(ember, inputs), litert(data, inputs)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, f"output {i}: {g.shape} != {w.shape}"
        if np.issubdtype(w.dtype, np.integer) or w.dtype == bool:  # exact, same type
            assert g.dtype == w.dtype, f"output {i}: {g.dtype} != {w.dtype}"
            np.testing.assert_array_equal(g, w, err_msg=f"output {i}")
            continue
        err = max_rel_diff(g, w)
        assert err <= TOL, f"output {i}: max|diff| / max|ref| = {err:.3g} > {TOL}"
    return got


# --- single-op models ---------------------------------------------------------------------
W_CONV, B_CONV = _const(3, 3, 3, 5), _const(5)           # HWIO, as tf.nn.conv2d takes it
W_DW = _const(3, 3, 4, 2)
W_TCONV = _const(3, 3, 5, 4)                              # H, W, out, in
W_FC, B_FC = _const(8, 6), _const(6)


def _single_op_cases(tf: Any) -> dict[str, tuple[Callable, list[tuple[int, ...]], str]]:
    """name -> (function, input shapes, the TFLite op the model must contain)."""
    v1 = tf.compat.v1.image
    return {
        "conv_same_relu": (lambda x: tf.nn.relu(tf.nn.conv2d(x, W_CONV, 2, "SAME") + B_CONV),
                           [(1, 9, 9, 3)], "CONV_2D"),
        "conv_valid_dilated": (lambda x: tf.nn.conv2d(x, W_CONV, 1, "VALID", dilations=2),
                               [(1, 9, 8, 3)], "CONV_2D"),
        "depthwise_relu6": (lambda x: tf.nn.relu6(tf.nn.depthwise_conv2d(
            x, W_DW, [1, 2, 2, 1], "SAME")), [(1, 8, 7, 4)], "DEPTHWISE_CONV_2D"),
        "transpose_conv": (lambda x: tf.nn.conv2d_transpose(
            x, W_TCONV, [1, 10, 10, 5], 2, "SAME"), [(1, 5, 5, 4)], "TRANSPOSE_CONV"),
        "transpose_conv_valid": (lambda x: tf.nn.conv2d_transpose(
            x, W_TCONV, [1, 11, 11, 5], 2, "VALID"), [(1, 5, 5, 4)], "TRANSPOSE_CONV"),
        "fully_connected": (lambda x: tf.matmul(x, W_FC) + B_FC, [(2, 8)], "FULLY_CONNECTED"),
        "fully_connected_3d": (lambda x: tf.matmul(x, W_FC), [(2, 3, 8)], "FULLY_CONNECTED"),
        "batch_matmul": (lambda a, b: tf.matmul(a, b), [(2, 3, 4), (2, 4, 5)], "BATCH_MATMUL"),
        "add": (lambda x, y: x + y, [(1, 4, 4, 3), (3,)], "ADD"),
        "sub": (lambda x, y: x - y, [(1, 4, 4, 3), (1, 1, 4, 3)], "SUB"),
        "mul": (lambda x, y: x * y, [(1, 4, 4, 3), (1, 4, 4, 3)], "MUL"),
        "div": (lambda x, y: x / (y * y + 0.5), [(1, 4, 4, 3), (1, 4, 4, 3)], "DIV"),
        "relu": (tf.nn.relu, [(2, 5)], "RELU"),
        "relu6": (tf.nn.relu6, [(2, 5)], "RELU6"),
        "relu_n1_to_1": (lambda x: tf.minimum(tf.maximum(x, -1.0), 1.0), [(2, 5)],
                         "RELU_N1_TO_1"),
        "leaky_relu": (lambda x: tf.nn.leaky_relu(x, 0.3), [(2, 5)], "LEAKY_RELU"),
        "logistic": (tf.sigmoid, [(2, 5)], "LOGISTIC"),
        "tanh": (tf.tanh, [(2, 5)], "TANH"),
        "hard_swish": (lambda x: x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0), [(1, 4, 4, 3)],
                       "HARD_SWISH"),
        "max_pool": (lambda x: tf.nn.max_pool2d(x, 3, 2, "SAME"), [(1, 7, 8, 3)], "MAX_POOL_2D"),
        "average_pool_same": (lambda x: tf.nn.avg_pool2d(x, 3, 2, "SAME"), [(1, 7, 8, 3)],
                              "AVERAGE_POOL_2D"),
        "average_pool_valid": (lambda x: tf.nn.avg_pool2d(x, 2, 2, "VALID"), [(1, 6, 6, 3)],
                               "AVERAGE_POOL_2D"),
        "mean_keepdims": (lambda x: tf.reduce_mean(x, [1, 2], keepdims=True), [(1, 5, 6, 3)],
                          "MEAN"),
        "mean": (lambda x: tf.reduce_mean(x, [-1]), [(2, 5, 6)], "MEAN"),
        "reshape": (lambda x: tf.reshape(x, [2, -1]) * 2.0, [(2, 3, 4)], "RESHAPE"),
        "squeeze": (lambda x: tf.squeeze(x * 2.0, [1]), [(2, 1, 4)], ""),
        "expand_dims": (lambda x: tf.expand_dims(x * 2.0, 1), [(2, 4)], ""),
        "transpose": (lambda x: tf.transpose(x, [0, 3, 1, 2]), [(1, 2, 3, 4)], "TRANSPOSE"),
        "concatenation": (lambda x, y: tf.concat([x, y], -1), [(1, 3, 3, 2), (1, 3, 3, 4)],
                          "CONCATENATION"),
        "split": (lambda x: tf.split(x, 2, axis=3), [(1, 3, 3, 4)], "SPLIT"),
        "split_v": (lambda x: tf.split(x, [1, 3], axis=3), [(1, 3, 3, 4)], "SPLIT_V"),
        "strided_slice": (lambda x: x[:, 1:5:2, ::-1, 0], [(1, 6, 5, 3)], "STRIDED_SLICE"),
        "strided_slice_masks": (lambda x: x[:, :-1, 2:, :], [(1, 6, 5, 3)], "STRIDED_SLICE"),
        "slice": (lambda x: tf.slice(x, [0, 1, 1, 0], [1, 2, -1, 2]), [(1, 4, 5, 3)], "SLICE"),
        "pad": (lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]), [(1, 3, 3, 2)], "PAD"),
        "padv2": (lambda x: tf.pad(x, [[0, 0], [1, 0], [0, 1], [0, 0]], constant_values=1.5),
                  [(1, 3, 3, 2)], "PADV2"),
        "softmax": (lambda x: tf.nn.softmax(x * 3.0), [(2, 7)], "SOFTMAX"),
        "gather": (lambda x: tf.gather(x, [2, 0, 2], axis=1), [(2, 4, 3)], "GATHER"),
        "shape_folded": (lambda x: tf.reshape(x, [tf.shape(x)[0], -1]) + 1.0, [(2, 3, 4)], ""),
        "tanh_fused": (lambda x, y: tf.tanh(x + y), [(2, 5), (2, 5)], ""),
        "maximum": (lambda x, y: tf.maximum(x, y), [(1, 4, 4, 3), (3,)], "MAXIMUM"),
        "minimum": (lambda x, y: tf.minimum(x, y), [(1, 4, 4, 3), (1, 4, 1, 3)], "MINIMUM"),
        "sum_keepdims": (lambda x: tf.reduce_sum(x, [1, 2], keepdims=True), [(1, 5, 6, 3)],
                         "SUM"),
        "sum": (lambda x: tf.reduce_sum(x, [0, 2]), [(2, 5, 6)], "SUM"),
        "reduce_max": (lambda x: tf.reduce_max(x, [1, 2]), [(1, 5, 6, 3)], "REDUCE_MAX"),
        "reduce_min": (lambda x: tf.reduce_min(x, [2], keepdims=True), [(2, 5, 6)],
                       "REDUCE_MIN"),
        "reduce_prod": (lambda x: tf.reduce_prod(x * 0.5 + 1.0, [1]), [(2, 5, 3)],
                        "REDUCE_PROD"),
        "arg_max": (lambda x: tf.math.argmax(x, axis=-1, output_type=tf.int32), [(2, 3, 7)],
                    "ARG_MAX"),
        "arg_min": (lambda x: tf.math.argmin(x, axis=1), [(2, 6, 3)], "ARG_MIN"),
        "cast": (lambda x: tf.cast(tf.cast(x * 4.0, tf.int32), tf.float32) + 0.5, [(2, 7)],
                 "CAST"),
        "l2_normalization": (lambda x: tf.math.l2_normalize(x, axis=-1), [(2, 3, 6)],
                             "L2_NORMALIZATION"),
        "log_softmax": (lambda x: tf.nn.log_softmax(x * 3.0), [(2, 7)], "LOG_SOFTMAX"),
        "pack": (lambda x, y: tf.stack([x, y * 2.0], axis=1), [(2, 3), (2, 3)], "PACK"),
        "unpack": (lambda x: [t * 2.0 for t in tf.unstack(x, axis=1)], [(2, 3, 4)], "UNPACK"),
        "abs": (tf.abs, [(2, 5)], "ABS"),
        "neg": (tf.negative, [(2, 5)], "NEG"),
        "sqrt": (lambda x: tf.sqrt(tf.abs(x)), [(2, 5)], "SQRT"),
        "rsqrt": (lambda x: tf.math.rsqrt(tf.abs(x) + 0.1), [(2, 5)], "RSQRT"),
        "exp": (tf.exp, [(2, 5)], "EXP"),
        "log": (lambda x: tf.math.log(tf.abs(x) + 0.1), [(2, 5)], "LOG"),
        "floor": (lambda x: tf.floor(x * 3.0), [(2, 5)], "FLOOR"),
        "ceil": (lambda x: tf.math.ceil(x * 3.0), [(2, 5)], "CEIL"),
        "round": (lambda x: tf.round(x * 3.0), [(2, 5)], "ROUND"),
        "sign": (tf.sign, [(2, 5)], "SIGN"),
        "sin": (lambda x: tf.sin(x * 3.0), [(2, 5)], "SIN"),
        "cos": (lambda x: tf.cos(x * 3.0), [(2, 5)], "COS"),
        "square": (tf.square, [(2, 5)], "SQUARE"),
        "elu": (tf.nn.elu, [(2, 5)], "ELU"),
        "gelu": (lambda x: tf.nn.gelu(x, approximate=False), [(2, 5)], "GELU"),
        "gelu_tanh": (lambda x: tf.nn.gelu(x, approximate=True), [(2, 5)], "GELU"),
        "pow": (lambda x, y: tf.pow(tf.abs(x), y), [(2, 5), (5,)], "POW"),
        "equal": (lambda x, y: tf.equal(tf.round(x), tf.round(y)), [(2, 5), (5,)], "EQUAL"),
        "not_equal": (lambda x, y: tf.not_equal(tf.round(x), tf.round(y)), [(2, 5), (5,)],
                      "NOT_EQUAL"),
        "less": (lambda x, y: tf.less(x, y), [(2, 5), (2, 1)], "LESS"),
        "less_equal": (lambda x, y: tf.less_equal(x, y), [(2, 5), (5,)], "LESS_EQUAL"),
        "greater": (lambda x, y: tf.greater(x, y), [(2, 5), (5,)], "GREATER"),
        "greater_equal": (lambda x, y: tf.greater_equal(x, y), [(2, 5), (5,)],
                          "GREATER_EQUAL"),
        "logical_and": (lambda x, y: tf.logical_and(x > 0.0, y > 0.0), [(2, 5), (5,)],
                        "LOGICAL_AND"),
        "logical_or": (lambda x, y: tf.logical_or(x > 0.0, y > 0.0), [(2, 5), (5,)],
                       "LOGICAL_OR"),
        "logical_not": (lambda x, y: tf.logical_not(tf.logical_and(x > 0.0, y > 0.0)),
                        [(2, 5), (5,)], "LOGICAL_NOT"),
        "select": (lambda x, y: tf.where(x > y, x, y * 2.0), [(2, 5), (2, 5)], "SELECT"),
        "select_v2": (lambda x, y: tf.where(x > y, x, 0.5), [(2, 5), (5,)], "SELECT_V2"),
    } | {
        f"resize_{kind}_{mode}": (
            (lambda fn, kw: lambda x: fn(x, [9, 7], **kw))(
                getattr(v1, f"resize_{kind}"),
                {"align_corners": mode == "align", "half_pixel_centers": mode == "half"}),
            [(1, 4, 5, 2)], "RESIZE_BILINEAR" if kind == "bilinear" else
            "RESIZE_NEAREST_NEIGHBOR")
        for kind in ("bilinear", "nearest_neighbor") for mode in ("align", "half", "plain")
    }


NEW_OPS = ["maximum", "minimum", "sum_keepdims", "sum", "arg_max", "arg_min", "cast",
           "l2_normalization", "log_softmax", "pack", "unpack", "abs", "neg", "sqrt", "rsqrt",
           "exp", "log", "floor", "ceil", "round", "sign", "sin", "cos", "square", "elu", "gelu",
           "gelu_tanh", "pow", "equal", "not_equal", "less", "less_equal", "greater",
           "greater_equal", "logical_and", "logical_or", "logical_not", "select", "select_v2",
           "reduce_max", "reduce_min", "reduce_prod"]
SINGLE_OPS = ["conv_same_relu", "conv_valid_dilated", "depthwise_relu6", "transpose_conv",
              "transpose_conv_valid", "fully_connected", "fully_connected_3d", "batch_matmul",
              "add", "sub", "mul", "div", "relu", "relu6", "relu_n1_to_1", "leaky_relu",
              "logistic", "tanh", "hard_swish", "max_pool", "average_pool_same",
              "average_pool_valid", "mean_keepdims", "mean", "reshape", "squeeze",
              "expand_dims", "transpose", "concatenation", "split", "split_v", "strided_slice",
              "strided_slice_masks", "slice", "pad", "padv2", "softmax", "gather",
              "shape_folded", "tanh_fused"] + NEW_OPS + [
    f"resize_{k}_{m}" for k in ("bilinear", "nearest_neighbor")
    for m in ("align", "half", "plain")]


@pytest.mark.parametrize("name", SINGLE_OPS)
def test_single_op_matches_litert(tf: Any, name: str) -> None:
    fn, shapes, op = _single_op_cases(tf)[name]
    data = _from_fn(tf, fn, shapes)
    if op:
        assert op in _tflite_ops(data), f"TF emitted {_tflite_ops(data)}, not {op}"
    inputs = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    _assert_matches_litert(data, inputs)


def test_float16_weights_are_dequantized_at_import(tf: Any) -> None:
    specs = [tf.TensorSpec((1, 6, 6, 3), tf.float32)]
    concrete = tf.function(lambda x: tf.nn.conv2d(x, W_CONV, 1, "SAME") + B_CONV) \
        .get_concrete_function(*specs)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    data = converter.convert()
    assert "DEQUANTIZE" in _tflite_ops(data)
    _assert_matches_litert(data, [_const(1, 6, 6, 3)])


def test_unsupported_ops_are_all_listed_before_converting(tf: Any) -> None:
    data = _from_fn(tf, lambda x, y: tf.math.segment_sum(tf.linalg.diag(x) + y[:, None, :],
                                                         tf.constant([0, 0])),
                    [(2, 5), (2, 5)])
    with pytest.raises(UnsupportedOpsError) as info:
        Converter.from_tflite(data).convert()
    listed = {op for _, op, _ in info.value.problems}
    assert {"MATRIX_DIAG", "SEGMENT_SUM"} <= listed, info.value.problems
    assert all(label.startswith("operator ") for label, _, _ in info.value.problems)


def test_signature_names_carry_over(tf: Any) -> None:
    class Module(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32, name="pixels"),
                                      tf.TensorSpec((1, 4), tf.float32, name="bias")])
        def classify(self, pixels, bias):
            return {"scores": tf.nn.relu(pixels + bias), "raw": pixels * 2.0}

    module = Module()
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.classify.get_concrete_function()], module)
    data = converter.convert()
    ours = Interpreter(model_content=Converter.from_tflite(data).convert())
    from ai_edge_litert.interpreter import Interpreter as LiteRT
    theirs = LiteRT(model_content=data)
    signatures = theirs.get_signature_list()
    assert ours.get_signature_list() == signatures
    (key,) = signatures
    assert sorted(signatures[key]["inputs"]) == ["bias", "pixels"]
    pixels, bias = _const(1, 4), _const(1, 4)
    got = ours.get_signature_runner(key)(pixels=pixels, bias=bias)
    want = theirs.get_signature_runner(key)(pixels=pixels, bias=bias)
    assert sorted(got) == sorted(want) == ["raw", "scores"]
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-6)
    assert Interpreter(model_content=Converter.from_tflite(data).convert()) \
        .get_metadata()["source.format"] == "tflite"


def test_signature_naming_a_hidden_tensor_is_rejected(tf: Any) -> None:
    from emberlite.converter.importers.tflite_reader import read_tflite

    class Module(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32, name="x")])
        def run(self, x):
            return {"y": tf.nn.relu(x * 3.0) + 1.0}

    module = Module()
    data = bytearray(tf.lite.TFLiteConverter.from_concrete_functions(
        [module.run.get_concrete_function()], module).convert())
    model = read_tflite(bytes(data))
    hidden = next(i for i, t in enumerate(model.tensors)
                  if i not in model.inputs + model.outputs and t.data is None)
    out = model.outputs[0]
    # Patch the output entry's tensor index (an int32 somewhere in the file) to `hidden`.
    import tflite
    sig = tflite.Model.GetRootAs(bytes(data), 0).SignatureDefs(0).Outputs(0)
    pos = sig._tab.Pos + sig._tab.Offset(6)
    assert int.from_bytes(data[pos:pos + 4], "little") == out
    data[pos:pos + 4] = hidden.to_bytes(4, "little")
    with pytest.raises(ModelImportError, match="signature '.*': output 'y' is tensor"):
        Converter.from_tflite(bytes(data)).convert()


# --- integer graph inputs -------------------------------------------------------------------
def _index_cases(tf: Any) -> dict[str, tuple[Callable, set[str]]]:
    """name -> (function of a float32 (2, 5, 3) input and an integer (2, 4) index input, the
    TFLite ops the model must contain)."""
    return {
        "gather": (lambda x, i: tf.gather(x, i, axis=1), {"GATHER"}),
        # The index row picked, reversed and transposed before use: integer data movement.
        "gather_moved_indices": (lambda x, i: tf.gather(x, tf.transpose(i[1, ::-1][None]),
                                                        axis=1), {"GATHER", "STRIDED_SLICE"}),
        "cast": (lambda x, i: x[:, :4, 0] * tf.cast(i, tf.float32), {"CAST"}),
    }


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("name", ["gather", "gather_moved_indices", "cast"])
def test_integer_graph_inputs_match_litert(tf: Any, name: str, dtype: str) -> None:
    fn, ops = _index_cases(tf)[name]
    specs = [tf.TensorSpec((2, 5, 3), tf.float32), tf.TensorSpec((2, 4), getattr(tf, dtype))]
    concrete = tf.function(fn).get_concrete_function(*specs)
    data = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()
    assert ops <= _tflite_ops(data), f"TF emitted {_tflite_ops(data)}"
    interp = Interpreter(model_content=Converter.from_tflite(data).convert())
    assert [d["dtype"] for d in interp.get_input_details()] == [np.float32, np.dtype(dtype)]
    for _ in range(3):
        _assert_matches_litert(data, [_const(2, 5, 3),
                                      RNG.integers(0, 5, (2, 4)).astype(dtype)])


def test_out_of_range_index_input_fails_cleanly(tf: Any) -> None:
    from emberlite.errors import EvalError

    specs = [tf.TensorSpec((2, 5, 3), tf.float32), tf.TensorSpec((4,), tf.int32)]
    concrete = tf.function(lambda x, i: tf.gather(x, i, axis=1)).get_concrete_function(*specs)
    data = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()
    with pytest.raises(EvalError):
        run_ember(Converter.from_tflite(data).convert(),
                  [_const(2, 5, 3), np.array([0, 5, 1, 2], np.int32)])


# --- Keras models -------------------------------------------------------------------------
def _keras_tflite(tf: Any, model: Any) -> bytes:
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


@pytest.mark.parametrize("shared_axes", [[1, 2], None])
def test_prelu_matches_litert(tf: Any, shared_axes: list[int] | None) -> None:
    """Keras' PReLU is what TF converts to PRELU: slopes per channel, or per element."""
    layer = tf.keras.layers.PReLU(shared_axes=shared_axes)
    model = tf.keras.Sequential([tf.keras.Input((4, 5, 3)), layer])
    layer.set_weights([RNG.uniform(-0.5, 1.0, w.shape).astype(np.float32)
                       for w in layer.get_weights()])
    data = _keras_tflite(tf, model)
    assert "PRELU" in _tflite_ops(data)
    _assert_matches_litert(data, [_const(1, 4, 5, 3)])


def test_reshape_to_a_scalar_takes_an_empty_constant_shape(tf: Any) -> None:
    """TF writes the shape [] of a RESHAPE to a scalar as a zero-length int32 constant with an
    empty buffer of its own; it was taken for a run-time tensor no operator produced."""
    fn = tf.function(lambda x: tf.reshape(tf.reduce_sum(x, axis=1), []) * 2.0 + x)
    data = _from_fn(tf, fn, [(1, 4)])
    assert "RESHAPE" in _tflite_ops(data)
    _assert_matches_litert(data, [_const(1, 4)])


def test_keras_global_max_pooling_matches_litert(tf: Any) -> None:
    """GlobalMaxPooling2D becomes REDUCE_MAX, which Emberlite refused before format 7."""
    layers = tf.keras.layers
    model = tf.keras.Sequential([tf.keras.Input((6, 7, 3)), layers.Conv2D(4, 3, padding="same"),
                                 layers.GlobalMaxPooling2D(), layers.Dense(2)])
    data = _keras_tflite(tf, model)
    assert "REDUCE_MAX" in _tflite_ops(data)
    _assert_matches_litert(data, [_const(1, 6, 7, 3)])


def test_small_resnet_matches_litert(tf: Any) -> None:
    layers = tf.keras.layers
    tf.keras.utils.set_random_seed(3)
    x = inputs = layers.Input((32, 32, 3))
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    for filters, stride in ((16, 1), (32, 2)):
        shortcut = x if stride == 1 else layers.Conv2D(filters, 1, stride)(x)
        y = layers.Conv2D(filters, 3, stride, padding="same")(x)
        y = layers.BatchNormalization()(y)
        y = layers.ReLU()(y)
        y = layers.Conv2D(filters, 3, padding="same")(y)
        x = layers.ReLU()(layers.Add()([shortcut, y]))
    x = layers.MaxPooling2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10)(x)
    data = _keras_tflite(tf, tf.keras.Model(inputs, outputs))
    _assert_matches_litert(data, [_const(1, 32, 32, 3)])


def test_digits_cnn_keeps_litert_predictions(tf: Any) -> None:
    model, x_test, _ = digits_cnn(tf, 4, 5, softmax=True)
    data = _keras_tflite(tf, model)
    ember = Interpreter(model_content=Converter.from_tflite(data).convert())
    ember.allocate_tensors()
    ours, theirs = [], []
    for sample in x_test:
        ours.append(int(np.argmax(run_ember(b"", [sample[None]], interpreter=ember)[0])))
        theirs.append(int(np.argmax(litert(data, [sample[None]])[0])))
    assert ours == theirs


# --- malformed files ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_model(tf: Any) -> bytes:
    w = _const(3, 3, 2, 4)
    return _from_fn(tf, lambda x: tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME")) + 1.0,
                    [(1, 4, 4, 2)])


def _convert(data: bytes) -> bytes:
    return Converter.from_tflite(data).convert()


@pytest.mark.parametrize("cut", [0, 7, 8, 40, -100, -1])
def test_truncated_files_are_rejected(small_model: bytes, cut: int) -> None:
    with pytest.raises(ModelImportError):
        _convert(small_model[:cut])


def test_cli_converts_a_tflite_file(tmp_path: Any, small_model: bytes, capsys: Any) -> None:
    from emberlite.cli import main

    source = tmp_path / "small.tflite"
    source.write_bytes(small_model)
    assert main(["convert", str(source)]) == 0
    ember = (tmp_path / "small.ember").read_bytes()
    _assert_matches_litert(small_model, [_const(1, 4, 4, 2)], ember)
    source.write_bytes(small_model[:100])
    assert main(["convert", str(source), "-o", str(tmp_path / "bad.ember")]) != 0
    assert not (tmp_path / "bad.ember").exists()


def test_wrong_identifier_is_rejected(small_model: bytes) -> None:
    bad = small_model[:4] + b"XXXX" + small_model[8:]
    with pytest.raises(ModelImportError, match="identifier"):
        _convert(bad)


def _tables(data: bytes) -> tuple[Any, Any]:
    import tflite

    model = tflite.Model.GetRootAs(data, 0)
    return model, model.Subgraphs(0)


def _patched(data: bytes, pos: int, value: int) -> bytes:
    out = bytearray(data)
    out[pos:pos + 4] = int(value).to_bytes(4, "little", signed=value < 0)
    return bytes(out)


def _field(table: Any, slot: int) -> int:
    """File position of a scalar field (vtable slot byte offset, 4 + 2 x field index)."""
    o = table._tab.Offset(slot)
    assert o, "field not stored in the file"
    return table._tab.Pos + o


def _vector_item(table: Any, slot: int, j: int) -> int:
    return table._tab.Vector(table._tab.Offset(slot)) + 4 * j


def _constant_tensor(sg: Any, model: Any) -> int:
    return next(i for i in range(sg.TensorsLength())
                if model.Buffers(sg.Tensors(i).Buffer()).DataLength() > 0
                and sg.Tensors(i).ShapeLength() > 0)


# Tensor slots: shape 4, type 6, buffer 8; operator: opcode_index 4, inputs 6, outputs 8;
# model: subgraphs 8; vector lengths sit 4 bytes before the first element.
@pytest.mark.parametrize("case, match", [
    ("buffer_index", "buffer index"), ("input_index", "out of range"),
    ("negative_input", "out of range"), ("opcode_index", "opcode index"),
    ("shape_bigger_than_buffer", "needs"), ("own_output", "cycle"),
    ("no_subgraph", "no subgraph")])
def test_malformed_files_are_rejected_clearly(small_model: bytes, case: str,
                                             match: str) -> None:
    model, sg = _tables(small_model)
    op = sg.Operators(0)
    if case == "buffer_index":
        bad = _patched(small_model, _field(sg.Tensors(0), 8), 10**6)
    elif case == "input_index":
        bad = _patched(small_model, _vector_item(op, 6, 0), 1000)
    elif case == "negative_input":
        bad = _patched(small_model, _vector_item(op, 6, 0), -5)
    elif case == "opcode_index":
        stored = next(sg.Operators(i) for i in range(sg.OperatorsLength())
                      if sg.Operators(i)._tab.Offset(4))
        bad = _patched(small_model, _field(stored, 4), 77)
    elif case == "shape_bigger_than_buffer":
        t = sg.Tensors(_constant_tensor(sg, model))
        bad = _patched(small_model, _vector_item(t, 4, 0), 99)
    elif case == "own_output":
        bad = _patched(small_model, _vector_item(op, 6, 0), int(op.Outputs(0)))
    else:
        bad = _patched(small_model, _vector_item(model, 8, 0) - 4, 0)
    with pytest.raises(ModelImportError, match=match):
        _convert(bad)


@pytest.mark.parametrize("body, match", [(0, "references itself"),
                                         (9, r"out of range \[0, 3\)")])
def test_control_flow_naming_a_bad_subgraph_is_listed(tf: Any, body: int, match: str) -> None:
    """A WHILE whose body is the subgraph it sits in (or no subgraph) is reported, not
    followed (a well-formed one is unrolled: test_tflite_control_flow.py)."""
    import tflite

    def loop(x: Any) -> Any:
        return tf.while_loop(lambda i, x: tf.reduce_sum(x) < 100.0,
                             lambda i, x: (i + 1.0, x * 2.0), (tf.constant(0.0), x))[1]

    data = _from_fn(tf, loop, [(1, 4)])
    model, sg = _tables(data)
    assert model.SubgraphsLength() == 3
    op = sg.Operators(0)
    options = tflite.WhileOptions()
    options.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
    with pytest.raises(UnsupportedOpsError) as info:
        _convert(_patched(data, _field(options, 6), body))
    [(label, op_name, bad_index)] = info.value.problems
    assert (label, op_name) == ("operator 0", "WHILE")
    assert re.search(f"BodySubgraphIndex.*{match}", bad_index)
