"""How many of ONNX's own node test cases Emberlite passes, beside ONNX Runtime: writes
docs/onnx-node-tests.md, a table per op, and with --json every case's result.

Usage: .venv/bin/python scripts/onnx_node_table.py [--out docs/onnx-node-tests.md]
           [--json FILE] [--cases PATTERN] [--jobs N]

Every case of the installed onnx wheel (onnx.backend.test.case.node) is converted and run as
tests/conformance/test_onnx_node.py does, and compared with the case's expected outputs with
that test's tolerance; ONNX Runtime (CPUExecutionProvider) runs the same model, compared the
same way. Each case runs in a worker process, so a crash or a hang (past CASE_TIMEOUT_S) is
one case's result, not the end of the run.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import signal
import sys
import time
import warnings
from collections import Counter, deque
from importlib.metadata import version
from multiprocessing.connection import wait
from pathlib import Path

import numpy as np
from onnx import TensorProto, numpy_helper

from emberlite.converter import ModelImportError, UnsupportedOpsError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # helpers.py: the conformance test's convert and run

from helpers import convert_onnx, run_ember, run_ort  # noqa: E402

DOC = ROOT / "docs" / "onnx-node-tests.md"
COMMAND = ".venv/bin/python scripts/onnx_node_table.py"
RTOL = ATOL = 1e-4  # tests/conformance/test_onnx_node.py's tolerance
CASE_TIMEOUT_S = 60
EMBERLITE, ONNXRUNTIME = "emberlite", "onnxruntime"
REASONS_PER_OP = 3
REASON_CHARS = 80


def node_cases(pattern: str | None = None) -> list:
    """The node test cases with a model, by name, those whose name matches `pattern`."""
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some case generators overflow casts on purpose
        cases = collect_testcases(None)
    picked = [c for c in cases if c.model is not None
              and (pattern is None or re.search(pattern, c.name))]
    return sorted(picked, key=lambda c: c.name)


def _name_match(op: str, words: list[str]) -> tuple[int, int] | None:
    """Where `op` appears in a case name's words: spelled out over whole words
    ("reduce_mean" for ReduceMean) or abbreviated by one ("batchnorm"). Earlier is better, and
    spelled out is better than abbreviated; None where it does not appear."""
    low = op.lower()
    for start, word in enumerate(words):
        if any("".join(words[start:stop]) == low for stop in range(start + 1, len(words) + 1)):
            return start, 0
        # Four letters at least, so that "exp" of "..._expanded" is no abbreviation.
        if len(word) >= 4 and low.startswith(word):
            return start, 1
    return None


def main_op(case) -> str:
    """The op a case is listed under: of its graph's op types other than Constant, the one its
    name names, else its first node's. An "_expanded" case is a function body whose own op is
    not in the graph."""
    ops = list(dict.fromkeys(n.op_type for n in case.model.graph.node if n.op_type != "Constant"))
    if not ops:
        return "Constant"
    words = case.name.removeprefix("test_").lower().split("_")
    ranked = [(rank, op) for op in ops if (rank := _name_match(op, words)) is not None]
    return min(ranked)[1] if ranked else ops[0]


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def _described(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {_first_line(exc)}"


def refusal_reason(exc: UnsupportedOpsError | ModelImportError) -> str:
    """The first problem of a refusal: an UnsupportedOpsError's first line only counts them."""
    if isinstance(exc, UnsupportedOpsError) and exc.problems:
        _, op, why = exc.problems[0]
        more = len(exc.problems) - 1
        return f"{op}: {why}" + (f" (+{more} more)" if more else "")
    return _first_line(exc)


def _as_array(value):
    """A case's tensor as an array: some cases store a TensorProto (float16 casts, float8) or
    a numpy scalar, which ONNX Runtime does not take; sequences (lists) and absent optionals
    (None) stay as they are."""
    if isinstance(value, TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value) if isinstance(value, np.generic) else value


