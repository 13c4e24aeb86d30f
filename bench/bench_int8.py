"""Full-int8 at 224x224, batch 1: Emberlite vs LiteRT (XNNPACK, and its reference kernels) on
the same .tflite, Emberlite int8 vs its own float32, and ONNX Runtime's QDQ int8, 1 and 2
threads, interleaved in one process.

The five models of bench_float.py (MobileNetV2, MobileNetV3-Large, ResNet18, ResNet50,
EfficientNet-B0), built by its builders with the same random weights and BatchNorm statistics
of random batches (so activations keep their scale and the int8 ranges mean something):

- int8 .tflite: the Keras model through TFLiteConverter, Optimize.DEFAULT, a representative
  dataset of --calibration random inputs, TFLITE_BUILTINS_INT8, int8 input and output.
  Emberlite converts that very file; LiteRT runs it with its default kernels (XNNPACK) and with
  its reference kernels (BUILTIN_REF, the int8 oracle: one thread, every --ref-every-th round,
  one call, as it is slow). Emberlite's output bytes must equal BUILTIN_REF's, at 1 and 2
  threads.
- Emberlite float32: the float .tflite bench_float.py makes from the same Keras model.
- ONNX Runtime QDQ int8: the torchvision .onnx of bench_float.py through onnxruntime's
  quantize_static (QDQ, int8 activations and per-channel int8 weights, a small random
  calibration reader); Emberlite converts the QDQ .onnx too where its converter accepts it
  (the report says when it does not).

Timing as in bench_float.py: warm-up calls, then --rounds rounds in which each runtime in turn
times --per-round calls (set the input, invoke), the order rotating, after a busy wait.
Reported per model: median and p10-p90, Emberlite int8's and the others' ratio to LiteRT
XNNPACK, Emberlite int8 over Emberlite float32, whether Emberlite's output bytes equal
BUILTIN_REF's, and geometric means. Writes bench/out/int8.json and bench/int8.png (--quick:
bench/out/int8_quick.*) and prints a markdown section for bench/RESULTS.md.

    make bench-int8
    .venv/bin/python bench/bench_int8.py                  # all five models
    .venv/bin/python bench/bench_int8.py --quick          # 112x112, two models, few rounds
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench_float import (MODELS, OUT, TITLES, Runner, build_files, emberlite_runner,
                         emberlite_variants, geomean, keras_model, litert_runner, ort_runner,
                         random_input, settle, stats, _versions)
from bench_mobilenet import cpu_name  # bench/ is on sys.path

CHART = Path(__file__).resolve().parent / "int8.png"
# Series of the table and chart: key -> label.
SERIES = {"litert": "LiteRT XNNPACK int8", "emberlite": "Emberlite int8",
          "emberlite_f32": "Emberlite float32", "litert_ref": "LiteRT BUILTIN_REF int8",
          "ort_qdq": "ONNX Runtime QDQ int8", "emberlite_qdq": "Emberlite (QDQ .onnx)"}


# -- the int8 files (TensorFlow and onnxruntime.quantization in subprocesses) -----------------

def full_int8_tflite(model: Any, representative: Any) -> bytes:
    """A Keras model through TFLiteConverter as a full-int8 .tflite (int8 input and output),
    calibrated on what `representative()` yields."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    return converter.convert()


def export_int8(name: str, size: int, samples: int, path: Path) -> None:
    """bench_float's Keras model `name` as a full-int8 .tflite at `path`, calibrated on
    `samples` random inputs."""
    def representative():
        for seed in range(samples):
            yield [random_input(name, "keras", (1, size, size, 3), seed=100 + seed)]

    path.write_bytes(full_int8_tflite(keras_model(name, size), representative))


def export_qdq(name: str, size: int, samples: int, src: Path, dst: Path) -> None:
    """The float .onnx at `src` quantized by ONNX Runtime to QDQ int8 at `dst` (int8
    activations, per-channel int8 weights), calibrated on `samples` random inputs."""
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    input_name = onnx.load(str(src), load_external_data=False).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.samples = iter(range(samples))

        def get_next(self) -> dict[str, np.ndarray] | None:
            seed = next(self.samples, None)
            if seed is None:
                return None
            return {input_name: random_input(name, "torch", (1, 3, size, size), 100 + seed)}

    quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    per_channel=True)


