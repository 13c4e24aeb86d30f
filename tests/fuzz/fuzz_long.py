"""`make fuzz-long`: every fuzzer for at least --execs executions under ASan + UBSan, with a
summary for bench/RESULTS.md.

The harnesses, each run through its own make target (so a run is the command a developer
would type), --jobs of them at a time, longest first:
  - the ONNX and the TFLite importer (atheris, tests/fuzz/fuzz_importers.py; the converted
    files run in the sanitized copy of the extension, sanitized_extension.py);
  - the structure-aware .ember fuzzer (fuzz_ember.py with --mutants: generated models and
    mutants of them through tests/c/fuzz_ember_run.c);
  - the C loader's libFuzzer harness (tests/c/fuzz_model.c);
  - the OpenCL delegate's program cache reader (libFuzzer, no OpenCL needed).
Each one's output goes to OUT/<name>.log; the numbers to OUT/summary.json and a markdown
table to OUT/summary.md (also printed). Exits 1 when a harness failed, found something, or
stopped short of --execs (its time cap, --cap-seconds, ran out).

    python tests/fuzz/fuzz_long.py --execs 1000000 --out build/fuzz-long --make make
"""
from __future__ import annotations

import argparse
import datetime
import json
import re
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# libFuzzer's status lines; atheris leaves out `cov:` when no native code is instrumented.
STATUS_RE = re.compile(r"^#(\d+)\s+\w+\s+(?:cov: (\d+) )?ft: (\d+)(?: corp: (\d+))?")


def libfuzzer_stats(log: str) -> dict[str, int]:
    """Executions, coverage (edges `cov`, features `ft`), corpus size and crash inputs written,
    from a libFuzzer (or atheris) log with -print_final_stats=1."""
    stats = {"executions": 0, "cov": 0, "ft": 0, "corpus": 0}
    for line in log.splitlines():
        m = STATUS_RE.match(line)
        if m:
            stats.update(executions=int(m[1]), cov=int(m[2] or 0), ft=int(m[3]),
                         corpus=int(m[4] or 0))
        elif line.startswith("stat::number_of_executed_units:"):
            stats["executions"] = int(line.split(":")[-1])
    stats["crash_inputs"] = log.count("Test unit written to")
    return stats


@dataclass
class Harness:
    name: str        # a file name too
    title: str       # the summary's first column
    target: list[str]                       # make target and variables
    kind: str        # "libfuzzer", "ember" or "importer"
    result: dict = field(default_factory=dict)


def harnesses(args: argparse.Namespace, out: Path) -> list[Harness]:
    n, cap = args.execs, args.cap_seconds
    importer = [Harness(
        f"importer-{kind}", f"{label} importer (atheris; converted files run under ASan + UBSan)",
        ["fuzz-importers-long", f"FUZZ_IMPORTERS_LONG_RUNS={n}",
         f"FUZZ_IMPORTERS_LONG_SECONDS={cap}",
         f"FUZZ_IMPORTERS_ARGS=--importers {kind} --work {out}/importers "
         f"--json {out}/importer-{kind}.json"], "importer")
        for kind, label in (("tflite", "TFLite"), ("onnx", "ONNX"))]
    return [*importer,
            Harness("ember", f"structure-aware .ember (fuzz_ember.py, {args.mutants} mutants "
                    "per generated model)",
                    ["fuzz-ember", f"FUZZ_EMBER_SECONDS={cap}",
                     f"FUZZ_EMBER_ARGS=--execs {n} --mutants {args.mutants} "
                     f"--json {out}/ember.json"], "ember"),
            Harness("loader", "C loader (libFuzzer, tests/c/fuzz_model.c)",
                    ["fuzz", f"FUZZ_RUNS={n}"], "libfuzzer"),
            Harness("opencl-cache", "OpenCL program cache reader (libFuzzer)",
                    ["fuzz-opencl-cache", f"FUZZ_OPENCL_RUNS={n}"], "libfuzzer")]


