"""Host side of the keyword-spotting firmware (examples/mcu/kws/main.c).

usage: prepare.py OUT_DIR

Builds a DS-CNN-shaped keyword-spotting model (the small one of "Hello Edge", Zhang et al. 2017:
49 frames x 10 MFCC features in; a 10x4 stride-2 convolution, four depthwise-separable blocks,
average pooling, a fully connected layer to 12 classes, softmax) as an ONNX graph with random
weights of a fixed seed (it recognises nothing: the example is about the shape of the work and
the bytes), quantizes it to full int8 with int8 input and output, calibrated on the windows of
other random feature streams, and writes into OUT_DIR:
  kws_int8.ember           the model;
  model.c, model.h         `ember export-c`: the model as a const array in flash, the exact arena;
  model_ops.h              the ops it uses (the firmware's library is built with only those);
  kws_data.c, .h           a stream of STREAM_FRAMES feature frames as int8 (the model's input
                           quantization), and the host interpreter's int8 scores for every
                           49-frame window the firmware runs: each time HOP new frames arrived.
The firmware's scores must equal the host's byte for byte.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gen_c import banner, c_array, export_model, write_text  # noqa: E402

from emberlite import Interpreter  # noqa: E402
from emberlite.converter import Converter  # noqa: E402

SEED = 14                          # the streams and the head
BODY_SEED = 15                     # the convolutions' weights
FRAMES, FEATURES = 49, 10          # one window: 49 frames of 10 features (1 s of audio)
CHANNELS, BLOCKS, CLASSES = 64, 4, 12
STREAM_FRAMES, HOP = 120, 10       # the firmware runs the model each time HOP frames arrived
CALIBRATION_STREAMS = 8           # of 8 windows each


class GraphBuilder:
    def __init__(self, rng: np.random.Generator):
        self.rng, self.nodes, self.weights = rng, [], []

    def constant(self, name: str, value: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(value.astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv_bn_relu(self, x: str, name: str, cin: int, cout: int, kernel: tuple[int, int],
                     strides: tuple[int, int], pads: list[int], group: int = 1) -> str:
        """Convolution, batch normalisation (the converter folds it into the convolution) and
        ReLU, with He-scaled weights so activations keep a steady range through the stack."""
        fan_in = cin // group * kernel[0] * kernel[1]
        w = self.rng.normal(0, np.sqrt(2 / fan_in), (cout, cin // group, *kernel))
        conv = self.node("Conv", [x, self.constant(f"{name}_w", w),
                                  self.constant(f"{name}_b", self.rng.normal(0, 0.1, cout))],
                         f"{name}_conv", kernel_shape=list(kernel), strides=list(strides),
                         pads=pads, group=group)
        bn = [self.constant(f"{name}_gamma", self.rng.uniform(0.5, 1.5, cout)),
              self.constant(f"{name}_beta", self.rng.normal(0, 0.2, cout)),
              self.constant(f"{name}_mean", self.rng.normal(0, 0.2, cout)),
              self.constant(f"{name}_var", self.rng.uniform(0.5, 1.5, cout))]
        norm = self.node("BatchNormalization", [conv, *bn], f"{name}_bn", epsilon=1e-5)
        return self.node("Relu", [norm], f"{name}_relu")


def ds_cnn(rng: np.random.Generator, head: tuple[np.ndarray, np.ndarray] | None) -> onnx.ModelProto:
    """The float model; without `head`, only up to the pooled features ([1, CHANNELS])."""
    g = GraphBuilder(rng)
    # 10x4 stride 2 with "same" padding: 49x10 -> 25x5.
    x = g.conv_bn_relu("features", "conv0", 1, CHANNELS, (10, 4), (2, 2), [4, 1, 5, 1])
    for b in range(1, BLOCKS + 1):
        x = g.conv_bn_relu(x, f"dw{b}", CHANNELS, CHANNELS, (3, 3), (1, 1), [1, 1, 1, 1],
                           group=CHANNELS)
        x = g.conv_bn_relu(x, f"pw{b}", CHANNELS, CHANNELS, (1, 1), (1, 1), [0, 0, 0, 0])
    x = g.node("AveragePool", [x], "pool", kernel_shape=[25, 5])
    x = g.node("Flatten", [x], "pooled")
    output = ("pooled", CHANNELS)
    if head is not None:
        x = g.node("Gemm", [x, g.constant("fc_w", head[0]), g.constant("fc_b", head[1])], "fc",
                   transB=1)
        g.nodes.append(helper.make_node("Softmax", [x], ["scores"], name="softmax", axis=-1))
        output = ("scores", CLASSES)
    graph = helper.make_graph(
        g.nodes, "ds_cnn_kws",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 1, FRAMES, FEATURES])],
        [helper.make_tensor_value_info(output[0], TensorProto.FLOAT, [1, output[1]])],
        g.weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="examples/mcu/kws/prepare.py")
    onnx.checker.check_model(model, full_check=True)
    return model


def fitted_head(pooled: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random fully connected weights scaled to the spread of the pooled features over the
    windows (`pooled`: windows x CHANNELS), so that the scores move as the stream does: a
    head of plain random weights on averaged random features gives every window the same
    answer."""
    mean, spread = pooled.mean(0), pooled.std(0) + 1e-3
    weights = rng.normal(0, 2 / np.sqrt(CHANNELS), (CLASSES, CHANNELS)) / spread
    return weights, -weights @ mean