def _subprocess(args: list[str], log: Path, what: str) -> None:
    # TensorFlow and ONNX Runtime talk a lot: their output goes to a log, shown on failure.
    with log.open("w") as f:
        done = subprocess.run([sys.executable, __file__, *args], stdout=f,
                              stderr=subprocess.STDOUT)
    if done.returncode != 0:
        sys.exit(f"building {what} failed:\n{log.read_text()[-3000:]}")


def _stale(dst: Path, src: Path) -> bool:
    import emberlite.converter

    package = Path(emberlite.converter.__file__).parent
    newest = max(f.stat().st_mtime for f in package.rglob("*.py"))
    return not dst.exists() or dst.stat().st_mtime < max(src.stat().st_mtime, newest)


def _refusal(e: Exception) -> str:
    """The converter's error in one line: its first line, then each distinct op and reason."""
    text = str(e)
    reasons = dict.fromkeys(m.group(1) for m in re.finditer(r"\((\w+)\): ([^\n]*)", text))
    return f"{type(e).__name__}: {text.splitlines()[0].rstrip(':')}" + \
        (f" ({'; '.join(reasons)})" if reasons else "")


def build_int8_files(name: str, size: int, samples: int, rebuild: bool
                     ) -> tuple[dict[str, Path], str | None]:
    """bench_float's files of the model plus its int8 .tflite, QDQ .onnx and their .ember
    conversions (made once per size). Returns the files and, when Emberlite's converter
    refuses the QDQ .onnx, its message."""
    from emberlite.converter import Converter

    files = build_files(name, size, rebuild)
    stem = OUT / f"{name}_{size}"
    files.update(int8=Path(f"{stem}_int8.tflite"), ember_int8=Path(f"{stem}_int8_tflite.ember"),
                 qdq=Path(f"{stem}_qdq.onnx"), ember_qdq=Path(f"{stem}_qdq_onnx.ember"))
    if rebuild or not files["int8"].exists():
        _subprocess(["--export-int8", name, str(size), str(samples), str(files["int8"])],
                    Path(f"{stem}_int8.log"), files["int8"].name)
    if rebuild or not files["qdq"].exists():
        _subprocess(["--export-qdq", name, str(size), str(samples), str(files["onnx"]),
                     str(files["qdq"])], Path(f"{stem}_qdq.log"), files["qdq"].name)
    if rebuild or _stale(files["ember_int8"], files["int8"]):
        Converter.from_tflite(str(files["int8"])).save(str(files["ember_int8"]))
    refused = None
    if rebuild or _stale(files["ember_qdq"], files["qdq"]):
        try:
            Converter.from_onnx(str(files["qdq"])).save(str(files["ember_qdq"]))
        except Exception as e:  # noqa: BLE001  (any refusal is reported, not fatal)
            files["ember_qdq"].unlink(missing_ok=True)
            refused = _refusal(e)
    if not files["ember_qdq"].exists():
        files.pop("ember_qdq")
        refused = refused or "not converted"
    return files, refused


# -- runners and timing -----------------------------------------------------------------------

def litert_ref_runner(path: Path, x_nhwc: np.ndarray) -> Runner:
    """LiteRT with its reference kernels (BUILTIN_REF), one thread."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    state: dict[str, Any] = {}

    def create() -> Any:
        interp = Interpreter(model_path=str(path), num_threads=1,
                             experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
        interp.allocate_tensors()
        state.update(interp=interp, inp=interp.get_input_details()[0]["index"],
                     out=interp.get_output_details()[0]["index"])
        return interp

    def call() -> None:
        state["interp"].set_tensor(state["inp"], x_nhwc)
        state["interp"].invoke()

    return Runner("litert_ref", create, call, lambda: state["interp"].get_tensor(state["out"]))


def quantized_input(path: Path, x: np.ndarray) -> np.ndarray:
    """`x` quantized with the int8 input's scale and zero point of the .tflite at `path`."""
    from ai_edge_litert.interpreter import Interpreter

    scale, zero = Interpreter(model_path=str(path)).get_input_details()[0]["quantization"]
    return np.clip(np.round(x / scale) + zero, -128, 127).astype(np.int8)


def interleave(runners: dict[str, Runner], every: dict[str, int], warmup: int, rounds: int,
               per_round: int) -> None:
    """bench_float's interleaved rounds, except that a runner named in `every` (a slow one)
    warms up once and takes part only in every every[key]-th round, with one call."""
    keys = list(runners)
    for key in keys:
        for _ in range(1 if key in every else warmup):
            runners[key].call()
    for r in range(rounds):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:
            if key in every and r % every[key] != 0:
                continue
            settle()
            for _ in range(1 if key in every else per_round):
                start = time.perf_counter()
                runners[key].call()
                runners[key].times.append(time.perf_counter() - start)


