"""Bounded run of the importer fuzzer (fuzz_importers.py), as `make fuzz-importers` runs it:
the ONNX importer, then the TFLite importer, each for half of --seconds, starting from the
committed corpus (seeds and kept findings). Exits 1 on any finding, after printing its
traceback (or libFuzzer's report of a crash, hang or memory overrun) and keeping its input
in the corpus as finding-<importer>-<hash>, so the next run (and the replay test,
test_importer_corpus.py) checks it stays fixed.

    .venv/bin/python tests/fuzz/run_importer_fuzz.py --seconds 80

`make fuzz-importers-long` (a part of `make fuzz-long`) runs each importer for --runs inputs
(--seconds is then a cap) with the C runtime under ASan + UBSan: --sanitized names the
extension built from the sanitized objects and --preload the ASan + libFuzzer library to
preload (both made by mk/fuzz_importers.mk, see sanitized_extension.py). --json writes each importer's executions, coverage, findings and
seconds for fuzz_long.py.

Without atheris the run is skipped (exit 0) on a developer machine, and fails in CI
(env CI set), like the optional tools of the test suite.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import fuzz_long
import sanitized_extension

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "fuzz_importers.py"
CORPUS = HERE / "corpus_importers"
IMPORTERS = {"onnx": 0, "tflite": 1}
ARTIFACTS = ("crash-", "timeout-", "oom-", "leak-")
STARTUP_S = 120  # imports and the initial corpus pass, on a loaded machine
# What ASan adds to the process's resident memory (shadow, redzones, the quarantine of freed
# blocks): several hundred MiB before the first input, so the RSS limit grows by this much.
ASAN_RSS_MB = 1024


def _have_atheris() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import atheris"], capture_output=True)
    return probe.returncode == 0


def _prepare(work: Path, kind: str) -> tuple[Path, Path, Path]:
    """A writable copy of the corpus inputs of this importer, and empty output folders."""
    corpus, findings, artifacts = (work / f"{what}-{kind}"
                                   for what in ("corpus", "findings", "artifacts"))
    for folder in (findings, artifacts):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    corpus.mkdir(parents=True, exist_ok=True)
    for path in CORPUS.iterdir():
        data = path.read_bytes()
        if path.is_file() and data and data[0] & 1 == IMPORTERS[kind]:
            shutil.copyfile(path, corpus / path.name)
    return corpus, findings, artifacts


def _environment(args: argparse.Namespace) -> dict[str, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if args.sanitized:
        env.update(sanitized_extension.environment(Path(args.sanitized), Path(args.preload),
                                                   args.mem_mb))
    return env


def _fuzz(kind: str, seconds: int, work: Path, args: argparse.Namespace,
          stats: dict[str, dict]) -> list[Path]:
    corpus, findings, artifacts = _prepare(work, kind)
    log = work / f"log-{kind}.txt"
    runs = [f"-runs={args.runs}"] if args.runs else []
    # Under ASan the harness cannot cap the address space: ASan's max_allocation_size_mb
    # refuses a block over --mem-mb instead, and the RSS limit allows for ASan's own memory.
    rss_mb = args.mem_mb + (ASAN_RSS_MB if args.sanitized else 0)
    command = [sys.executable, str(HARNESS), f"--importer={kind}", f"--findings={findings}",
               f"--mem-mb={args.mem_mb}", f"--budget-mb={args.budget_mb}",
               f"-max_total_time={seconds}", *runs, f"-timeout={args.timeout}",
               f"-rss_limit_mb={rss_mb}", "-max_len=32768", "-print_final_stats=1",
               f"-artifact_prefix={artifacts}/", str(corpus)]
    what = f"{args.runs} inputs (at most {seconds} s)" if args.runs else f"{seconds} s"
    sanitized = ", C runtime under ASan + UBSan" if args.sanitized else ""
    print(f"fuzz-importers: {kind} for {what}{sanitized} (log: {log})", flush=True)
    env = _environment(args)
    # libFuzzer checks max_total_time between inputs: the last one may run a -timeout past it.
    limit = seconds + args.timeout + STARTUP_S
    start = time.monotonic()
    with log.open("wb") as out:
        try:
            returncode: int | None = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, env=env,
                timeout=limit).returncode
            status = f"exit status {returncode}"
        except subprocess.TimeoutExpired:
            returncode = None
            status = f"killed after {limit} s (a hang libFuzzer did not catch)"
    text = log.read_text(errors="replace")
    lines = [line for line in text.splitlines() if line.startswith(("#", "Done", "stat::"))]
    print("  " + "\n  ".join(lines[-3:]) + f"\n  {status}", flush=True)
    found = sorted(p for p in findings.glob("finding-*") if p.suffix != ".txt")
    for path in found:
        print(path.with_suffix(".txt").read_text(errors="replace"), flush=True)
    crashed = sorted(p for p in artifacts.iterdir() if p.name.startswith(ARTIFACTS))
    if crashed or returncode != 0:
        print(f"--- libFuzzer's report ({kind}), last lines of {log}:\n"
              + "\n".join(text.splitlines()[-60:]), flush=True)
    stats[kind] = {**fuzz_long.libfuzzer_stats(text), "findings": len(found) + len(crashed),
                   "seconds": round(time.monotonic() - start, 1), "status": status,
                   "sanitized": bool(args.sanitized)}
    if returncode != 0 and not crashed:
        # Killed, or libFuzzer failed to start: no input to keep, but not a pass.
        _write_json(args, stats)
        raise SystemExit(f"fuzz-importers: the {kind} run failed ({status})")
    return [*found, *crashed]


def _write_json(args: argparse.Namespace, stats: dict[str, dict]) -> None:
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(stats, indent=1) + "\n")


def _keep(path: Path, kind: str) -> Path:
    """Copies a finding into the committed corpus, with this importer's selector byte."""
    data = bytearray(path.read_bytes() or b"\0")
    data[0] = IMPORTERS[kind]
    prefix = next((a.rstrip("-") for a in ARTIFACTS if path.name.startswith(a)), "finding")
    target = CORPUS / f"{prefix}-{kind}-{hashlib.sha1(data).hexdigest()[:16]}"
    target.write_bytes(bytes(data))
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=80,
                        help="total, both importers (with --runs: the cap of each)")
    parser.add_argument("--runs", type=int, default=0, help="inputs per importer")
    parser.add_argument("--sanitized", default="",
                        help="a sanitized emberlite._ember to run the converted files")
    parser.add_argument("--preload", default="",
                        help="with --sanitized: the ASan + libFuzzer library to LD_PRELOAD")
    parser.add_argument("--json", default="", help="write the per-importer numbers here")
    parser.add_argument("--importers", default="onnx,tflite")
    parser.add_argument("--work", default="build/fuzz-importers")
    parser.add_argument("--mem-mb", type=int, default=1024)
    parser.add_argument("--budget-mb", type=int, default=64)
    # A hang, or a conversion superlinear in its input: atheris' instrumentation makes the
    # importers about 15 times slower, so a linear conversion at the harness's node budget
    # may take 40 s (an ONNX Loop of 525 steps, 1,577 nodes: 2 s plain, 30 s here).
    parser.add_argument("--timeout", type=int, default=120, help="seconds per input")
    args = parser.parse_args()
    if not _have_atheris():
        if os.environ.get("CI"):
            print("fuzz-importers: atheris is required in CI (env CI is set) but missing; "
                  "pip install atheris", file=sys.stderr)
            return 1
        print("fuzz-importers: skipped, atheris is not installed (pip install atheris)")
        return 0
    if bool(args.sanitized) != bool(args.preload):
        parser.error("--sanitized and --preload go together")
    kinds = [k for k in args.importers.split(",") if k]
    unknown = sorted(set(kinds) - set(IMPORTERS))
    if unknown:
        parser.error(f"unknown importers {unknown}; choose from {sorted(IMPORTERS)}")
    work = Path(args.work)
    kept = []
    stats: dict[str, dict] = {}
    seconds = args.seconds if args.runs else max(1, args.seconds // len(kinds))
    for kind in kinds:
        for path in _fuzz(kind, seconds, work, args, stats):
            kept.append(_keep(path, kind))
    _write_json(args, stats)
    if kept:
        print(f"fuzz-importers: {len(kept)} finding(s), kept in the corpus:\n  "
              + "\n  ".join(str(p) for p in kept) +
              f"\nrerun one: {sys.executable} {HARNESS} --replay <file>")
        return 1
    print("fuzz-importers: no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
