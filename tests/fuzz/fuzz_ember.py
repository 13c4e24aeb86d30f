"""Structure-aware fuzzer for .ember files: `make fuzz-ember` (150 s) and `make fuzz-long`.

Usage: fuzz_ember.py --runner build/fuzz_ember_run [--seconds 150] [--seed N] [--work DIR]
                     [--corpus tests/c/corpus_ember] [--batch 200] [--dynamic 0.25] [--stop]
                     [--mutants K] [--execs N] [--json FILE]

First replays the kept findings (--corpus) and the libFuzzer seeds (tests/c/corpus), then,
until the time is up, generates batches of random valid (and some hostile) models with
ember_models.py and runs each batch through the runner (tests/c/fuzz_ember_run.c, ASan +
UBSan). A finding is a sanitizer report or crash, a hang (no progress for --hang seconds), a
leak, or two invokes that disagree; its model is copied into the corpus under a name saying
what it was, the report's first lines are printed, and the run goes on (or stops with
--stop). Exits 1 if there was any finding. Prints the seed (pass it back with --seed to
generate the same models) and per op: models run, accepted, refused.

Python writes about a hundred models a second; with --mutants K the runner also runs K
mutants of each (tests/c/fuzz_ember_run.c: bit flips and FlatBuffer words set to edge
values, the content hash recomputed so that they reach the verifier and the kernels), which
is how `make fuzz-long` reaches a million executions (--execs: stop there; an execution is
one model or mutant through create, and allocate and the invokes where it is accepted). A
finding in a mutant keeps the mutant's bytes. --json writes the summary for fuzz_long.py.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ember_models  # noqa: E402
from emberlite.converter.ops import OpType  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ASAN_OPTIONS = ("detect_leaks=1:allocator_may_return_null=1:hard_rss_limit_mb=4096:"
                "print_summary=1:halt_on_error=1")
UBSAN_OPTIONS = "print_stacktrace=1:halt_on_error=1"
MAX_PER_SITE = 2   # findings kept per (kind, first frame): a known bug must not flood the corpus


@dataclass
class Outcome:
    """What the runner said about each model it got to, and how it ended."""
    results: dict[str, str] = field(default_factory=dict)   # path -> REFUSED/INVOKED line
    last: str | None = None                                # the last "RUN" path
    done: bool = False                                     # it printed "DONE"
    rc: int = 0
    hung: bool = False
    report: str = ""                                       # stderr + the MISMATCH line
    resized: collections.Counter = field(default_factory=collections.Counter)  # ran / refused
    mutant: int | None = None                              # the last "MUTANT" of `last`
    mutants: dict[str, collections.Counter] = field(      # path -> its mutants' outcomes
        default_factory=lambda: collections.defaultdict(collections.Counter))


def mutant_outcome(line: str) -> str:
    if line.startswith("INVOKED ok"):
        return "accepted"
    return "invoke error" if line.startswith("INVOKED") else "refused"


def run_runner(runner: Path, paths: list[str], hang_s: float, mutants: int = 0) -> Outcome:
    """Runs the runner over `paths`, killing it when no line comes for hang_s seconds."""
    env = dict(os.environ, ASAN_OPTIONS=ASAN_OPTIONS, UBSAN_OPTIONS=UBSAN_OPTIONS)
    options = ["--mutants", str(mutants)] if mutants else []
    proc = subprocess.Popen([str(runner), *options, *paths], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace", env=env)
    lines: queue.Queue[str | None] = queue.Queue()
    err: list[str] = []

    def pump_out() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def pump_err() -> None:
        err.append(proc.stderr.read())

    threads = [threading.Thread(target=pump_out, daemon=True),
               threading.Thread(target=pump_err, daemon=True)]
    for t in threads:
        t.start()
    out = Outcome()
    pending = False   # a MUTANT line whose outcome has not come yet
    while True:
        try:
            line = lines.get(timeout=hang_s)
        except queue.Empty:
            out.hung = True
            proc.kill()
            break
        if line is None:
            break
        line = line.rstrip("\n")
        if line.startswith("RUN "):
            out.last, out.mutant = line[4:], None
        elif line.startswith("MUTANT "):
            out.mutant, pending = int(line[7:]), True
        elif line == "DONE":
            out.done = True
        elif line.startswith("RESIZED"):   # a dynamic model at another size
            out.resized[line.startswith("RESIZED allocate ok")] += 1
        elif out.last is not None and not line.startswith("RESIZE refused"):
            if out.mutant is None:
                out.results.setdefault(out.last, line)   # the run at the stored shapes
            elif pending:
                out.mutants[out.last][mutant_outcome(line)] += 1
                pending = False
            if line.startswith("MISMATCH"):
                out.report = line + "\n"
    out.rc = proc.wait()
    threads[1].join(timeout=5)
    out.report += "".join(err)
    return out


def first_lines(report: str, n: int = 12) -> str:
    """The lines of a sanitizer report that say what and where."""
    keep = [ln for ln in report.splitlines()
            if ln.strip() and not ln.startswith(("    #", "  #"))
            or ln.lstrip().startswith(("#0 ", "#1 ", "#2 "))]
    return "\n".join(keep[:n])


def site_of(report: str) -> str:
    """Where a report points: the first stack frame or UBSan location, for telling repeats
    of one bug apart from new ones."""
    m = re.search(r"#0 0x[0-9a-f]+ in (\S+ \S+)", report) or \
        re.search(r"^(\S+:\d+):\d+: runtime error", report, re.M)
    return m.group(1) if m else ""


def kind_of(out: Outcome) -> str:
    if out.hung:
        return "hang"
    if out.report.startswith("MISMATCH"):
        return "mismatch"
    for tag, kind in (("heap-buffer-overflow", "heap-overflow"),
                      ("use-after-poison", "use-after-poison"),
                      ("stack-buffer-overflow", "stack-overflow"),
                      ("use-after-free", "use-after-free"), ("SEGV", "segv"),
                      ("runtime error", "ubsan"), ("rss limit", "memory"),
                      ("detected memory leaks", "leak"), ("allocation-size-too-big", "memory"),
                      ("out of memory", "memory")):
        if tag in out.report:
            return kind
    return f"crash-rc{out.rc}"


class Fuzzer:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.corpus = Path(args.corpus)
        self.findings: list[str] = []
        self.per_op: dict[str, collections.Counter] = collections.defaultdict(
            collections.Counter)
        self.models = 0
        self.executions = 0
        self.sites: collections.Counter[tuple[str, str]] = collections.Counter()
        self.resized: collections.Counter = collections.Counter()   # True: allocated

    def record(self, kind: str, path: str, out: Outcome, save: bool) -> None:
        data = Path(path).read_bytes()
        name = Path(path).stem.split("-", 1)[-1]
        line = f"FINDING {kind}: {path}"
        site = (kind, site_of(out.report))
        self.sites[site] += 1
        if self.sites[site] > MAX_PER_SITE and site[1]:
            # The same bug again: counted, neither kept nor printed.
            self.findings.append(f"{line} (again at {site[1]})")
            return
        if save:
            self.corpus.mkdir(parents=True, exist_ok=True)
            dest = self.corpus / f"{kind}-{name}-{hashlib.sha256(data).hexdigest()[:8]}.ember"
            shutil.copyfile(path, dest)
            line += f" (kept as {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest})"
        self.findings.append(line)
        print(line)
        print("  " + first_lines(out.report).replace("\n", "\n  "), flush=True)

    def dump_mutant(self, path: str, k: int) -> str:
        """Writes mutant k of `path` beside it; returns the mutant's path."""
        dest = Path(path).with_name(f"{Path(path).stem}-mutant{k}.ember")
        subprocess.run([self.args.runner, "--dump-mutant", str(k), str(dest), path],
                       check=True, capture_output=True)
        return str(dest)

    def run(self, paths: list[str], save: bool, mutants: int = 0,
            mutant_stats: dict[str, collections.Counter] | None = None) -> dict[str, str]:
        """Runs `paths` (each followed by `mutants` mutants), recording every finding; returns
        path -> result line, and adds each path's mutant outcomes to mutant_stats."""
        results: dict[str, str] = {}
        while paths:
            out = run_runner(Path(self.args.runner), paths, self.args.hang, mutants)
            results.update(out.results)
            self.resized.update(out.resized)
            self.executions += len(out.results) + sum(
                sum(c.values()) for c in out.mutants.values())
            if mutant_stats is not None:
                for path, outcomes in out.mutants.items():
                    mutant_stats[path].update(outcomes)
            if out.done and out.rc == 0:
                break
            if out.last is None:
                raise RuntimeError(f"the runner failed before any model (rc {out.rc}):\n"
                                   f"{out.report}")
            culprit = out.last
            if out.done:   # a leak, reported at exit: find the model by running each alone
                culprit = next((p for p in paths if run_runner(
                    Path(self.args.runner), [p], self.args.hang, mutants).rc), paths[-1])
            elif out.mutant is not None:
                self.executions += 1
                if mutant_stats is not None:
                    mutant_stats[culprit]["finding"] += 1
                self.record(kind_of(out), self.dump_mutant(culprit, out.mutant), out, save)
                results.setdefault(culprit, "INVOKED (a mutant: FINDING)")
                if self.args.stop:
                    break
                paths = paths[paths.index(culprit) + 1:] if culprit in paths else []
                continue
            else:
                self.executions += 1
            self.record(kind_of(out), culprit, out, save)
            results[culprit] = "FINDING"
            if self.args.stop:
                break
            paths = paths[paths.index(culprit) + 1:] if culprit in paths else []
        return results

    def replay(self) -> None:
        dirs = [d for d in (self.corpus, ROOT / "tests/c/corpus") if d.is_dir()]
        paths = sorted(str(p) for d in dirs for p in d.glob("*.ember"))
        before = len(self.findings)
        results = self.run(paths, save=False)
        print(f"replayed {len(results)} corpus models: {len(self.findings) - before} findings",
              flush=True)

    def batch(self, rng: np.random.Generator, work: Path, index: int) -> None:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        ops = list(OpType)
        rng.shuffle(ops)
        models: dict[str, ember_models.Model] = {}
        for i in range(self.args.batch):
            m = ember_models.generate(rng, ops[i % len(ops)], self.args.hostile,
                                      dynamic_rate=self.args.dynamic)
            path = work / f"{index:05d}{i:04d}-{m.name}{'-hostile' if m.hostile else ''}.ember"
            path.write_bytes(m.data)
            models[str(path)] = m
        mutant_stats: dict[str, collections.Counter] = collections.defaultdict(
            collections.Counter)
        results = self.run(list(models), save=True, mutants=self.args.mutants,
                           mutant_stats=mutant_stats)
        for path, line in results.items():
            m = models[path]
            stats = self.per_op[m.ops[0].name]
            outcomes = mutant_stats.get(path, collections.Counter())
            stats["mutants"] += sum(outcomes.values())
            stats["mutants accepted"] += outcomes["accepted"] + outcomes["invoke error"]
            stats["hostile" if m.hostile else "models"] += 1
            if not m.hostile:
                stats["accepted" if line.startswith(("INVOKED", "FINDING")) else "refused"] += 1
            if line.startswith("INVOKED") and not line.startswith("INVOKED ok"):
                stats["invoke error"] += 1
        self.models += len(results)

    def summary(self, seconds: float) -> None:
        print(f"\n{'op':20s} {'models':>7s} {'accepted':>9s} {'refused':>8s} {'rate':>6s} "
              f"{'inv.err':>7s} {'hostile':>7s} {'mutants':>8s} {'mut.acc':>8s}")
        for op in OpType:
            s = self.per_op.get(op.name, collections.Counter())
            rate = s["accepted"] / s["models"] if s["models"] else 0.0
            print(f"{op.name.lower():20s} {s['models']:7d} {s['accepted']:9d} "
                  f"{s['refused']:8d} {rate:6.0%} {s['invoke error']:7d} {s['hostile']:7d} "
                  f"{s['mutants']:8d} {s['mutants accepted']:8d}")
        print(f"\n{self.models} models and {self.mutant_total()} mutants ({self.executions} "
              f"executions) in {seconds:.0f} s (seed {self.args.seed}); "
              f"{len(self.findings)} findings; dynamic models resized: "
              f"{self.resized[True]} allocated, {self.resized[False]} refused")
        for f in self.findings:
            if "(again at " not in f:
                print("  " + f)
        for (kind, site), n in sorted(self.sites.items()):
            print(f"  {n:5d} x {kind} at {site or '?'}")

    def mutant_total(self) -> int:
        return sum(s["mutants"] for s in self.per_op.values())

    def write_json(self, path: Path, seconds: float) -> None:
        """The run's numbers for tests/fuzz/fuzz_long.py."""
        ops = {op.name.lower(): dict(self.per_op[op.name]) for op in OpType
               if op.name in self.per_op}
        covered = [op for op, s in ops.items() if s.get("accepted", 0)]
        summary = {"executions": self.executions, "models": self.models,
                   "mutants": self.mutant_total(),
                   "mutants_accepted": sum(s.get("mutants accepted", 0) for s in ops.values()),
                   "ops_accepted": len(covered), "ops": len(OpType),
                   "findings": len(self.findings), "finding_lines": self.findings,
                   "seconds": round(seconds, 1), "seed": self.args.seed, "per_op": ops}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=1) + "\n")


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runner", required=True, help="the fuzz_ember_run binary")
    ap.add_argument("--seconds", type=float, default=150.0, help="generation time budget")
    ap.add_argument("--seed", type=int, default=None, help="default: from the clock")
    ap.add_argument("--work", default="build/fuzz-ember", help="scratch directory")
    ap.add_argument("--corpus", default=str(ROOT / "tests/c/corpus_ember"),
                    help="where findings are kept (and replayed from)")
    ap.add_argument("--batch", type=int, default=200, help="models per runner process")
    ap.add_argument("--hostile", type=float, default=0.15,
                    help="fraction of models mutated after planning")
    ap.add_argument("--dynamic", type=float, default=0.25,
                    help="fraction of models with dynamic input dims, run resized too")
    ap.add_argument("--hang", type=float, default=10.0,
                    help="seconds without progress that count as a hang")
    ap.add_argument("--stop", action="store_true", help="stop at the first finding")
    ap.add_argument("--no-replay", action="store_true", help="skip the corpus replay")
    ap.add_argument("--mutants", type=int, default=0,
                    help="mutants the runner makes and runs of each generated model")
    ap.add_argument("--execs", type=int, default=0,
                    help="stop once this many executions ran (0: --seconds alone decides)")
    ap.add_argument("--json", default="", help="write the summary here as JSON")
    args = ap.parse_args(argv)
    if args.seed is None:
        args.seed = int(time.time() * 1000) % 2**32
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    print(f"fuzz_ember: seed {args.seed}, {args.seconds:.0f} s, runner {args.runner}",
          flush=True)
    ember_models.check_coverage()
    fuzzer = Fuzzer(args)
    start = time.monotonic()
    if not args.no_replay:
        fuzzer.replay()
    rng = np.random.default_rng(args.seed)
    index = 0
    while time.monotonic() - start < args.seconds and not (args.stop and fuzzer.findings) \
            and not (args.execs and fuzzer.executions >= args.execs):
        fuzzer.batch(rng, Path(args.work) / "batch", index)
        index += 1
        print(f"[{time.monotonic() - start:5.0f} s] {fuzzer.models} models, "
              f"{fuzzer.executions} executions, {len(fuzzer.findings)} findings", flush=True)
    fuzzer.summary(time.monotonic() - start)
    if args.json:
        fuzzer.write_json(Path(args.json), time.monotonic() - start)
    return 1 if fuzzer.findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
