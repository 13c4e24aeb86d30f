"""Every op on tensors that hold no element but have huge other dims (2^31 - 1): allocate
commits almost nothing, invoke returns at once (no loop over the product of the other dims),
an op whose empty input still gives elements (a sum over an empty axis, a pad of an empty
tensor) computes them, and what cannot be computed is refused with a message.

The cases run in a worker subprocess (empty_worker.py) under a timeout that only detects a
hang: such a kernel loops 2^62 times. Each invoke's time is printed, not asserted.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from emberlite.converter.ops import OpType
from tests.runtime.empty_worker import all_cases

WORKER = Path(__file__).with_name("empty_worker.py")
HANG_SECONDS = 30  # for the whole worker; every case takes milliseconds


def _run_worker() -> tuple[dict[int, str], list[str]]:
    """Outcome per case index, and the cases that hung or crashed the worker (which is then
    restarted after them)."""
    outcomes: dict[int, str] = {}
    failures: list[str] = []
    names = [c.name for c in all_cases()]
    paths = [os.environ.get("PYTHONPATH", ""), str(Path(__file__).resolve().parents[2])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    start = 0
    while start < len(names):
        proc = subprocess.Popen([sys.executable, str(WORKER), str(start)],
                                stdout=subprocess.PIPE, text=True, env=env)
        try:
            out, _ = proc.communicate(timeout=HANG_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        current = None
        for line in out.splitlines():
            word, index, *rest = line.split(maxsplit=3)
            if word == "try":
                current = int(index)
            else:
                print(f"{names[int(index)]:28s} invoke {float(rest[0]) * 1e3:8.3f} ms  "
                      f"{rest[1]}")
                outcomes[int(index)] = rest[1]
                current = None
        if current is None:
            if proc.returncode != 0:
                failures.append(f"worker exited with {proc.returncode} between cases")
            break
        how = "hung" if proc.returncode in (-9, None) else f"exited with {proc.returncode}"
        failures.append(f"{names[current]}: {how}")
        start = current + 1
    return outcomes, failures


def test_every_op_has_an_empty_case() -> None:
    covered = {c.op for c in all_cases()}
    assert not set(OpType) - covered, f"ops without an empty-tensor case: {set(OpType) - covered}"


def test_empty_tensors_with_huge_dims() -> None:
    outcomes, failures = _run_worker()
    for i, case in enumerate(all_cases()):
        got = outcomes.get(i)
        if got is None:
            continue  # reported in failures
        if case.refused is not None:
            if not (got.startswith("error") and case.refused in got):
                failures.append(f"{case.name}: expected a refusal naming '{case.refused}', "
                                f"got {got}")
        elif got != "ok":
            failures.append(f"{case.name}: {got}")
    assert not failures, "\n".join(failures)
