"""Single int8 layers of the five models, alone in a file: Emberlite vs LiteRT XNNPACK on the
same full-int8 .tflite, to see which kind of layer the whole-model ratios of bench_int8.py come
from.

Each layer is a Keras model of that one layer (its shapes taken from MobileNetV2,
EfficientNet-B0 and ResNet18), converted by TFLiteConverter to full int8 (int8 input and
output, a representative dataset of random inputs) and by Emberlite from that .tflite. The
timing is bench_int8.py's: interleaved rounds after a busy wait, one process, --threads
threads. Per layer: LiteRT XNNPACK's and Emberlite's median (p10-p90), their ratio, the
outputs per second Emberlite makes, and whether the two outputs agree within 1 LSB (XNNPACK's
requantization is not LiteRT's reference one, so a few differ by 1).

    .venv/bin/python bench/bench_layers_int8.py [--threads 1] [--rounds 15]
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench_float import OUT, emberlite_runner, litert_runner, stats
from bench_int8 import full_int8_tflite, interleave
from bench_mobilenet import cpu_name  # bench/ is on sys.path

# name -> (input shape NHWC without batch, layer description); the layer's Keras form is made
# by keras_layer.
LAYERS: dict[str, tuple[tuple[int, int, int], str]] = {
    "stem 3x3 s2 3->32 relu6": ((224, 224, 3), "conv:32:3:2:relu6"),
    "expand 1x1 16->96 relu6": ((112, 112, 16), "conv:96:1:1:relu6"),
    "expand 1x1 24->144 relu6": ((56, 56, 24), "conv:144:1:1:relu6"),
    "project 1x1 144->24": ((56, 56, 144), "conv:24:1:1:none"),
    "conv 3x3 64->64 relu": ((56, 56, 64), "conv:64:3:1:relu"),
    "depthwise 3x3 s1 relu6": ((56, 56, 144), "dw:3:1:relu6"),
    "depthwise 3x3 s2 relu6": ((112, 112, 96), "dw:3:2:relu6"),
    "depthwise 5x5 s1": ((28, 28, 240), "dw:5:1:none"),
    "mul by a channel vector": ((56, 56, 144), "mul"),
    "add of two branches": ((56, 56, 24), "add"),
}


def activation(tf: Any, name: str) -> Any:
    layers = tf.keras.layers
    return {"relu6": layers.ReLU(6.0), "relu": layers.ReLU(), "none": layers.Identity()}[name]


def keras_layer(shape: tuple[int, int, int], spec: str) -> Any:
    import tensorflow as tf

    rng = np.random.default_rng(7)
    x = tf.keras.Input(shape)
    kind, *args = spec.split(":")
    if kind == "conv":
        filters, k, s, act = int(args[0]), int(args[1]), int(args[2]), args[3]
        y = tf.keras.layers.Conv2D(filters, k, s, padding="same")(x)
        y = activation(tf, act)(y)
    elif kind == "dw":
        k, s, act = int(args[0]), int(args[1]), args[2]
        y = tf.keras.layers.DepthwiseConv2D(k, s, padding="same")(x)
        y = activation(tf, act)(y)
    elif kind == "mul":
        y = x * rng.uniform(0.0, 1.0, (1, 1, 1, shape[-1])).astype(np.float32)
    else:  # add: two 1x1 branches of the input, summed (a residual)
        y = tf.keras.layers.Conv2D(shape[-1], 1)(x) + tf.keras.layers.Conv2D(shape[-1], 1)(x)
    return tf.keras.Model(x, y)


def export(shape: tuple[int, int, int], spec: str, path: Path) -> None:
    rng = np.random.default_rng(0)

    def representative():
        for _ in range(16):
            yield [rng.uniform(-1.0, 1.0, (1, *shape)).astype(np.float32)]

    path.write_bytes(full_int8_tflite(keras_layer(shape, spec), representative))


def files(shape: tuple[int, int, int], spec: str) -> tuple[Path, Path]:
    from emberlite.converter import Converter

    stem = OUT / "layers" / spec.replace(":", "_")
    tflite, ember = stem.with_suffix(".tflite"), stem.with_suffix(".ember")
    stem.parent.mkdir(parents=True, exist_ok=True)
    if not tflite.exists():
        with contextlib.redirect_stdout(sys.stderr):  # TensorFlow prints what it saved
            export(shape, spec, tflite)
    if not ember.exists() or ember.stat().st_mtime < tflite.stat().st_mtime:
        Converter.from_tflite(str(tflite)).save(str(ember))
    return tflite, ember


def bench_layer(name: str, args: argparse.Namespace) -> dict[str, Any]:
    shape, spec = LAYERS[name]
    tflite, ember = files(shape, spec)
    x = np.random.default_rng(1).integers(-128, 128, (1, *shape), dtype=np.int8)
    runners = {"litert": litert_runner(tflite, x, args.threads),
               "emberlite": emberlite_runner(ember, x, args.threads)}
    interleave(runners, {}, args.warmup, args.rounds, args.per_round)
    ours, theirs = (runners[k].output().astype(np.int32) for k in ("emberlite", "litert"))
    entry = {k: stats(r.times) for k, r in runners.items()}
    outputs = int(np.prod(ours.shape))
    entry.update(layer=name, shape=list(shape), outputs=outputs,
                 ratio=entry["emberlite"]["median_ms"] / entry["litert"]["median_ms"],
                 within_1=float(np.mean(np.abs(ours - theirs) <= 1)),
                 g_outputs_s=outputs / entry["emberlite"]["median_ms"] / 1e6)
    return entry


def _cell(s: dict[str, float]) -> str:
    return f"{s['median_ms']:.3f} ({s['p10_ms']:.3f}-{s['p90_ms']:.3f})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", help="layers whose name contains this")
    args = parser.parse_args(argv)
    print(f"{cpu_name()}, {args.threads} thread(s), {args.rounds} rounds x {args.per_round}\n")
    print("| layer | input | LiteRT XNNPACK ms | Emberlite ms | x LiteRT | Emberlite "
          "G outputs/s | within 1 LSB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in LAYERS:
        if args.only and args.only not in name:
            continue
        e = bench_layer(name, args)
        shape = "x".join(map(str, e["shape"]))
        print(f"| {name} | {shape} | {_cell(e['litert'])} | {_cell(e['emberlite'])} | "
              f"{e['ratio']:.2f} | {e['g_outputs_s']:.2f} | {e['within_1']:.1%} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
