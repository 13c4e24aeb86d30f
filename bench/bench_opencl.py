"""The OpenCL delegate (on PoCL's CPU device here, on a GPU where one is lent): start-up with an
empty and with a filled program cache, and latency against the CPU kernels at 1 and 2 threads,
on MobileNetV2 and ResNet18 float32 at 224x224, batch 1.

Models: torchvision's, random weights, BatchNorm statistics of random batches, exported to
ONNX opset 17 by bench_float.py (in a subprocess of its own) and converted here; or the .ember
files given on the command line.

- Start-up, each in a fresh process: the time from just before load_delegate to the end of
  allocate_tensors (loading the library, creating the delegate, creating the interpreter,
  adding the delegate, allocate: claims, partitions, the OpenCL program built or read from the
  cache, weights uploaded). "first": an empty cache directory; "second": the same directory
  again. Each process with POCL_KERNEL_CACHE=0 and an empty POCL_CACHE_DIR of its own, so
  that PoCL's own cache of compiled kernels helps neither (with POCL_KERNEL_CACHE=0 alone PoCL
  still reuses the kernels it compiled at their first launch). The process then times its
  first invoke too (a driver may compile a kernel at its first launch; the delegate's prepare
  launches each partition once so that this happens in allocate and the cache keeps it). The CPU kernels' start-up (create and allocate, no delegate)
  is timed the same way. Median of --startup-repeats first/second pairs, each pair with a new
  cache directory; the JSON keeps each process's figures and the delegate's description (which
  says whether the program came from the cache: a library rebuilt between the two processes
  of a pair keys its cache anew).
- Latency, in one process: the CPU kernels at 1 and at 2 threads and the delegate, each
  timing --per-round calls (set the input, invoke) in turn for --rounds rounds, the order
  rotating (bench_float.py's interleave); median and p10-p90. PoCL's device runs its work
  items on every core of the machine, so its figures are a CPU's too, with OpenCL's overhead.
- The delegate's output against the CPU kernels' (max |diff| / max |CPU|).

    make bench-opencl
    .venv/bin/python bench/bench_opencl.py                        # both models
    .venv/bin/python bench/bench_opencl.py --quick                # 112x112, fewer rounds
    .venv/bin/python bench/bench_opencl.py out/model.ember        # these .ember files
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

# bench/ is on sys.path when this file runs.
from bench_float import (OUT, Runner, emberlite_runner, interleave, max_rel_diff, random_input,
                         stats)
from bench_mobilenet import cpu_name

MODELS = ("mobilenet_v2", "resnet18")
TITLES = {"mobilenet_v2": "MobileNetV2", "resnet18": "ResNet18"}
BENCH_FLOAT = Path(__file__).resolve().parent / "bench_float.py"
# A max relative output difference above this is flagged (the fp32 bound).
DISAGREE = 1e-4


# -- models ------------------------------------------------------------------------------------

def build_model(name: str, size: int, rebuild: bool) -> Path:
    """The .ember of torchvision's `name` at `size`, converted from bench_float's ONNX export
    (the same files bench_float.py makes, made here when missing)."""
    from emberlite.converter import Converter

    onnx_path = OUT / f"{name}_{size}.onnx"
    ember = OUT / f"{name}_{size}_onnx.ember"
    if rebuild or not onnx_path.exists():
        log = OUT / f"{name}_{size}_onnx.log"
        with log.open("w") as f:
            done = subprocess.run([sys.executable, str(BENCH_FLOAT), "--export-torch", name,
                                   str(size), str(onnx_path)], stdout=f,
                                  stderr=subprocess.STDOUT)
        if done.returncode != 0:
            sys.exit(f"exporting {name} failed:\n{log.read_text()[-3000:]}")
    if rebuild or not ember.exists() or ember.stat().st_mtime < onnx_path.stat().st_mtime:
        Converter.from_onnx(str(onnx_path)).save(str(ember))
    return ember


def model_input(path: Path, seed: int = 7) -> np.ndarray:
    """A random input of the file's one input shape, uniform in [-1, 1)."""
    from emberlite import Interpreter

    [detail] = Interpreter(model_path=path).get_input_details()
    return random_input("", "torch", tuple(int(d) for d in detail["shape"]), seed)


# -- start-up, each in a fresh process -------------------------------------------------------