def pooled_features(body: onnx.ModelProto, windows: np.ndarray) -> np.ndarray:
    """The float body's pooled features for each window (Emberlite's float32 kernels)."""
    interp = Interpreter(model_content=Converter.from_onnx(body).convert(), num_threads=1)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    pooled = []
    for window in windows:
        interp.set_tensor(inp["index"], window.reshape(inp["shape"]).astype(np.float32))
        interp.invoke()
        pooled.append(interp.get_tensor(out["index"]).reshape(-1).copy())
    return np.array(pooled)


def feature_stream(rng: np.random.Generator) -> np.ndarray:
    """STREAM_FRAMES x FEATURES: noise smoothed over time, with a few louder bursts, about the
    range of normalised MFCCs."""
    noise = rng.normal(0, 1, (STREAM_FRAMES + 4, FEATURES))
    frames = sum(noise[i:i + STREAM_FRAMES] for i in range(5)) / np.sqrt(5)
    for start in rng.integers(0, STREAM_FRAMES - 20, 4):
        frames[start:start + 20] += rng.normal(0, 1.5, FEATURES)
    return frames.astype(np.float32)


def windows_of(stream: np.ndarray) -> np.ndarray:
    return np.array([stream[end - FRAMES:end] for end in window_ends()])


def window_ends() -> list[int]:
    """The frame count after which the firmware runs the model: once the first window is full,
    then every HOP frames."""
    return list(range(FRAMES, STREAM_FRAMES + 1, HOP))


def host_scores(model: Path, stream: np.ndarray, isa_mask: int | None) -> list[np.ndarray]:
    options = {} if isa_mask is None else {"isa_mask": isa_mask}
    interp = Interpreter(model_path=str(model), num_threads=1, **options)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    scores = []
    for end in window_ends():
        # 49 frames of 10 features are the same bytes as [1, 49, 10, 1] and [1, 1, 49, 10].
        interp.set_tensor(inp["index"], stream[end - FRAMES:end].reshape(inp["shape"]))
        interp.invoke()
        scores.append(interp.get_tensor(out["index"]).reshape(-1).copy())
    return scores


def data_files(out_dir: Path, stream: np.ndarray, scores: list[np.ndarray]) -> None:
    header = "\n".join([
        banner("kws/prepare.py"), "#ifndef KWS_DATA_H", "#define KWS_DATA_H", "",
        "#include <stdint.h>", "",
        "/* A stream of feature frames (int8, the model's input quantization), and the host",
        "   interpreter's int8 scores for each window the firmware runs: the latest",
        "   KWS_WINDOW_FRAMES frames, each time KWS_HOP_FRAMES new ones arrived. */",
        f"#define KWS_STREAM_FRAMES {STREAM_FRAMES}",
        f"#define KWS_FRAME_BYTES {FEATURES}",
        f"#define KWS_WINDOW_FRAMES {FRAMES}",
        f"#define KWS_HOP_FRAMES {HOP}",
        f"#define KWS_WINDOWS {len(scores)}",
        f"#define KWS_CLASSES {CLASSES}",
        "extern const int8_t kws_stream[KWS_STREAM_FRAMES][KWS_FRAME_BYTES];",
        "extern const int8_t kws_host_scores[KWS_WINDOWS][KWS_CLASSES];", "",
        "#endif", ""])
    source = "\n".join([
        banner("kws/prepare.py"), '#include "kws_data.h"', "",
        c_array("const int8_t kws_stream[KWS_STREAM_FRAMES][KWS_FRAME_BYTES]", stream), "",
        c_array("const int8_t kws_host_scores[KWS_WINDOWS][KWS_CLASSES]", np.array(scores)),
        ""])
    write_text(out_dir / "kws_data.h", header)
    write_text(out_dir / "kws_data.c", source)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    # The float stream the firmware hears, and random streams of its kind to calibrate on.
    frames = feature_stream(rng)
    calibration = np.concatenate([windows_of(feature_stream(rng))
                                  for _ in range(CALIBRATION_STREAMS)])
    # The body is built twice from one seed (the same weights): once alone, to fit the head
    # to its features, then with the head.
    pooled = pooled_features(ds_cnn(np.random.default_rng(BODY_SEED), None),
                             np.concatenate([windows_of(frames), calibration]))
    float_model = ds_cnn(np.random.default_rng(BODY_SEED), fitted_head(pooled, rng))
    model = out_dir / "kws_int8.ember"
    Converter.from_onnx(float_model, io_layout="nhwc").quantize(
        "int8", dataset=[w[None, None] for w in calibration], method="minmax",
        io="int8").save(str(model))

    interp = Interpreter(model_path=str(model), num_threads=1)
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    if inp["dtype"] != np.int8 or out["dtype"] != np.int8:
        raise SystemExit(f"expected int8 input and output, got {inp['dtype']} / {out['dtype']}")
    scale, zero_point = inp["quantization"]
    stream = np.clip(np.round(frames / scale) + zero_point, -128, 127).astype(np.int8)
    scores = host_scores(model, stream, None)
    # The Cortex-M kernels must match the reference kernels bit for bit, and so must the host's
    # default ones: a difference here is a host kernel's bug, not the firmware's.
    reference = host_scores(model, stream, 0)
    if any(not np.array_equal(a, b) for a, b in zip(scores, reference)):
        raise SystemExit("the host's default kernels and its reference kernels disagree")
    tops = [int(np.argmax(s)) for s in scores]
    print(f"host: {len(scores)} windows, top classes {tops}")
    export_model(model, out_dir, "kws")
    data_files(out_dir, stream, scores)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