def _assert_close(got, want) -> None:
    want = _as_array(want)
    if want is None or isinstance(want, list):
        # Sequences and optionals: only ONNX Runtime returns them.
        assert isinstance(got, type(want)), \
            f"{type(got).__name__}, expected {type(want).__name__}"
        assert want is None or len(got) == len(want), f"{len(got)} items, expected {len(want)}"
        for item, wanted in zip(got or [], want or []):
            _assert_close(item, wanted)
        return
    want = np.asarray(want)
    if want.dtype.kind in "OSU":  # strings have no tolerance
        np.testing.assert_array_equal(got, want)
        return
    if want.dtype.kind == "V" and want.dtype.name.startswith(("int", "uint")):
        # int4, uint4, int2, uint2 (ml_dtypes): exact, as integers
        np.testing.assert_array_equal(np.asarray(got).astype(np.int64), want.astype(np.int64))
        return
    tol = narrow_float_tolerance(want.dtype)
    if want.dtype.kind == "V":  # bfloat16 and float8 (ml_dtypes): compared as float32
        got, want = np.asarray(got).astype(np.float32), want.astype(np.float32)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def narrow_float_tolerance(dtype: np.dtype) -> float:
    """RTOL, or for a float16, bfloat16 or float8 output one unit in its last place: ONNX
    computed those expected outputs in that type, rounding every step, where Emberlite
    computes in float32 and rounds once (tests/conformance/test_onnx_node.py does the same)."""
    if dtype == np.float16 or dtype.kind == "V" or dtype.name.startswith("float8"):
        import ml_dtypes
        return max(RTOL, float(ml_dtypes.finfo(dtype).eps))
    return RTOL


def mismatch(got: list, expected: list) -> str | None:
    """What differs between a run's outputs and the case's expected ones, None if nothing."""
    if len(got) != len(expected):
        return f"{len(got)} outputs, expected {len(expected)}"
    for index, (value, want) in enumerate(zip(got, expected)):
        try:
            _assert_close(value, want)
        except (AssertionError, TypeError, ValueError) as exc:
            # numpy's messages open with a title ("Not equal to tolerance ..."): skipped.
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            return f"output {index}: " + "; ".join(lines[1:3] if len(lines) > 1 else lines)
    return None


def _result(status: str, detail: str = "") -> dict[str, str]:
    return {"status": status, "detail": detail}


def classify_emberlite(case) -> dict[str, str]:
    """pass; refused (the converter declines); wrong (converted, but the runtime raises or the
    outputs differ); error (the converter raised anything else: a bug)."""
    try:
        model = convert_onnx(case.model)
    except (UnsupportedOpsError, ModelImportError) as exc:
        return _result("refused", refusal_reason(exc))
    except Exception as exc:  # noqa: BLE001 - any other exception is the bug being counted
        return _result("error", _described(exc))
    for inputs, expected in case.data_sets:
        try:
            got = run_ember(model, [np.asarray(_as_array(i)) for i in inputs])
            problem = mismatch(got, expected)
        except Exception as exc:  # noqa: BLE001
            problem = _described(exc)
        if problem:
            return _result("wrong", problem)
    return _result("pass")


def classify_onnxruntime(case) -> dict[str, str]:
    """pass, or fail: the session does not load, the run raises or the outputs differ."""
    for inputs, expected in case.data_sets:
        try:
            problem = mismatch(run_ort(case.model, [_as_array(i) for i in inputs]), expected)
        except Exception as exc:  # noqa: BLE001
            problem = _described(exc)
        if problem:
            return _result("fail", problem)
    return _result("pass")


CLASSIFIERS = {EMBERLITE: classify_emberlite, ONNXRUNTIME: classify_onnxruntime}
# What a crash or a hang counts as, for each runtime.
FAILED = {EMBERLITE: "error", ONNXRUNTIME: "fail"}


def _case_result(case, by_runtime: dict[str, dict[str, str]]) -> dict:
    return {"name": case.name, "op": main_op(case), **by_runtime}


def classify(case) -> dict:
    """A case's result in both runtimes, in this process."""
    return _case_result(case, {runtime: classify_case(case)
                               for runtime, classify_case in CLASSIFIERS.items()})


def _quiet() -> None:
    warnings.simplefilter("ignore")
    import onnxruntime

    # Fatal only: it logs every refused model as an error, which its exception already says.
    onnxruntime.set_default_logger_severity(4)


def _serve(connection, work) -> None:
    """A worker: runs work(task) for each task it is sent, until it is sent None."""
    _quiet()
    while (task := connection.recv()) is not None:
        connection.send(work(task))


