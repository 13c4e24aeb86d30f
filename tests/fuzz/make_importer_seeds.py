"""Writes the seed corpus of the importer fuzzer (fuzz_importers.py) into
tests/fuzz/corpus_importers/: small valid ONNX models made with onnx.helper and small .tflite
files made with TensorFlow, each prefixed with the selector byte the harness reads
(0: ONNX, 1: TFLite). Every seed must convert, so the fuzzer starts from files that reach
deep into the importers; the script says which one does not.

    .venv/bin/python tests/fuzz/make_importer_seeds.py [--onnx-only] [OUT_DIR]

The files are committed (TensorFlow takes a minute to import); rerun this script after
changing it. Findings the fuzzer kept (finding-*) in the same folder are left alone.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fuzz_importers import ONNX, TFLITE  # noqa: E402  (the selector bytes)

RNG = np.random.default_rng(9)
MAX_SEED_BYTES = 20_000
F = TensorProto.FLOAT


def _w(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _i64(*values: int) -> np.ndarray:
    return np.array(values, np.int64)


def _onnx(nodes: list[onnx.NodeProto], inputs: dict[str, list[int]],
          outputs: list[str], consts: dict[str, np.ndarray] | None = None,
          opset: int = 17) -> bytes:
    graph = helper.make_graph(
        nodes, "seed",
        [helper.make_tensor_value_info(k, F, v) for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, F, None) for o in outputs],
        [numpy_helper.from_array(v, k) for k, v in (consts or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="seed")
    model.ir_version = 8
    return model.SerializeToString()


def _n(op: str, inputs: list[str], outputs: list[str], **attrs: Any) -> onnx.NodeProto:
    return helper.make_node(op, inputs, outputs, **attrs)


X4 = {"x": [1, 2, 6, 6]}


def onnx_seeds() -> dict[str, bytes]:
    """One small model per op family the ONNX importer maps, plus the constant chains
    (Shape -> Gather -> Concat -> Reshape, ConstantOfShape, Expand, Range) it folds."""
    n = _n
    return {
        "conv": _onnx([n("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], strides=[1, 1]),
                       n("Relu", ["c"], ["y"])], X4, ["y"], {"w": _w(3, 2, 3, 3), "b": _w(3)}),
        "conv_group": _onnx([n("Conv", ["x", "w"], ["y"], group=2, dilations=[2, 2])], X4,
                            ["y"], {"w": _w(4, 1, 2, 2)}),
        "conv_transpose": _onnx([n("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2])], X4,
                                ["y"], {"w": _w(2, 3, 3, 3)}),
        "gemm": _onnx([n("Gemm", ["x", "w", "b"], ["y"], transB=1, alpha=0.5)],
                      {"x": [2, 8]}, ["y"], {"w": _w(4, 8), "b": _w(4)}),
        "matmul_add": _onnx([n("MatMul", ["x", "w"], ["m"]), n("Add", ["m", "b"], ["y"])],
                            {"x": [3, 8]}, ["y"], {"w": _w(8, 5), "b": _w(5)}),
        "binary": _onnx([n("Mul", ["x", "s"], ["a"]), n("Sub", ["a", "x"], ["b"]),
                         n("Div", ["b", "d"], ["y"])], X4, ["y"],
                        {"s": _w(1, 2, 1, 1), "d": np.full((6,), 2.0, np.float32)}),
        "unary": _onnx([n("Sigmoid", ["x"], ["a"]), n("Tanh", ["a"], ["b"]),
                        n("HardSwish", ["b"], ["c"]), n("LeakyRelu", ["c"], ["d"], alpha=0.2),
                        n("HardSigmoid", ["d"], ["y"])], X4, ["y"], opset=14),
        "clip": _onnx([n("Clip", ["x", "lo", "hi"], ["y"])], X4, ["y"],
                      {"lo": np.array(0, np.float32), "hi": np.array(6, np.float32)}),
        "reshape": _onnx([n("Reshape", ["x", "s"], ["y"])], X4, ["y"], {"s": _i64(1, -1, 6)}),
        "shape_chain": _onnx([n("Shape", ["x"], ["s"]), n("Gather", ["s", "i"], ["g"], axis=0),
                              n("Concat", ["g", "m"], ["t"], axis=0),
                              n("Reshape", ["x", "t"], ["y"])], X4, ["y"],
                             {"i": _i64(0), "m": _i64(-1)}),
        "flatten": _onnx([n("Flatten", ["x"], ["y"], axis=2)], X4, ["y"]),
        "squeeze": _onnx([n("Unsqueeze", ["x", "a"], ["u"]), n("Squeeze", ["u", "a"], ["y"])],
                         X4, ["y"], {"a": _i64(2)}),
        "transpose": _onnx([n("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], X4, ["y"]),
        "concat": _onnx([n("Concat", ["x", "c"], ["y"], axis=1)], X4, ["y"],
                        {"c": _w(1, 1, 6, 6)}),
        "split": _onnx([n("Split", ["x", "s"], ["a", "b"], axis=2),
                        n("Add", ["a", "a"], ["y"])], X4, ["y", "b"], {"s": _i64(2, 4)}),
        "slice": _onnx([n("Slice", ["x", "st", "en", "ax", "sp"], ["y"])], X4, ["y"],
                       {"st": _i64(1, 0), "en": _i64(5, 6), "ax": _i64(2, 3),
                        "sp": _i64(2, 1)}),
        "pad": _onnx([n("Pad", ["x", "p", "v"], ["y"], mode="constant")], X4, ["y"],
                     {"p": _i64(0, 0, 1, 2, 0, 0, 2, 1), "v": np.array(0.5, np.float32)}),
        "gather": _onnx([n("Gather", ["x", "i"], ["y"], axis=2)], X4, ["y"],
                        {"i": _i64(0, 5, 2)}),
        "gather_weights": _gather_rows(),
        "reduce_mean": _onnx([n("ReduceMean", ["x", "a"], ["y"], keepdims=1)], X4, ["y"],
                             {"a": _i64(2, 3)}, opset=18),
        "global_pools": _onnx([n("GlobalAveragePool", ["x"], ["a"]),
                               n("GlobalMaxPool", ["x"], ["b"]), n("Add", ["a", "b"], ["y"])],
                              X4, ["y"]),
        "softmax": _onnx([n("Softmax", ["x"], ["y"], axis=1)], X4, ["y"]),
        "softmax_11": _onnx([n("Softmax", ["x"], ["y"], axis=1)], {"x": [2, 5]}, ["y"],
                            opset=11),
        "resize": _onnx([n("Resize", ["x", "", "s"], ["y"], mode="linear")], X4, ["y"],
                        {"s": np.array([1, 1, 2, 1.5], np.float32)}),
        "resize_sizes": _onnx([n("Resize", ["x", "", "", "z"], ["y"], mode="nearest",
                                 coordinate_transformation_mode="asymmetric")], X4, ["y"],
                              {"z": _i64(1, 2, 3, 12)}),
        "upsample": _onnx([n("Upsample", ["x", "s"], ["y"])], X4, ["y"],
                          {"s": np.array([1, 1, 2, 2], np.float32)}, opset=9),
        "pools": _onnx([n("MaxPool", ["x"], ["a"], kernel_shape=[3, 3], strides=[2, 2],
                          ceil_mode=1),
                        n("AveragePool", ["a"], ["y"], kernel_shape=[2, 2], pads=[1, 1, 0, 0],
                          count_include_pad=0)], X4, ["y"]),
        "batchnorm": _onnx([n("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"])], X4,
                           ["y"], {"g": _w(2), "b": _w(2), "m": _w(2),
                                   "v": np.abs(_w(2)) + 0.5}),
        "constant_of_shape": _onnx(
            [n("ConstantOfShape", ["s"], ["c"],
               value=helper.make_tensor("v", F, [1], [0.25])),
             n("Add", ["x", "c"], ["y"])], X4, ["y"], {"s": _i64(1, 2, 6, 6)}),
        "expand": _onnx([n("Expand", ["c", "s"], ["e"]), n("Mul", ["x", "e"], ["y"])], X4,
                        ["y"], {"c": _w(2, 1, 1), "s": _i64(1, 2, 6, 6)}),
        "range_tile": _onnx([n("Range", ["a", "b", "d"], ["r"]), n("Cast", ["r"], ["f"], to=F),
                             n("Tile", ["f", "t"], ["e"]), n("Add", ["x", "e"], ["y"])],
                            {"x": [2, 6]}, ["y"],
                            {"a": np.array(0, np.int64), "b": np.array(6, np.int64),
                             "d": np.array(1, np.int64), "t": _i64(1)}),
        "identity_dropout": _onnx([n("Identity", ["x"], ["a"]), n("Dropout", ["a"], ["y"])],
                                  X4, ["y"]),
        "size": _onnx([n("Size", ["x"], ["s"]), n("Reshape", ["x", "r"], ["y"])], X4, ["y"],
                      {"r": _i64(-1)}),
        **_control_flow_seeds(),
        **_index_seeds(),
        **_select_seeds(),
    }


def _index_seeds() -> dict[str, bytes]:
    """GatherElements and ScatterND on a run-time input (negative and repeated indices)."""
    n = helper.make_node
    rows = np.array([[0, -1, 5], [3, 3, -6]], np.int64).reshape(1, 1, 2, 3).repeat(2, 1)
    return {
        "gather_elements": _onnx([n("GatherElements", ["x", "i"], ["y"], axis=3)], X4, ["y"],
                                 {"i": rows}),
        "scatter_nd": _onnx([n("ScatterND", ["x", "i", "u"], ["y"], reduction="add")], X4,
                            ["y"], {"i": np.array([[0, 1], [0, -1], [0, 1]], np.int64),
                                    "u": _w(3, 6, 6)}, opset=18),
    }


def _select_seeds() -> dict[str, bytes]:
    """TopK into an exclusive CumSum; a float input cast to int64, Mod by a negative divisor,
    OneHot of the remainders (negative ones count from the end). Constants of their own, so
    the other seeds' random draws stay as they were."""
    n = helper.make_node
    return {
        "top_k_cumsum": _onnx([n("TopK", ["x", "k"], ["v", "i"], axis=3, largest=0),
                               n("CumSum", ["v", "a"], ["y"], exclusive=1)], X4, ["y"],
                              {"k": _i64(3), "a": np.array(2, np.int64)}),
        "mod_one_hot": _onnx([n("Cast", ["x"], ["c"], to=TensorProto.INT64),
                              n("Mod", ["c", "d"], ["m"]),
                              n("OneHot", ["m", "depth", "values"], ["y"], axis=1)], X4, ["y"],
                             {"d": _i64(-3), "depth": np.array(5, np.int64),
                              "values": np.array([0.0, 1.0], np.float32)}),
    }


