"""Bounded run of the importer fuzzer (fuzz_importers.py), as `make fuzz-importers` runs it:
the ONNX importer, then the TFLite importer, each for half of --seconds, starting from the
committed corpus (seeds and kept findings). Exits 1 on any finding, after printing its
traceback (or libFuzzer's report of a crash, hang or memory overrun) and keeping its input
in the corpus as finding-<importer>-<hash>, so the next run (and the replay test,
test_importer_corpus.py) checks it stays fixed.

    .venv/bin/python tests/fuzz/run_importer_fuzz.py --seconds 80

Without atheris the run is skipped (exit 0) on a developer machine, and fails in CI
(env CI set), like the optional tools of the test suite.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "fuzz_importers.py"
CORPUS = HERE / "corpus_importers"
IMPORTERS = {"onnx": 0, "tflite": 1}
ARTIFACTS = ("crash-", "timeout-", "oom-", "leak-")
STARTUP_S = 120  # imports and the initial corpus pass, on a loaded machine


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


def _fuzz(kind: str, seconds: int, work: Path, args: argparse.Namespace) -> list[Path]:
    corpus, findings, artifacts = _prepare(work, kind)
    log = work / f"log-{kind}.txt"
    command = [sys.executable, str(HARNESS), f"--importer={kind}", f"--findings={findings}",
               f"--mem-mb={args.mem_mb}", f"--budget-mb={args.budget_mb}",
               f"-max_total_time={seconds}", f"-timeout={args.timeout}",
               f"-rss_limit_mb={args.mem_mb}", "-max_len=32768", "-print_final_stats=1",
               f"-artifact_prefix={artifacts}/", str(corpus)]
    print(f"fuzz-importers: {kind} for {seconds} s (log: {log})", flush=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with log.open("wb") as out:
        try:
            returncode: int | None = subprocess.run(
                command, stdout=out, stderr=subprocess.STDOUT, env=env,
                timeout=seconds + STARTUP_S).returncode
            status = f"exit status {returncode}"
        except subprocess.TimeoutExpired:
            returncode = None
            status = f"killed after {seconds + STARTUP_S} s (a hang libFuzzer did not catch)"
    text = log.read_text(errors="replace")
    stats = [line for line in text.splitlines() if line.startswith(("#", "Done", "stat::"))]
    print("  " + "\n  ".join(stats[-3:]) + f"\n  {status}", flush=True)
    found = sorted(p for p in findings.glob("finding-*") if p.suffix != ".txt")
    for path in found:
        print(path.with_suffix(".txt").read_text(errors="replace"), flush=True)
    crashed = sorted(p for p in artifacts.iterdir() if p.name.startswith(ARTIFACTS))
    if crashed or returncode != 0:
        print(f"--- libFuzzer's report ({kind}), last lines of {log}:\n"
              + "\n".join(text.splitlines()[-60:]), flush=True)
    if returncode != 0 and not crashed:
        # Killed, or libFuzzer failed to start: no input to keep, but not a pass.
        raise SystemExit(f"fuzz-importers: the {kind} run failed ({status})")
    return [*found, *crashed]


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
    parser.add_argument("--seconds", type=int, default=80, help="total, both importers")
    parser.add_argument("--importers", default="onnx,tflite")
    parser.add_argument("--work", default="build/fuzz-importers")
    parser.add_argument("--mem-mb", type=int, default=1024)
    parser.add_argument("--budget-mb", type=int, default=64)
    parser.add_argument("--timeout", type=int, default=10, help="seconds per input")
    args = parser.parse_args()
    if not _have_atheris():
        if os.environ.get("CI"):
            print("fuzz-importers: atheris is required in CI (env CI is set) but missing; "
                  "pip install atheris", file=sys.stderr)
            return 1
        print("fuzz-importers: skipped, atheris is not installed (pip install atheris)")
        return 0
    kinds = [k for k in args.importers.split(",") if k]
    unknown = sorted(set(kinds) - set(IMPORTERS))
    if unknown:
        parser.error(f"unknown importers {unknown}; choose from {sorted(IMPORTERS)}")
    work = Path(args.work)
    kept = []
    for kind in kinds:
        for path in _fuzz(kind, max(1, args.seconds // len(kinds)), work, args):
            kept.append(_keep(path, kind))
    if kept:
        print(f"fuzz-importers: {len(kept)} finding(s), kept in the corpus:\n  "
              + "\n  ".join(str(p) for p in kept) +
              f"\nrerun one: {sys.executable} {HARNESS} --replay <file>")
        return 1
    print("fuzz-importers: no findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