def _death(process, timeout_s: float | None) -> str:
    """Why a worker died: its timeout (None if it did not run past one), else its exit."""
    if timeout_s is not None:
        return f"timed out after {timeout_s:g} s"
    code = process.exitcode
    if code is not None and code < 0:
        return f"crashed: {signal.Signals(-code).name}"
    return f"worker exited with status {code}"


class _Worker:
    """A worker process and the task it is on, if any."""

    def __init__(self, context, work):
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end, work), daemon=True)
        self.process.start()
        child_end.close()
        self.task, self.started = None, 0.0

    def give(self, task) -> None:
        self.task, self.started = task, time.monotonic()
        self.connection.send(task)

    def stop(self) -> None:
        if self.process.is_alive():
            self.connection.send(None)
        self.process.join(timeout=5)
        self.process.kill()
        self.process.join()


def _outcome(worker: _Worker, timeout_s: float) -> tuple[bool, object] | None:
    """(whether the worker died, the result of its task) once it is done, else None."""
    if worker.connection.poll():
        try:
            return False, worker.connection.recv()
        except EOFError:  # the pipe closed: the worker died before answering
            return True, ("died", _death(worker.process, None))
    timed_out = time.monotonic() - worker.started > timeout_s
    if timed_out or not worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
        return True, ("died", _death(worker.process, timeout_s if timed_out else None))
    return None


def run_isolated(tasks: list, work, jobs: int, timeout_s: float = CASE_TIMEOUT_S,
                 progress=None) -> dict:
    """work(task) for every task in `jobs` forked worker processes: {task: its result}, or
    {task: ("died", why)} for a task whose worker crashed or ran past timeout_s; that worker is
    replaced and the others go on. progress(done, total) is called after each task."""
    # fork: the workers inherit the collected cases instead of generating them again.
    context = multiprocessing.get_context("fork")
    todo, results = deque(tasks), {}
    workers = [_Worker(context, work) for _ in range(max(1, min(jobs, len(tasks))))]
    for worker in workers:
        if todo:
            worker.give(todo.popleft())
    while any(w.task is not None for w in workers):
        busy = [w for w in workers if w.task is not None]
        wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
        for index, worker in enumerate(workers):
            done = worker.task is not None and _outcome(worker, timeout_s)
            if not done:
                continue
            died, results[worker.task] = done
            worker.task = None
            if died:
                worker = workers[index] = _Worker(context, work)
            if todo:
                worker.give(todo.popleft())
            if progress:
                progress(len(results), len(tasks))
    for worker in workers:
        worker.stop()
    return results


def _progress_printer():
    start = time.monotonic()

    def report(done: int, total: int) -> None:
        if done % 200 == 0 or done == total:
            print(f"{done}/{total} runs, {time.monotonic() - start:.0f} s", file=sys.stderr)
    return report


def classify_all(cases: list, jobs: int) -> list[dict]:
    """Every case's result in both runtimes, each run in a worker process."""
    by_name = {c.name: c for c in cases}

    def work(task: tuple[str, str]) -> dict[str, str]:
        name, runtime = task
        return CLASSIFIERS[runtime](by_name[name])

    tasks = [(c.name, runtime) for c in cases for runtime in CLASSIFIERS]
    outcomes = run_isolated(tasks, work, jobs, progress=_progress_printer())
    for task, outcome in outcomes.items():
        if isinstance(outcome, tuple):  # ("died", why)
            outcomes[task] = _result(FAILED[task[1]], outcome[1])
    return [_case_result(case, {runtime: outcomes[(case.name, runtime)]
                                for runtime in CLASSIFIERS}) for case in cases]


def _why_not(result: dict) -> str:
    """The table's reason for a case Emberlite does not pass: quoted names (inputs, nodes),
    opset versions and the case's own op dropped, so that the cases of one op share reasons."""
    status, detail = result[EMBERLITE]["status"], result[EMBERLITE]["detail"]
    detail = re.sub(r"\s*\(\+\d+ more\)$| \(opset \d+\)", "", detail)
    detail = re.sub(r" ?\('[^']*'\)| '[^']*'", "", detail)
    detail = detail.removeprefix(f"{result['op']}: ")
    if status != "refused":
        detail = f"{status}: {detail}"
    if len(detail) > REASON_CHARS:
        detail = detail[:REASON_CHARS - 3].rstrip() + "..."
    return detail.replace("|", "\\|")


