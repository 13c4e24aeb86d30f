"""float32 at 224x224, batch 1: Emberlite vs LiteRT (XNNPACK) on the same .tflite and vs ONNX
Runtime on the same .onnx, 1 and 2 threads, interleaved in one process; cold start and RSS.

Five models, built here with random weights (no download): MobileNetV2, MobileNetV3-Large,
ResNet18, ResNet50 and EfficientNet-B0. BatchNorm statistics are those of random batches (a
train-mode pass), so activations keep a realistic scale through the network.

- LiteRT side: Keras applications (MobileNetV2, MobileNetV3Large, ResNet50, EfficientNetB0;
  ResNet18 built here layer by layer), converted by TFLiteConverter; Emberlite converts that
  very .tflite, LiteRT runs it.
- ONNX side: the torchvision models exported to ONNX (opset 17); Emberlite converts that .onnx,
  ONNX Runtime runs it.

TensorFlow and PyTorch each run in a subprocess of their own (importing both in one process
can crash), and the timing process imports neither. Timing: every runtime of a model and
thread count gets warm-up calls, then --rounds rounds in which each runtime in turn times
--per-round calls (set the input, invoke), the order rotating each round, so that load from
the rest of the machine falls on all of them alike. Reported: median and p10-p90 per runtime,
Emberlite's median over the peer's per model and their geometric mean, the outputs' max
relative difference, and Emberlite's % of the cores' peak. Cold start: in a fresh process per
runtime, the time from just before the interpreter is created (file on disk, Python and the
runtime already imported) to the first result, and the growth of peak RSS over that span
(median of --cold-repeats processes). Writes bench/out/float32.json and float32.png (--quick:
float32_quick.*) and prints a markdown table for bench/RESULTS.md.

    make bench
    .venv/bin/python bench/bench_float.py                  # all five models, ~15 min
    .venv/bin/python bench/bench_float.py --quick          # 112x112, two models, few rounds
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench_mobilenet import cpu_name  # bench/ is on sys.path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
OUT = Path(__file__).resolve().parent / "out"
MODELS = ("mobilenet_v2", "mobilenet_v3_large", "resnet18", "resnet50", "efficientnet_b0")
TITLES = {"mobilenet_v2": "MobileNetV2", "mobilenet_v3_large": "MobileNetV3-Large",
          "resnet18": "ResNet18", "resnet50": "ResNet50", "efficientnet_b0": "EfficientNet-B0"}
# Keras's MobileNetV3 and EfficientNet include their preprocessing (a rescale of 0..255).
KERAS_INPUT_RANGE = {"mobilenet_v3_large": (0.0, 255.0), "efficientnet_b0": (0.0, 255.0)}
TO_NHWC = (0, 2, 3, 1)
# A max relative output difference above this is flagged: a wrong result, not rounding.
DISAGREE = 1e-3
# fp32 FLOP per cycle of one core: two 256-bit FMA pipes (Zen 3/4, Intel since Haswell).
FLOP_PER_CYCLE = 32


# -- building the models (each in a subprocess of its own) ------------------------------------

def _keras_resnet18(tf: Any, size: int) -> Any:
    layers = tf.keras.layers

    def conv_bn(x: Any, filters: int, kernel: int, stride: int, relu: bool) -> Any:
        if stride > 1:  # torchvision's symmetric padding, not "same"'s bottom/right one
            x = layers.ZeroPadding2D(kernel // 2)(x)
        x = layers.Conv2D(filters, kernel, stride, "valid" if stride > 1 else "same",
                          use_bias=False)(x)
        x = layers.BatchNormalization(epsilon=1e-5)(x)
        return layers.ReLU()(x) if relu else x

    inp = tf.keras.Input((size, size, 3))
    x = conv_bn(inp, 64, 7, 2, True)
    x = layers.MaxPooling2D(3, 2)(layers.ZeroPadding2D(1)(x))
    for stage, filters in enumerate((64, 128, 256, 512)):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            shortcut = conv_bn(x, filters, 1, stride, False) if stride > 1 else x
            y = conv_bn(x, filters, 3, stride, True)
            y = conv_bn(y, filters, 3, 1, False)
            x = layers.ReLU()(layers.Add()([y, shortcut]))
    x = layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inp, layers.Dense(1000)(x), name="resnet18")


def export_keras(name: str, size: int, path: Path) -> None:
    """The Keras model `name` (keras_model) converted to a float32 .tflite at `path`."""
    import tensorflow as tf

    model = keras_model(name, size)
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())


def keras_model(name: str, size: int) -> Any:
    """The Keras model `name` with random weights and BatchNorm statistics of random batches
    (bench_int8 quantizes the same model)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    apps = tf.keras.applications
    shape = (size, size, 3)
    build = {"mobilenet_v2": apps.MobileNetV2, "mobilenet_v3_large": apps.MobileNetV3Large,
             "resnet50": apps.ResNet50, "efficientnet_b0": apps.EfficientNetB0}
    if name == "resnet18":
        model = _keras_resnet18(tf, size)
    else:
        model = build[name](weights=None, input_shape=shape, classifier_activation=None)
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            layer.momentum = 0.0  # the moving statistics become those of the batch below
    model(random_input(name, "keras", (8, *shape)), training=True)
    return model