def compare_int8(ours: np.ndarray, ref: np.ndarray) -> dict[str, Any]:
    diff = np.abs(ours.astype(np.int32) - ref.astype(np.int32))
    return {"identical": ours.dtype == ref.dtype and ours.tobytes() == ref.tobytes(),
            "differing": int(np.count_nonzero(diff)), "max_diff": int(diff.max()),
            "within_1": float(np.mean(diff <= 1)), "size": int(ours.size)}


def bench_model(name: str, files: dict[str, Path], size: int, args: argparse.Namespace
                ) -> dict[str, Any]:
    x_keras = random_input(name, "keras", (1, size, size, 3), seed=7)
    x_torch = random_input(name, "torch", (1, 3, size, size), seed=7)
    x_int8 = quantized_input(files["int8"], x_keras)
    result: dict[str, Any] = {"model": name,
                              "bytes": {k: v.stat().st_size for k, v in files.items()},
                              "variants": emberlite_variants(files["ember_int8"]),
                              "threads": {}}
    ref = litert_ref_runner(files["int8"], x_int8)
    for threads in args.threads:
        runners = {
            "litert": litert_runner(files["int8"], x_int8, threads),
            # Emberlite's .tflite conversions take NHWC input like LiteRT; the runner is
            # given NCHW and transposes it back.
            "emberlite": emberlite_runner(files["ember_int8"], x_int8.transpose(0, 3, 1, 2),
                                          threads),
            "emberlite_f32": emberlite_runner(files["ember_tflite"],
                                              x_keras.transpose(0, 3, 1, 2), threads),
            "ort_qdq": ort_runner(files["qdq"], x_torch, threads)}
        if "ember_qdq" in files:
            runners["emberlite_qdq"] = emberlite_runner(files["ember_qdq"], x_torch, threads)
        if threads == 1:
            runners["litert_ref"] = ref
        interleave(runners, {"litert_ref": args.ref_every}, args.warmup, args.rounds,
                   args.per_round)
        ref_out = ref.output()
        ours = runners["emberlite"].output()
        entry: dict[str, Any] = {key: stats(r.times) for key, r in runners.items()}
        base = entry["litert"]["median_ms"]
        entry["x_litert"] = {key: entry[key]["median_ms"] / base for key in runners}
        # The fastest call of each: on a loaded machine, steadier than the medians.
        entry["x_litert_min"] = {key: entry[key]["min_ms"] / entry["litert"]["min_ms"]
                                 for key in runners}
        entry["int8_over_float32"] = entry["emberlite"]["median_ms"] / \
            entry["emberlite_f32"]["median_ms"]
        entry["vs_ref"] = compare_int8(ours, ref_out)
        entry["vs_xnnpack"] = compare_int8(ours, runners["litert"].output())
        result["threads"][str(threads)] = entry
        print_model_line(name, threads, entry)
        del runners
    return result


def print_model_line(name: str, threads: int, e: dict[str, Any]) -> None:
    parts = [f"{SERIES[k].split(' (')[0]} {e[k]['median_ms']:.2f}" for k in SERIES if k in e]
    same = "same bytes as REF" if e["vs_ref"]["identical"] else \
        f"!! {e['vs_ref']['differing']} bytes differ from REF (max {e['vs_ref']['max_diff']})"
    print(f"  {TITLES[name]:18} {threads}T ms: " + ", ".join(parts) +
          f"; x LiteRT {e['x_litert']['emberlite']:.2f} (min {e['x_litert_min']['emberlite']:.2f})"
          f", int8/f32 {e['int8_over_float32']:.2f}; {same}", flush=True)


# -- report -----------------------------------------------------------------------------------

def _cell(e: dict[str, Any], key: str) -> str:
    if key not in e:
        return ""
    s = e[key]
    return f"{s['median_ms']:.2f} ({s['p10_ms']:.2f}-{s['p90_ms']:.2f})"


def _same(e: dict[str, Any]) -> str:
    v = e["vs_ref"]
    return "yes" if v["identical"] else f"**no: {v['differing']}/{v['size']} differ**"