def _subgraph(nodes: list[onnx.NodeProto], inputs: list[str], outputs: list[str]
              ) -> onnx.GraphProto:
    return helper.make_graph(nodes, "body", [helper.make_tensor_value_info(i, F, None)
                                             for i in inputs],
                             [helper.make_tensor_value_info(o, F, None) for o in outputs])


def _control_flow_seeds() -> dict[str, bytes]:
    """If on a condition folded from the input's shape, Loop of a constant trip count with
    a carried value and a scan output, Scan of one state (inlined by the importer)."""
    n = _n
    branch = n("If", ["c"], ["y"], then_branch=_subgraph([n("Relu", ["x"], ["t"])], [], ["t"]),
               else_branch=_subgraph([n("Neg", ["x"], ["e"])], [], ["e"]))
    body = helper.make_graph(
        [n("Cast", ["i"], ["f"], to=F), n("Add", ["a", "f"], ["b"]),
         n("Identity", ["k"], ["k2"]), n("Tanh", ["b"], ["s"])], "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("k", TensorProto.BOOL, []),
         helper.make_tensor_value_info("a", F, None)],
        [helper.make_tensor_value_info("k2", TensorProto.BOOL, []),
         helper.make_tensor_value_info("b", F, None), helper.make_tensor_value_info("s", F, None)])
    step = _subgraph([n("Add", ["h", "r"], ["h2"]), n("Sigmoid", ["h2"], ["o"])], ["h", "r"],
                     ["h2", "o"])
    return {
        "if": _onnx([n("Shape", ["x"], ["s"]), n("Size", ["s"], ["r"]),
                     n("Equal", ["r", "four"], ["c"]), branch], X4, ["y"],
                    {"four": np.array(4, np.int64)}),
        "loop": _onnx([n("Loop", ["m", "", "x"], ["y", "z"], body=body)], {"x": [2, 3]},
                      ["y", "z"], {"m": np.array(3, np.int64)}),
        "scan": _onnx([n("Scan", ["h0", "x"], ["h", "y"], body=step, num_scan_inputs=1)],
                      {"x": [4, 3]}, ["h", "y"], {"h0": np.zeros(3, np.float32)}),
    }