def _passed(results: list[dict], runtime: str) -> set[str]:
    return {r["name"] for r in results if r[runtime]["status"] == "pass"}


def _totals(results: list[dict]) -> list[str]:
    ember, ort = _passed(results, EMBERLITE), _passed(results, ONNXRUNTIME)
    statuses = Counter(r[EMBERLITE]["status"] for r in results)
    rows = [("cases", len(results)), ("Emberlite passed", len(ember)),
            ("ONNX Runtime passed", len(ort)), ("both passed", len(ember & ort)),
            ("Emberlite only", len(ember - ort)), ("ONNX Runtime only", len(ort - ember)),
            ("Emberlite refused", statuses["refused"]),
            ("Emberlite wrong (converted, outputs differ or the run raised)", statuses["wrong"]),
            ("Emberlite error (converter bug, crash or timeout)", statuses["error"])]
    return ["| | cases |", "|---|---:|", *(f"| {name} | {count} |" for name, count in rows)]


def _op_rows(results: list[dict]) -> list[str]:
    lines = ["| op | cases | Emberlite passed | ORT passed | why not |",
             "|---|---:|---:|---:|---|"]
    for op in sorted({r["op"] for r in results}):
        of_op = [r for r in results if r["op"] == op]
        reasons = Counter(_why_not(r) for r in of_op if r[EMBERLITE]["status"] != "pass")
        common = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))[:REASONS_PER_OP]
        why = "; ".join(f"{count}× {reason}" for reason, count in common)
        ember = sum(r[EMBERLITE]["status"] == "pass" for r in of_op)
        ort = sum(r[ONNXRUNTIME]["status"] == "pass" for r in of_op)
        lines.append(f"| {op} | {len(of_op)} | {ember} | {ort} | {why} |")
    return lines


def _bugs(results: list[dict]) -> list[str]:
    """The cases Emberlite converts and gets wrong, or fails on with an error: bugs."""
    lines = []
    for result in results:
        outcome = result[EMBERLITE]
        if outcome["status"] in ("wrong", "error"):
            detail = outcome["detail"].replace("|", "\\|")
            lines.append(f"| {result['name']} | {outcome['status']} | {detail} |")
    if not lines:
        return ["None."]
    return ["| case | status | detail |", "|---|---|---|", *lines]


def versions() -> dict[str, str]:
    return {name: version(name) for name in ("emberlite", "onnx", "onnxruntime")}


def render(results: list[dict], pattern: str | None) -> str:
    used = versions()
    command = COMMAND + (f" --cases '{pattern}'" if pattern else "")
    header = [
        "# ONNX node tests",
        "",
        f"Generated by `{command}` (`make onnx-node-table` for all cases); do not edit.",
        f"onnx {used['onnx']}, onnxruntime {used['onnxruntime']}, "
        f"emberlite {used['emberlite']}.",
        "",
        "Every node test case of the onnx wheel (`onnx.backend.test.case.node`) converted and run",
        "by Emberlite as `tests/conformance/test_onnx_node.py` does, and run by ONNX Runtime",
        "(CPUExecutionProvider); both compared with the case's expected outputs by",
        f"`np.testing.assert_allclose(rtol={RTOL:g}, atol={ATOL:g})` (a float16, bfloat16 or",
        "float8 output within one unit in its last place: ONNX computed those in that type,",
        "Emberlite computes in float32 and rounds once). A case is listed under the",
        "op of its graph that its name names, else its first op other than Constant: an",
        '"_expanded" case (a function body) goes under one of the ops of its body. "why not":',
        "Emberlite's most common reasons over the op's cases, refusals as the converter words",
        "them.",
        "",
    ]
    sections = ["## Totals", "", *_totals(results), "", "## Per op", "", *_op_rows(results),
                "", "## Emberlite wrong or error", "", *_bugs(results)]
    return "\n".join(header + sections) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOC, help="the Markdown table's path")
    parser.add_argument("--json", type=Path, help="also write every case's result here")
    parser.add_argument("--cases", metavar="PATTERN",
                        help="only the cases whose name matches this regular expression")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()
    cases = node_cases(args.cases)
    if not cases:
        parser.error(f"no case matches {args.cases!r}")
    results = classify_all(cases, args.jobs)
    args.out.write_text(render(results, args.cases))
    if args.json:
        args.json.write_text(json.dumps({"versions": versions(), "cases": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