def startup_child(library: str, path: str, cache_dir: str) -> None:
    """Prints JSON: ms from before load_delegate to after allocate_tensors (cache_dir "-": no
    delegate, the CPU kernels), ms of the first invoke, and where the nodes went."""
    from emberlite import Interpreter, load_delegate

    start = time.perf_counter()
    delegates = [] if cache_dir == "-" else [load_delegate(library, {"cache_dir": cache_dir})]
    interp = Interpreter(model_path=path, experimental_delegates=delegates)
    interp.allocate_tensors()
    startup = time.perf_counter() - start
    [detail] = interp.get_input_details()
    interp.set_tensor(detail["index"], np.zeros(tuple(detail["shape"]), np.float32))
    start = time.perf_counter()
    interp.invoke()
    first_invoke = time.perf_counter() - start
    placements = interp.node_placements()
    print(json.dumps({
        "startup_ms": startup * 1e3, "first_invoke_ms": first_invoke * 1e3,
        "nodes": len(placements),
        "delegated": sum(p["delegate"] is not None for p in placements),
        "partitions": len({p["partition"] for p in placements if p["delegate"] is not None}),
        "describe": delegates[0].describe() if delegates else ""}))


def _child(library: str, path: Path, cache_dir: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ember_pocl_cache_") as pocl_cache:
        env = os.environ | {"POCL_KERNEL_CACHE": "0", "POCL_CACHE_DIR": pocl_cache}
        done = subprocess.run([sys.executable, __file__, "--startup", library, str(path),
                               cache_dir], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"start-up of {path} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def startup(library: str, path: Path, repeats: int) -> dict[str, Any]:
    """Median over `repeats` of: the CPU kernels' start-up, then the delegate's first (empty
    cache directory) and second (the same directory) start-up."""
    runs: dict[str, list[dict[str, Any]]] = {"cpu": [], "first": [], "second": []}
    for _ in range(repeats):
        runs["cpu"].append(_child(library, path, "-"))
        with tempfile.TemporaryDirectory(prefix="ember_opencl_cache_") as cache:
            runs["first"].append(_child(library, path, cache))
            runs["second"].append(_child(library, path, cache))
    result = {kind: {key: float(np.median([r[key] for r in rs]))
                     for key in ("startup_ms", "first_invoke_ms")}
              for kind, rs in runs.items()}
    last = runs["second"][-1]
    result["placement"] = {key: last[key] for key in ("nodes", "delegated", "partitions")}
    result["describe"] = last["describe"]
    result["runs"] = runs  # each process's figures and description, for the JSON
    return result


# -- latency ---------------------------------------------------------------------------------

def delegate_runner(library: str, path: Path, x: np.ndarray, cache_dir: Path) -> Runner:
    from emberlite import Interpreter, load_delegate

    state: dict[str, Any] = {}

    def create() -> Any:
        delegate = load_delegate(library, {"cache_dir": str(cache_dir)})
        interp = Interpreter(model_path=path, experimental_delegates=[delegate])
        interp.allocate_tensors()
        (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
        state.update(interp=interp, inp=inp["index"], out=out["index"])
        return interp

    def call() -> None:
        state["interp"].set_tensor(state["inp"], x)
        state["interp"].invoke()

    return Runner("opencl", create, call, lambda: state["interp"].get_tensor(state["out"]))


def latency(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    x = model_input(path)
    runners = [emberlite_runner(path, x, 1), emberlite_runner(path, x, 2),
               delegate_runner(args.delegate, path, x, OUT / "opencl_cache")]
    runners[0].label, runners[1].label = "cpu_1", "cpu_2"
    interleave(runners, args.warmup, args.rounds, args.per_round)
    result = {r.label: stats(r.times) for r in runners}
    result["max_rel_diff"] = max_rel_diff(runners[2].output(), runners[0].output())
    return result


# -- report -----------------------------------------------------------------------------------

def markdown(results: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [f"Command: `{meta['command']}`", "",
             f"Machine: {meta['cpu']}, {meta['cores']} cores, {meta['machine']}; load average "
             f"before the run {meta['load_before']}, after {meta['load_after']}. Emberlite "
             f"{meta['emberlite']}; OpenCL device: {meta['device']}. float32, batch 1. "
             f"Start-up: load_delegate to the end of allocate_tensors, fresh process, "
             f"POCL_KERNEL_CACHE=0 and an empty POCL_CACHE_DIR each, median of "
             f"{meta['startup_repeats']}; first invoke after it in brackets. Latency: median of "
             f"{meta['rounds']} interleaved rounds x "
             f"{meta['per_round']} calls (p10-p90).", "",
             "| model | nodes on the delegate | CPU start-up ms | delegate start-up, empty "
             "cache ms | with the cache ms | x faster | CPU 1 thread ms | CPU 2 threads ms | "
             "delegate ms | max rel diff |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(s: dict[str, float]) -> str:
        return f"{s['median_ms']:.2f} ({s['p10_ms']:.2f}-{s['p90_ms']:.2f})"

    def start(s: dict[str, float]) -> str:
        return f"{s['startup_ms']:.1f} ({s['first_invoke_ms']:.1f})"

    for title, r in results.items():
        s, lat, where = r["startup"], r["latency"], r["startup"]["placement"]
        speedup = s["first"]["startup_ms"] / s["second"]["startup_ms"]
        diff = f"{lat['max_rel_diff']:.1e}"
        if lat["max_rel_diff"] > DISAGREE:
            diff = f"**{diff} (beyond 1e-4)**"
        lines.append(f"| {title} | {where['delegated']} of {where['nodes']} in "
                     f"{where['partitions']} partition(s) | {start(s['cpu'])} | "
                     f"{start(s['first'])} | {start(s['second'])} | {speedup:.1f} | "
                     f"{cell(lat['cpu_1'])} | {cell(lat['cpu_2'])} | {cell(lat['opencl'])} | "
                     f"{diff} |")
    return "\n".join(lines)


def _device(describe: str) -> str:
    """The device part of the delegate's description ("device NAME (vendor; version; driver
    ...)"), without its platform and settings."""
    text = describe.splitlines()[0] if describe else "unknown"
    text = text[text.find("device ") + len("device "):] if "device " in text else text
    return text.split("; platform")[0]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", type=Path,
                   help=".ember files to run (default: MobileNetV2 and ResNet18)")
    p.add_argument("--delegate", default="opencl", metavar="NAME_OR_PATH",
                   help="the delegate library: opencl (the one built with emberlite) or a path, "
                        "e.g. a copy that a rebuild during the run cannot replace")
    p.add_argument("--size", type=int, default=224, help="input height and width")
    p.add_argument("--rounds", type=int, default=10, help="interleaved rounds")
    p.add_argument("--per-round", type=int, default=3, help="timed calls per side per round")
    p.add_argument("--warmup", type=int, default=2, help="untimed calls per side first")
    p.add_argument("--startup-repeats", type=int, default=3,
                   help="first/second start-up pairs, each in fresh processes")
    p.add_argument("--rebuild", action="store_true", help="export and convert the models again")
    p.add_argument("--quick", action="store_true",
                   help="development run: 112x112, 3 rounds, one start-up pair")
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.rounds, args.per_round, args.warmup = 112, 3, 2, 1
        args.startup_repeats = 1
    return args


def main(argv: list[str]) -> int:
    if argv[:1] == ["--startup"]:
        startup_child(argv[1], argv[2], argv[3])
        return 0
    args = parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    files = {path.stem: path for path in args.files} or \
        {TITLES[name]: build_model(name, args.size, args.rebuild) for name in MODELS}
    import emberlite

    meta = {"command": " ".join([".venv/bin/python", "bench/bench_opencl.py", *argv]),
            "cpu": cpu_name(), "cores": os.cpu_count(), "machine": platform.machine(),
            "load_before": f"{os.getloadavg()[0]:.1f}", "emberlite": emberlite.runtime_version(),
            "rounds": args.rounds, "per_round": args.per_round,
            "startup_repeats": args.startup_repeats}
    results = {}
    for title, path in files.items():
        results[title] = {"startup": startup(args.delegate, path, args.startup_repeats)}
        s = results[title]["startup"]
        print(f"  {title}: start-up cpu {s['cpu']['startup_ms']:.1f} ms, delegate first "
              f"{s['first']['startup_ms']:.1f} ms, second {s['second']['startup_ms']:.1f} ms",
              flush=True)
        results[title]["latency"] = latency(path, args)
        lat = results[title]["latency"]
        print(f"  {title}: cpu 1T {lat['cpu_1']['median_ms']:.2f} ms, 2T "
              f"{lat['cpu_2']['median_ms']:.2f} ms, delegate {lat['opencl']['median_ms']:.2f} "
              f"ms, max rel diff {lat['max_rel_diff']:.1e}", flush=True)
    meta["load_after"] = f"{os.getloadavg()[0]:.1f}"
    meta["device"] = _device(next(iter(results.values()))["startup"]["describe"])
    table = markdown(results, meta)
    out = OUT / ("opencl_quick.json" if args.quick else "opencl.json")
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    for title, r in results.items():
        print(f"{title}, the delegate's description after its second start-up: "
              f"{r['startup']['describe']}")
    print("\n" + table)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