def _gather_rows() -> bytes:
    """Gather with run-time indices from a constant table (an embedding)."""
    graph = helper.make_graph(
        [helper.make_node("Gather", ["e", "i"], ["y"], axis=0)], "seed",
        [helper.make_tensor_value_info("i", TensorProto.INT64, [3])],
        [helper.make_tensor_value_info("y", F, None)],
        [numpy_helper.from_array(_w(10, 4), "e")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def tflite_seeds() -> dict[str, bytes]:
    """Small float32 .tflite files (tf.function graphs) and int8 / 16x8 ones (Keras models
    through TFLiteConverter's full-integer path)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    sys.path.insert(0, str(HERE.parent / "importers"))
    from tflite_int8_models import int8_tflite, int16x8_tflite, uniform

    tf.keras.utils.set_random_seed(9)

    def fn(f: Callable[..., Any], *shapes: tuple[int, ...], dtype: Any = tf.float32) -> bytes:
        specs = [tf.TensorSpec(s, dtype) for s in shapes]
        concrete = tf.function(f).get_concrete_function(*specs)
        return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()

    def keras_tflite(model: Any, fp16: bool = False) -> bytes:
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        if fp16:  # float16 weights, DEQUANTIZE ops in front of their readers
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        return converter.convert()

    w = _w(3, 3, 2, 4)
    dw = _w(3, 3, 2, 2)
    nn = tf.nn
    x4 = (1, 6, 6, 2)
    L = tf.keras.layers
    cnn = tf.keras.Sequential([L.Input((8, 8, 2)), L.Conv2D(4, 3, activation="relu"),
                               L.DepthwiseConv2D(3), L.MaxPooling2D(2), L.Flatten(),
                               L.Dense(5), L.Softmax()])
    # No SOFTMAX: it has no 16x8 kernel yet.
    cnn16 = tf.keras.Sequential([L.Input((8, 8, 2)), *cnn.layers[:-1]])
    mix = tf.keras.Sequential([L.Input((6, 6, 2)), L.Conv2D(4, 1), L.UpSampling2D(
        interpolation="bilinear"), L.AveragePooling2D(2), L.ZeroPadding2D(1),
        L.Reshape((-1, 4)), L.GlobalAveragePooling1D()])
    rng = np.random.default_rng(9)
    return {
        "conv": fn(lambda x: nn.relu6(nn.conv2d(x, w, 1, "SAME") + 1.0), x4),
        "depthwise": fn(lambda x: nn.depthwise_conv2d(x, dw, [1, 2, 2, 1], "VALID"), x4),
        "dense": fn(lambda x: tf.matmul(x, _w(8, 3)) + _w(3), (2, 8)),
        "pools": fn(lambda x: nn.max_pool2d(x, 2, 2, "SAME") + nn.avg_pool2d(x, 2, 2, "SAME"),
                    x4),
        "binary": fn(lambda x, y: tf.maximum(x * y - x / (y * y + 1.0), tf.minimum(x, y)),
                     x4, x4),
        "unary": fn(lambda x: tf.sigmoid(nn.leaky_relu(tf.tanh(x), 0.1)) + nn.relu(x), x4),
        "reshape_transpose": fn(lambda x: tf.transpose(tf.reshape(x, (1, 36, 2)), (0, 2, 1)),
                                x4),
        "concat_split": fn(lambda x: tf.concat(tf.split(x, 2, axis=3)[::-1], axis=2), x4),
        "slices": fn(lambda x: x[:, 1:5:2, ::-1, :] + tf.slice(x, [0, 0, 0, 0],
                                                               [1, 2, 6, 2]), x4),
        "pad": fn(lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]), x4),
        "softmax": fn(lambda x: nn.softmax(x) + nn.log_softmax(x), (2, 5)),
        "resize": fn(lambda x: tf.image.resize(x, (9, 12)) +
                     tf.image.resize(x, (9, 12), "nearest"), x4),
        "gather": fn(lambda i: tf.gather(_w(10, 4), i), (3,), dtype=tf.int32),
        "mean_argmax": fn(lambda x: tf.cast(tf.argmax(tf.reduce_mean(x, axis=[1]), axis=-1),
                                            tf.float32), x4),
        "pack_unpack": fn(lambda x: tf.stack(tf.unstack(x, axis=1)[::-1], axis=1), (2, 3, 4)),
        "transpose_conv": fn(lambda x: nn.conv2d_transpose(x, _w(3, 3, 4, 2), (1, 12, 12, 4),
                                                           2, "SAME"), x4),
        "batch_matmul": fn(lambda x, y: tf.matmul(x, y), (2, 3, 4), (2, 4, 5)),
        "misc_unary": fn(lambda x: tf.clip_by_value(x, -1.0, 1.0) + nn.l2_normalize(x, -1) +
                         x * nn.relu6(x + 3.0) / 6.0, x4),
        "sum_squeeze": fn(lambda x: tf.expand_dims(tf.squeeze(tf.reduce_sum(
            x, axis=[1, 2], keepdims=True), axis=[1]), 0), x4),
        "split_v_padv2": fn(lambda x: tf.pad(tf.split(x, [2, 4], axis=1)[1],
                                             [[0, 0], [1, 1], [0, 0], [0, 0]],
                                             constant_values=0.5), x4),
        "prelu": keras_tflite(tf.keras.Sequential([L.Input((6, 6, 2)), L.PReLU()])),
        "fp16_weights": keras_tflite(tf.keras.Sequential([L.Input((6, 6, 2)), L.Conv2D(3, 3),
                                                          L.Flatten(), L.Dense(4)]),
                                     fp16=True),
        "int8_cnn": int8_tflite(tf, cnn, uniform(rng, (8, 8, 2))),
        "int8_mix_float_io": int8_tflite(tf, mix, uniform(rng, (6, 6, 2)),
                                         io_type=tf.float32),
        "int16x8_cnn": int16x8_tflite(tf, cnn16, uniform(rng, (8, 8, 2))),
    }


def built_tflite_seeds() -> dict[str, bytes]:
    """Files TF's converter does not make, built with the schema's object API: sequence
    LSTMs, sparse constants with DENSIFY, MediaPipe's custom ops."""
    sys.path.insert(0, str(HERE.parent / "importers"))
    from tflite_files import seed_files

    return seed_files()


def check_and_write(out: Path, prefix: str, selector: int, seeds: dict[str, bytes]) -> None:
    from emberlite.converter.errors import EmberError
    from fuzz_importers import convert

    for name, data in seeds.items():
        if len(data) > MAX_SEED_BYTES:
            print(f"skipped {prefix}-{name}: {len(data)} bytes (> {MAX_SEED_BYTES})")
            continue
        blob = bytes([selector]) + data
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                convert(blob)
        except EmberError as e:
            print(f"note: seed {prefix}-{name} is refused: {str(e).splitlines()[0]}")
        (out / f"seed-{prefix}-{name}").write_bytes(blob)
    print(f"wrote {len(seeds)} {prefix} seeds to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(HERE / "corpus_importers"))
    parser.add_argument("--onnx-only", action="store_true", help="skip TensorFlow")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    check_and_write(out, "onnx", ONNX, onnx_seeds())
    if not args.onnx_only:
        check_and_write(out, "tflite", TFLITE, tflite_seeds())
        check_and_write(out, "tflite", TFLITE, built_tflite_seeds())


if __name__ == "__main__":
    main()