def collect(h: Harness, rc: int, log: str, out: Path, seconds: float) -> dict:
    """The harness's executions, coverage and findings, from its log or its JSON."""
    r: dict = {"returncode": rc, "seconds": round(seconds, 1)}
    if h.kind == "libfuzzer":
        s = libfuzzer_stats(log)
        r.update(executions=s["executions"], findings=s["crash_inputs"] or int(rc != 0),
                 coverage=f"cov {s['cov']}, ft {s['ft']}, corpus {s['corpus']}")
    elif h.kind == "ember":
        path = out / "ember.json"
        s = json.loads(path.read_text()) if path.is_file() else {}
        r.update(executions=s.get("executions", 0), findings=s.get("findings", int(rc != 0)),
                 models=s.get("models", 0), mutants=s.get("mutants", 0),
                 coverage=(f"{s.get('ops_accepted', 0)}/{s.get('ops', 0)} ops run, "
                           f"{s.get('models', 0)} models + {s.get('mutants', 0)} mutants "
                           f"({s.get('mutants_accepted', 0)} mutants ran)"))
    else:
        path = out / f"{h.name}.json"
        kind = h.name.split("-", 1)[1]
        s = json.loads(path.read_text()).get(kind, {}) if path.is_file() else {}
        r.update(executions=s.get("executions", 0), findings=s.get("findings", int(rc != 0)),
                 coverage=f"cov {s.get('cov', 0)}, ft {s.get('ft', 0)}, "
                          f"corpus {s.get('corpus', 0)}")
    return r


def run_one(h: Harness, make: list[str], out: Path, lock: threading.Lock) -> None:
    log_path = out / f"{h.name}.log"
    with lock:
        print(f"fuzz-long: {h.name} started (log: {log_path})", flush=True)
    start = time.monotonic()
    with log_path.open("w") as log:
        rc = subprocess.run([*make, *h.target], stdout=log, stderr=subprocess.STDOUT,
                            cwd=ROOT).returncode
    h.result = collect(h, rc, log_path.read_text(errors="replace"), out,
                       time.monotonic() - start)
    with lock:
        print(f"fuzz-long: {h.name} done in {h.result['seconds']:.0f} s: "
              f"{h.result['executions']} executions, {h.result['findings']} findings, "
              f"exit {rc}", flush=True)


def passed(h: Harness, target: int) -> bool:
    r = h.result
    return r["returncode"] == 0 and r["findings"] == 0 and r["executions"] >= target


def markdown(hs: list[Harness], args: argparse.Namespace, wall: float, commit: str) -> str:
    lines = [f"`make fuzz-long` (FUZZ_LONG_EXECS={args.execs}, {args.jobs} at a time), "
             f"commit {commit}, {datetime.date.today()}: wall time {wall / 60:.1f} min.", "",
             "| harness | executions | coverage | findings | seconds | result |",
             "|---|---:|---|---:|---:|---|"]
    for h in hs:
        r = h.result
        verdict = "pass" if passed(h, args.execs) else (
            "below target" if r["returncode"] == 0 and not r["findings"] else "FAIL")
        lines.append(f"| {h.title} | {r['executions']:,} | {r['coverage']} | "
                     f"{r['findings']} | {r['seconds']:.0f} | {verdict} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--execs", type=int, default=1_000_000, help="executions per harness")
    ap.add_argument("--jobs", type=int, default=2, help="harnesses at a time")
    ap.add_argument("--mutants", type=int, default=100,
                    help="mutants per generated model in the .ember fuzzer")
    ap.add_argument("--cap-seconds", type=int, default=7200,
                    help="time cap of each harness that counts inputs by time")
    ap.add_argument("--out", default="build/fuzz-long")
    ap.add_argument("--make", default="make", help="the make command (with its variables)")
    ap.add_argument("--only", default="", help="comma-separated harness names")
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    hs = [h for h in harnesses(args, out)
          if not args.only or h.name in args.only.split(",")]
    make = [*shlex.split(args.make), "--no-print-directory"]
    lock = threading.Lock()
    pending = list(hs)
    # The commit the run starts from (others may land while it runs).
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip() or "?"
    start = time.monotonic()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                h = pending.pop(0)
            run_one(h, make, out, lock)

    threads = [threading.Thread(target=worker) for _ in range(max(1, args.jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    table = markdown(hs, args, wall, commit)
    (out / "summary.md").write_text(table)
    (out / "summary.json").write_text(json.dumps(
        {"execs_target": args.execs, "jobs": args.jobs, "wall_seconds": round(wall, 1),
         "commit": commit, "harnesses": {h.name: {"title": h.title, **h.result,
                                                  "passed": passed(h, args.execs)}
                                         for h in hs}}, indent=1) + "\n")
    print("\n" + table)
    failed = [h.name for h in hs if not passed(h, args.execs)]
    if failed:
        print(f"make fuzz-long: FAILED: {' '.join(failed)} (logs in {out})")
        return 1
    print(f"make fuzz-long: all {len(hs)} harnesses passed (summary: {out}/summary.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