def _xnnpack(e: dict[str, Any]) -> str:
    v = e["vs_xnnpack"]
    return f"{100 * v['within_1']:.0f}% / {v['max_diff']}"


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    refused = {r["model"]: r["qdq_refused"] for r in results if r.get("qdq_refused")}
    lines = [f"## Five full-int8 models at {meta['size']}x{meta['size']}: Emberlite vs LiteRT "
             f"(XNNPACK, BUILTIN_REF), ONNX Runtime QDQ and Emberlite float32, 1 and 2 threads",
             "", "```sh", "make bench-int8        # or: .venv/bin/python bench/bench_int8.py "
             "(--quick: 112x112, two models)", ".venv/bin/ember bench "
             f"bench/out/mobilenet_v2_{meta['size']}_int8_tflite.ember --profile   # per node",
             "```", "", f"Command: `{meta['command']}`", "",
             f"Machine: {meta['cpu']}, {meta['cores']} cores, {meta['machine']}; load average "
             f"before the run {meta['load_before']}, after {meta['load_after']}. Emberlite "
             f"{meta['emberlite']}, LiteRT (ai-edge-litert) {meta['litert']}, ONNX Runtime "
             f"{meta['onnxruntime']}. {meta['size']}x{meta['size']}, full int8 (int8 input "
             f"and output), batch 1; median of {meta['rounds']} interleaved rounds x "
             f"{meta['per_round']} calls (p10-p90 in brackets; BUILTIN_REF: one call every "
             f"{meta['ref_every']} rounds, 1 thread); x LiteRT = median / LiteRT XNNPACK "
             f"int8's; int8/f32 = Emberlite int8 / Emberlite float32 (same Keras model); "
             f"= REF: Emberlite's output bytes equal LiteRT BUILTIN_REF's; vs XNNPACK: the "
             f"share of Emberlite's output elements within 1 LSB of LiteRT XNNPACK's, and the "
             f"largest difference.", ""]
    has_qdq = any("emberlite_qdq" in r["threads"][str(t)] for r in results
                  for t in meta["threads"])
    head = ["model", "threads", "LiteRT XNNPACK int8 ms", "Emberlite int8 ms", "x LiteRT",
            "Emberlite float32 ms", "int8/f32", "LiteRT BUILTIN_REF ms",
            "ONNX Runtime QDQ ms", "ORT x LiteRT"] + \
        (["Emberlite QDQ .onnx ms"] if has_qdq else []) + ["= REF", "vs XNNPACK"]
    fastest: dict[int, float] = {}
    lines += ["| " + " | ".join(head) + " |",
              "|---|" + "---:|" * (len(head) - 2) + "---|"]
    for threads in meta["threads"]:
        rows = [r["threads"][str(threads)] for r in results]
        for r, e in zip(results, rows):
            cells = [TITLES[r["model"]], str(threads), _cell(e, "litert"),
                     _cell(e, "emberlite"), f"{e['x_litert']['emberlite']:.2f}",
                     _cell(e, "emberlite_f32"), f"{e['int8_over_float32']:.2f}",
                     _cell(e, "litert_ref"), _cell(e, "ort_qdq"),
                     f"{e['x_litert']['ort_qdq']:.2f}"] + \
                ([_cell(e, "emberlite_qdq")] if has_qdq else []) + [_same(e), _xnnpack(e)]
            lines.append("| " + " | ".join(cells) + " |")
        g = {k: geomean([e[k] if k == "int8_over_float32" else e["x_litert"][k] for e in rows])
             for k in ("emberlite", "int8_over_float32", "ort_qdq")}
        cells = ["**geometric mean**", str(threads), "", "", f"**{g['emberlite']:.2f}**", "",
                 f"**{g['int8_over_float32']:.2f}**", "", "", f"{g['ort_qdq']:.2f}"] + \
            ([""] if has_qdq else []) + ["", ""]
        lines.append("| " + " | ".join(cells) + " |")
        fastest[threads] = geomean([e["x_litert_min"]["emberlite"] for e in rows])
    lines += ["", "Geometric mean of Emberlite int8's fastest call over LiteRT XNNPACK's: " +
              ", ".join(f"{v:.2f} at {t} thread{'s' if t > 1 else ''}"
                        for t, v in fastest.items()) + "."]
    if refused:
        lines += ["", "Emberlite's converter refuses the QDQ .onnx files: " + "; ".join(
            f"{TITLES[m]}: {why.splitlines()[0][:300]}" for m, why in refused.items())]
    return "\n".join(lines + ["", "![int8 latency, 1 and 2 threads](int8.png)"])