def export_torch(name: str, size: int, path: Path) -> None:
    """torchvision's `name` with random weights and BatchNorm statistics averaged over random
    batches, exported to ONNX opset 17 at `path`."""
    import warnings

    import torch
    import torchvision

    torch.manual_seed(0)
    net = getattr(torchvision.models, name)(weights=None)
    for m in net.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None  # a cumulative average of the batches' statistics
    net.train()
    with torch.no_grad():
        for seed in range(2):
            net(torch.from_numpy(random_input(name, "torch", (8, 3, size, size), seed)))
    net.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, size, size),), str(path), opset_version=17,
                          input_names=["input"], output_names=["logits"], dynamo=False)


def random_input(name: str, side: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    low, high = KERAS_INPUT_RANGE.get(name, (-1.0, 1.0)) if side == "keras" else (-1.0, 1.0)
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def build_files(name: str, size: int, rebuild: bool) -> dict[str, Path]:
    """The .tflite and .onnx of a model and the .ember Emberlite converts from each (made once
    per size; --rebuild makes them again)."""
    import emberlite.converter
    from emberlite.converter import Converter

    stem = OUT / f"{name}_{size}"
    files = {"tflite": stem.with_suffix(".tflite"), "onnx": stem.with_suffix(".onnx"),
             "ember_tflite": Path(f"{stem}_tflite.ember"),
             "ember_onnx": Path(f"{stem}_onnx.ember")}
    for kind, flag in (("tflite", "--export-keras"), ("onnx", "--export-torch")):
        if rebuild or not files[kind].exists():
            # TensorFlow and PyTorch talk a lot: their output goes to a log, shown on failure.
            log = Path(f"{stem}_{kind}.log")
            with log.open("w") as f:
                done = subprocess.run([sys.executable, __file__, flag, name, str(size),
                                       str(files[kind])], stdout=f, stderr=subprocess.STDOUT)
            if done.returncode != 0:
                sys.exit(f"building {files[kind].name} failed:\n{log.read_text()[-3000:]}")
    # Converted again when the source file or the converter is newer than the .ember.
    package = Path(emberlite.converter.__file__).parent
    newest = max(f.stat().st_mtime for f in package.rglob("*.py"))
    for src, dst in (("tflite", "ember_tflite"), ("onnx", "ember_onnx")):
        if rebuild or not files[dst].exists() or \
                files[dst].stat().st_mtime < max(files[src].stat().st_mtime, newest):
            convert = Converter.from_tflite if src == "tflite" else Converter.from_onnx
            convert(str(files[src])).save(str(files[dst]))
    return files


# -- runtimes: one interface, set the input and invoke ---------------------------------------

class Runner:
    """One runtime on one file: call() sets the input and invokes; output() reads the result."""

    def __init__(self, label: str, create: Any, call: Any, output: Any):
        self.label, self.call, self.output = label, call, output
        self.handle = create()
        self.times: list[float] = []


def emberlite_runner(path: Path, x_nchw: np.ndarray, threads: int) -> Runner:
    from emberlite import Interpreter

    state: dict[str, Any] = {}

    def create() -> Any:
        interp = Interpreter(model_path=path, num_threads=threads)
        interp.allocate_tensors()
        (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
        nhwc = tuple(inp["shape"]) != x_nchw.shape
        state.update(interp=interp, inp=inp["index"], out=out["index"],
                     x=np.ascontiguousarray(x_nchw.transpose(TO_NHWC) if nhwc else x_nchw))
        return interp

    def call() -> None:
        state["interp"].set_tensor(state["inp"], state["x"])
        state["interp"].invoke()

    return Runner("emberlite", create, call, lambda: state["interp"].get_tensor(state["out"]))


def litert_runner(path: Path, x_nhwc: np.ndarray, threads: int) -> Runner:
    from ai_edge_litert.interpreter import Interpreter

    state: dict[str, Any] = {}

    def create() -> Any:
        interp = Interpreter(model_path=str(path), num_threads=threads)
        interp.allocate_tensors()
        state.update(interp=interp, inp=interp.get_input_details()[0]["index"],
                     out=interp.get_output_details()[0]["index"])
        return interp

    def call() -> None:
        state["interp"].set_tensor(state["inp"], x_nhwc)
        state["interp"].invoke()

    return Runner("litert", create, call, lambda: state["interp"].get_tensor(state["out"]))


def ort_runner(path: Path, x_nchw: np.ndarray, threads: int) -> Runner:
    import onnxruntime as ort

    state: dict[str, Any] = {}

    def create() -> Any:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        state.update(session=session, feed={session.get_inputs()[0].name: x_nchw})
        return session

    def call() -> None:
        state["last"] = state["session"].run(None, state["feed"])[0]

    return Runner("onnxruntime", create, call, lambda: state["last"])


# -- timing -----------------------------------------------------------------------------------

# Before each runtime's turn the previous one's workers must have stopped spinning: ONNX
# Runtime's spin about 40 ms after a run and, on 2 cores, take one from whoever runs next (its
# 2-thread turn then ran 40% slower). The wait is busy, not a sleep: with both cores idle for
# tens of ms the virtual machine parks them, and every runtime's next turn ran ~50% slower.
SETTLE_SECONDS = 0.1


def settle() -> None:
    end = time.perf_counter() + SETTLE_SECONDS
    while time.perf_counter() < end:
        pass


def interleave(runners: list[Runner], warmup: int, rounds: int, per_round: int) -> None:
    for runner in runners:
        for _ in range(warmup):
            runner.call()
    for r in range(rounds):
        for runner in runners[r % len(runners):] + runners[:r % len(runners)]:
            settle()
            for _ in range(per_round):
                start = time.perf_counter()
                runner.call()
                runner.times.append(time.perf_counter() - start)


def stats(times: list[float]) -> dict[str, float]:
    ms = np.asarray(times) * 1e3
    return {"median_ms": float(np.median(ms)), "p10_ms": float(np.percentile(ms, 10)),
            "p90_ms": float(np.percentile(ms, 90)), "min_ms": float(ms.min()), "n": len(ms)}


def max_rel_diff(ours: np.ndarray, ref: np.ndarray) -> float:
    scale = float(np.abs(ref).max()) or 1.0
    return float(np.abs(ours.astype(np.float64) - ref).max()) / scale


def model_flops(path: Path) -> int:
    """FLOPs of one invoke of an .ember file: its CONV2D, DEPTHWISE_CONV2D, FULLY_CONNECTED,
    BATCH_MATMUL and TRANSPOSE_CONV2D nodes, counted from their shapes as `ember bench`."""
    from emberlite import Interpreter
    from emberlite.cli import node_flops

    interp = Interpreter(model_path=path)
    shapes = [d["shape"].tolist() for d in interp.get_tensor_details()]
    total = 0
    for i, op in enumerate(interp.node_ops()):
        ins = [shapes[t] if t is not None else [] for t in interp.node_inputs(i)]
        outs = [shapes[t] for t in interp.node_outputs(i)]
        total += node_flops(op, ins, outs) or 0
    return total


def emberlite_variants(path: Path) -> dict[str, int]:
    from collections import Counter

    from emberlite import Interpreter

    interp = Interpreter(model_path=path)
    interp.allocate_tensors()
    return dict(Counter(f"{op}:{v}" for op, v in zip(interp.node_ops(),
                                                      interp.node_variants())))


def bench_model(name: str, files: dict[str, Path], size: int, args: argparse.Namespace
                ) -> dict[str, Any]:
    x_keras = random_input(name, "keras", (1, size, size, 3), seed=7)
    x_torch = random_input(name, "torch", (1, 3, size, size), seed=7)
    result: dict[str, Any] = {"model": name, "flops_tflite": model_flops(files["ember_tflite"]),
                              "flops_onnx": model_flops(files["ember_onnx"]),
                              "bytes": {k: v.stat().st_size for k, v in files.items()},
                              "variants": emberlite_variants(files["ember_tflite"]),
                              "threads": {}}
    for threads in args.threads:
        # Emberlite reads the .tflite-converted file with NHWC input, like LiteRT.
        pairs = {"tflite": (emberlite_runner(files["ember_tflite"],
                                             x_keras.transpose(0, 3, 1, 2), threads),
                            litert_runner(files["tflite"], x_keras, threads)),
                 "onnx": (emberlite_runner(files["ember_onnx"], x_torch, threads),
                          ort_runner(files["onnx"], x_torch, threads))}
        runners = [r for pair in pairs.values() for r in pair]
        interleave(runners, args.warmup, args.rounds, args.per_round)
        entry: dict[str, Any] = {}
        for side, (ours, peer) in pairs.items():
            a, b = stats(ours.times), stats(peer.times)
            flops = result[f"flops_{side}"]
            entry[side] = {"emberlite": a, peer.label: b, "ratio": a["median_ms"] /
                           b["median_ms"], "max_rel_diff": max_rel_diff(ours.output(),
                                                                        peer.output()),
                           "emberlite_peak_pct": 100 * flops / (a["median_ms"] * 1e6) /
                           (args.peak_gflops * threads),
                           "peer_peak_pct": 100 * flops / (b["median_ms"] * 1e6) /
                           (args.peak_gflops * threads)}
        result["threads"][str(threads)] = entry
        print_model_line(name, threads, entry)
        del pairs, runners
    return result


def print_model_line(name: str, threads: int, entry: dict[str, Any]) -> None:
    parts = []
    for side, peer in (("tflite", "litert"), ("onnx", "onnxruntime")):
        e = entry[side]
        parts.append(f"{peer} {e[peer]['median_ms']:.2f} ms, emberlite "
                     f"{e['emberlite']['median_ms']:.2f} ms (x{e['ratio']:.2f}, diff "
                     f"{e['max_rel_diff']:.1e})")
    bad = [side for side in ("tflite", "onnx") if entry[side]["max_rel_diff"] > DISAGREE]
    warn = f"  !! outputs disagree ({', '.join(bad)})" if bad else ""
    print(f"  {TITLES[name]:18} {threads}T: " + "; ".join(parts) + warn, flush=True)


# -- cold start, in fresh processes -----------------------------------------------------------

def _vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cold_child(runtime: str, path: str, threads: int) -> None:
    """In a fresh process: prints JSON with the ms from just before the interpreter is created
    to its first result (wall clock, and the process's CPU time), and the growth of peak RSS
    (VmHWM) over that span, in KiB."""
    import onnxruntime as ort  # imported before the clock starts, as is every runtime
    from ai_edge_litert.interpreter import Interpreter as LiteRT

    from emberlite import Interpreter as Ember

    x_nhwc = np.zeros((1, 1, 1, 1), np.float32)  # replaced once the shape is known below
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass
    rss0 = _vm_kib("VmRSS")
    start, cpu_start = time.perf_counter(), time.process_time()
    if runtime == "emberlite":
        interp = Ember(model_path=path, num_threads=threads)
        interp.allocate_tensors()
        d = interp.get_input_details()[0]
        x_nhwc = np.zeros(tuple(d["shape"]), np.float32)
        interp.set_tensor(d["index"], x_nhwc)
        interp.invoke()
    elif runtime == "litert":
        interp = LiteRT(model_path=path, num_threads=threads)
        interp.allocate_tensors()
        d = interp.get_input_details()[0]
        x_nhwc = np.zeros(tuple(d["shape"]), np.float32)
        interp.set_tensor(d["index"], x_nhwc)
        interp.invoke()
    else:
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        d = session.get_inputs()[0]
        session.run(None, {d.name: np.zeros(d.shape, np.float32)})
    ms = (time.perf_counter() - start) * 1e3
    cpu_ms = (time.process_time() - cpu_start) * 1e3  # steadier than ms on a shared machine
    print(json.dumps({"ms": ms, "cpu_ms": cpu_ms, "rss_growth_kib": _vm_kib("VmHWM") - rss0}))


def cold_start(files: dict[str, Path], repeats: int) -> dict[str, Any]:
    """Median over `repeats` fresh processes per runtime, the runtimes interleaved in each
    round so that a change in the machine's load hits them alike."""
    sides = (("emberlite (.tflite)", "emberlite", "ember_tflite"), ("litert", "litert", "tflite"),
             ("emberlite (.onnx)", "emberlite", "ember_onnx"),
             ("onnxruntime", "onnxruntime", "onnx"))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in sides}
    for _ in range(repeats):
        for label, runtime, key in sides:
            done = subprocess.run([sys.executable, __file__, "--cold", runtime,
                                   str(files[key]), "1"], check=True, capture_output=True,
                                  text=True)
            runs[label].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {label: {"ms": float(np.median([r["ms"] for r in rs])),
                    "rss_growth_mib": float(np.median([r["rss_growth_kib"] for r in rs])) / 1024}
            for label, rs in runs.items()}


# -- report -----------------------------------------------------------------------------------

def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def _diff(entry: dict[str, Any]) -> str:
    text = f"{entry['max_rel_diff']:.1e}"
    return f"**{text} (wrong)**" if entry["max_rel_diff"] > DISAGREE else text


def markdown(results: list[dict[str, Any]], cold: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [f"Command: `{meta['command']}`", "",
             f"Machine: {meta['cpu']}, {meta['cores']} cores, {meta['machine']}; "
             f"load average before the run {meta['load_before']}, after {meta['load_after']}. "
             f"Emberlite {meta['emberlite']}, LiteRT (ai-edge-litert) {meta['litert']}, ONNX "
             f"Runtime {meta['onnxruntime']}. {meta['size']}x{meta['size']}, float32, batch 1; "
             f"median of {meta['rounds']} interleaved rounds x {meta['per_round']} calls "
             f"(p10-p90 in brackets); x = Emberlite / peer; % peak at "
             f"{meta['peak_gflops']:.0f} GFLOP/s per core.", ""]
    lines += ["| model | threads | LiteRT ms | Emberlite (.tflite) ms | x LiteRT | "
              "ONNX Runtime ms | Emberlite (.onnx) ms | x ORT | Emberlite % peak | max rel diff |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(s: dict[str, float]) -> str:
        return f"{s['median_ms']:.2f} ({s['p10_ms']:.2f}-{s['p90_ms']:.2f})"

    for threads in meta["threads"]:
        for r in results:
            e = r["threads"][str(threads)]
            t, o = e["tflite"], e["onnx"]
            lines.append(f"| {TITLES[r['model']]} | {threads} | {cell(t['litert'])} | "
                         f"{cell(t['emberlite'])} | {t['ratio']:.2f} | {cell(o['onnxruntime'])} "
                         f"| {cell(o['emberlite'])} | {o['ratio']:.2f} | "
                         f"{t['emberlite_peak_pct']:.0f}% | {_diff(t)} / {_diff(o)} |")
        lit = geomean([r["threads"][str(threads)]["tflite"]["ratio"] for r in results])
        ort = geomean([r["threads"][str(threads)]["onnx"]["ratio"] for r in results])
        lines.append(f"| **geometric mean** | {threads} | | | **{lit:.2f}** | | | "
                     f"**{ort:.2f}** | | |")
    if cold:
        lines += ["", "Cold start (fresh process, 1 thread: create to first result, Python and "
                  "imports excluded; median of the processes) and peak RSS growth over it:", "",
                  "| model | runtime | ms | peak RSS growth MiB |", "|---|---|---:|---:|"]
        for name, per in cold.items():
            for label, c in per.items():
                lines.append(f"| {TITLES[name]} | {label} | {c['ms']:.1f} | "
                             f"{c['rss_growth_mib']:.1f} |")
    return "\n".join(lines)


def chart(results: list[dict[str, Any]], threads: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [("litert", "tflite", "LiteRT (XNNPACK)"), ("emberlite", "tflite",
                                                          "Emberlite (.tflite)"),
              ("onnxruntime", "onnx", "ONNX Runtime"), ("emberlite", "onnx",
                                                        "Emberlite (.onnx)")]
    fig, axes = plt.subplots(1, len(threads), figsize=(7 * len(threads), 4.5), squeeze=False)
    width = 0.8 / len(series)
    for ax, t in zip(axes[0], threads):
        xs = np.arange(len(results))
        for k, (runtime, side, label) in enumerate(series):
            s = [r["threads"][str(t)][side][runtime] for r in results]
            med = np.array([v["median_ms"] for v in s])
            err = np.array([[v["median_ms"] - v["p10_ms"] for v in s],
                            [v["p90_ms"] - v["median_ms"] for v in s]])
            ax.bar(xs + (k - 1.5) * width, med, width, yerr=err, capsize=2, label=label)
        ax.set_xticks(xs, [TITLES[r["model"]] for r in results], rotation=20, fontsize=8)
        ax.set_yscale("log")  # ResNet50 is 15x MobileNetV3: a linear axis hides the small ones
        ax.set_ylabel("latency, ms (median, p10-p90; log scale)")
        ax.set_title(f"float32, batch 1, {t} thread{'s' if t > 1 else ''}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    import emberlite
    return {"emberlite": emberlite.runtime_version(), "litert": version("ai-edge-litert"),
            "onnxruntime": version("onnxruntime")}


def cpu_mhz() -> float:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":", 1)[1])
    except (OSError, ValueError):
        pass
    return 3000.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--size", type=int, default=224, help="input height and width")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    p.add_argument("--per-round", type=int, default=3, help="timed calls per runtime per round")
    p.add_argument("--warmup", type=int, default=3, help="untimed calls per runtime first")
    p.add_argument("--cold-repeats", type=int, default=3,
                   help="fresh processes per runtime for the cold start (0: skip it)")
    p.add_argument("--cold-models", nargs="+", choices=MODELS, default=list(MODELS),
                   help="models whose cold start is measured")
    p.add_argument("--peak-gflops", type=float, default=None,
                   help="fp32 GFLOP/s of one core for '%% of peak' (default: 32 FLOP/cycle x "
                        "the clock in /proc/cpuinfo)")
    p.add_argument("--rebuild", action="store_true", help="build and convert the models again")
    p.add_argument("--quick", action="store_true",
                   help="development run: 112x112, MobileNetV2 and ResNet18, 4 rounds, one "
                        "cold start each")
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.rounds, args.per_round, args.warmup = 112, 4, 2, 1
        args.cold_repeats = min(args.cold_repeats, 1)
        if args.models == list(MODELS):
            args.models = ["mobilenet_v2", "resnet18"]
        args.cold_models = [m for m in args.cold_models if m in args.models]
    if args.peak_gflops is None:
        args.peak_gflops = FLOP_PER_CYCLE * cpu_mhz() / 1e3
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["--export-keras"]:
        export_keras(argv[1], int(argv[2]), Path(argv[3]))
        return 0
    if argv[:1] == ["--export-torch"]:
        export_torch(argv[1], int(argv[2]), Path(argv[3]))
        return 0
    if argv[:1] == ["--cold"]:
        cold_child(argv[1], argv[2], int(argv[3]))
        return 0
    args = parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in args.models:
        start = time.perf_counter()
        files[name] = build_files(name, args.size, args.rebuild)
        print(f"{TITLES[name]}: files ready in {time.perf_counter() - start:.1f} s", flush=True)
    meta = {"command": " ".join([".venv/bin/python", "bench/bench_float.py", *argv]),
            "cpu": cpu_name(), "cores": os.cpu_count(), "machine": platform.machine(),
            "load_before": f"{os.getloadavg()[0]:.1f}", "size": args.size,
            "threads": args.threads, "rounds": args.rounds, "per_round": args.per_round,
            "peak_gflops": args.peak_gflops, **_versions()}
    print(f"timing: {meta['cpu']}, {meta['cores']} cores, load {meta['load_before']}",
          flush=True)
    results = [bench_model(name, files[name], args.size, args) for name in args.models]
    cold = {}
    if args.cold_repeats > 0:
        for name in args.cold_models:
            cold[name] = cold_start(files[name], args.cold_repeats)
            print(f"  cold {TITLES[name]}: " + ", ".join(
                f"{k} {v['ms']:.1f} ms / +{v['rss_growth_mib']:.1f} MiB"
                for k, v in cold[name].items()), flush=True)
    meta["load_after"] = f"{os.getloadavg()[0]:.1f}"
    table = markdown(results, cold, meta)
    # A --quick run keeps its own files, so that it never overwrites a full run's.
    stem = OUT / ("float32_quick" if args.quick else "float32")
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results,
                                                     "cold_start": cold}, indent=2))
    chart(results, args.threads, stem.with_suffix(".png"))
    print("\n" + table)
    print(f"\nwrote {stem}.json and {stem}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