def chart(results: list[dict[str, Any]], threads: list[int], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["litert", "emberlite", "emberlite_f32", "ort_qdq"]
    fig, axes = plt.subplots(1, len(threads), figsize=(7 * len(threads), 4.5), squeeze=False)
    width = 0.8 / len(keys)
    for ax, t in zip(axes[0], threads):
        xs = np.arange(len(results))
        for k, key in enumerate(keys):
            s = [r["threads"][str(t)][key] for r in results]
            med = np.array([v["median_ms"] for v in s])
            err = np.array([[v["median_ms"] - v["p10_ms"] for v in s],
                            [v["p90_ms"] - v["median_ms"] for v in s]])
            ax.bar(xs + (k - (len(keys) - 1) / 2) * width, med, width, yerr=err, capsize=2,
                   label=SERIES[key])
        ax.set_xticks(xs, [TITLES[r["model"]] for r in results], rotation=20, fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("latency, ms (median, p10-p90; log scale)")
        ax.set_title(f"int8, batch 1, {t} thread{'s' if t > 1 else ''}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--size", type=int, default=224, help="input height and width")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    p.add_argument("--per-round", type=int, default=3, help="timed calls per runtime per round")
    p.add_argument("--warmup", type=int, default=3, help="untimed calls per runtime first")
    p.add_argument("--ref-every", type=int, default=5,
                   help="BUILTIN_REF takes one call in every this many rounds (1 thread)")
    p.add_argument("--calibration", type=int, default=8,
                   help="random calibration inputs for the int8 .tflite and the QDQ .onnx")
    p.add_argument("--rebuild", action="store_true", help="build and convert the models again")
    p.add_argument("--quick", action="store_true",
                   help="development run: 112x112, MobileNetV2 and ResNet18, 4 rounds")
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.rounds, args.per_round, args.warmup, args.ref_every = 112, 4, 2, 1, 2
        args.calibration = min(args.calibration, 4)
        if args.models == list(MODELS):
            args.models = ["mobilenet_v2", "resnet18"]
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["--export-int8"]:
        export_int8(argv[1], int(argv[2]), int(argv[3]), Path(argv[4]))
        return 0
    if argv[:1] == ["--export-qdq"]:
        export_qdq(argv[1], int(argv[2]), int(argv[3]), Path(argv[4]), Path(argv[5]))
        return 0
    args = parse_args(argv)
    import onnxruntime

    onnxruntime.set_default_logger_severity(3)  # not a warning per unused initializer
    OUT.mkdir(parents=True, exist_ok=True)
    files, refused = {}, {}
    for name in args.models:
        start = time.perf_counter()
        files[name], refused[name] = build_int8_files(name, args.size, args.calibration,
                                                      args.rebuild)
        print(f"{TITLES[name]}: files ready in {time.perf_counter() - start:.1f} s" +
              (f"; Emberlite refuses the QDQ .onnx: {refused[name][:200]}" if refused[name]
               else ""), flush=True)
    meta = {"command": " ".join([".venv/bin/python", "bench/bench_int8.py", *argv]),
            "cpu": cpu_name(), "cores": os.cpu_count(), "machine": platform.machine(),
            "load_before": f"{os.getloadavg()[0]:.1f}", "size": args.size,
            "threads": args.threads, "rounds": args.rounds, "per_round": args.per_round,
            "ref_every": args.ref_every, "calibration": args.calibration, **_versions()}
    print(f"timing: {meta['cpu']}, {meta['cores']} cores, load {meta['load_before']}",
          flush=True)
    results = []
    for name in args.models:
        results.append(bench_model(name, files[name], args.size, args))
        results[-1]["qdq_refused"] = refused[name]
    meta["load_after"] = f"{os.getloadavg()[0]:.1f}"
    table = markdown(results, meta)
    # A --quick run keeps its own files, so that it never overwrites a full run's.
    stem = OUT / ("int8_quick" if args.quick else "int8")
    png = stem.with_suffix(".png") if args.quick else CHART
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results},
                                                    indent=2))
    chart(results, args.threads, png)
    print("\n" + table)
    print(f"\nwrote {stem}.json and {png}")
    bad = [r["model"] for r in results for e in r["threads"].values()
           if not e["vs_ref"]["identical"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
