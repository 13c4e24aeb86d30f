"""`ember compare --delegate NAME model.ember`: a model on a delegate beside itself on the CPU.

Three interpreters of the one file, fed the same inputs:

- the CPU alone: the reference;
- the delegate as the user configured it (usually the whole graph one partition): its final
  outputs and its latency;
- the delegate with max_partition_nodes=1, so that every node it takes is a partition of its
  own and writes its outputs back to the arena, where they can be read node by node (inside a
  larger partition they never leave the device). Each node's outputs are compared with the
  CPU's; the error of a node includes what its inputs brought from the nodes before it, as on
  the device. Its per-node times include each node's transfers, which the whole graph avoids.

The agreement measure is `ember compare`'s: max |diff| / max |CPU| (compare.agreement).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .cli_support import (CliError, clip, load_cli_delegate, open_model, placement_text,
                          printable, shape_text)
from .compare import agreement, random_input
from .errors import EmberRuntimeError

# Options that make every delegated node a partition of its own.
ONE_NODE_PARTITIONS = {"max_partition_nodes": "1", "min_partition_nodes": "1"}


def _inputs(interp: Any, given: dict[str | int, np.ndarray], seed: int
            ) -> tuple[list[np.ndarray], list[tuple[str, list[int], str, str]]]:
    """Every graph input's value (given by name or position, else random from `seed`) and
    (name, shape, dtype, origin) of each."""
    details = interp.get_input_details()
    names = [d["name"] for d in details]
    for key in given:
        if isinstance(key, str) and key not in names:
            raise CliError(f"no input named {key!r} in the model; its inputs are {names}")
        if isinstance(key, int) and key >= len(names):
            raise CliError(f"{key + 1} inputs given, the model has {len(names)}")
    rng = np.random.default_rng(seed)
    values, described = [], []
    for position, detail in enumerate(details):
        value = given.get(detail["name"], given.get(position))
        origin = "from file"
        if value is None:
            shape = tuple(int(d) for d in detail["shape"])
            value, origin = random_input(shape, np.dtype(detail["dtype"]), rng), \
                f"random, seed {seed}"
        values.append(np.require(value, requirements="C"))
        described.append((detail["name"], list(value.shape), str(value.dtype), origin))
    return values, described


def _set_inputs(interp: Any, values: list[np.ndarray]) -> None:
    for detail, value in zip(interp.get_input_details(), values):
        try:
            interp.set_tensor(detail["index"], value)
        except ValueError as e:
            raise CliError(f"input {detail['name']!r}: {e}") from None


def _read_tensors(interp: Any) -> set[int]:
    """The tensors a node or the caller reads: the ones a one-node partition writes back."""
    read = {d["index"] for d in interp.get_output_details()}
    for node in range(len(interp.node_ops())):
        read.update(t for t in interp.node_inputs(node) if t is not None)
    return read


def _node_outputs(interp: Any, read: set[int]) -> list[dict[int, np.ndarray]]:
    """One node-by-node pass: per node, its outputs that are read, right after it ran (the
    arena gives their memory to later nodes)."""
    values = []
    for node in range(len(interp.node_ops())):
        interp.invoke_node(node)
        values.append({t: interp.get_tensor(t) for t in interp.node_outputs(node) if t in read})
    return values


def _median_ms(samples: Sequence[float]) -> float:
    return float(np.median(samples)) * 1e3


def _invoke_ms(interp: Any, runs: int) -> float:
    interp.invoke()  # untimed: a delegate may finish compiling at its first run
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interp.invoke()
        times.append(time.perf_counter() - start)
    return _median_ms(times)


def _profile_ms(interp: Any, runs: int) -> list[float]:
    passes = np.array([interp.profile() for _ in range(runs)])
    return [float(t) * 1e3 for t in np.median(passes, axis=0)]


def _worst(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The row of a node's outputs that agrees least (failed first, then the largest relative
    error), or None for a node with no output compared."""
    if not rows:
        return None
    return max(rows, key=lambda r: (not r["ok"], r.get("max_rel", np.inf)))


def _node_rows(cpu: Any, per_node: Any, cpu_values: list[dict[int, np.ndarray]],
               delegate_values: list[dict[int, np.ndarray]], tol: float,
               runs: int) -> list[dict[str, Any]]:
    cpu_ms, delegate_ms = _profile_ms(cpu, runs), _profile_ms(per_node, runs)
    rows = []
    for placement, want, got in zip(per_node.node_placements(), cpu_values, delegate_values):
        node = placement["index"]
        worst = _worst([agreement(got[t], want[t], tol) for t in want])
        rows.append({**placement, "agreement": worst, "ok": worst is None or worst["ok"],
                     "cpu_ms": cpu_ms[node], "delegate_ms": delegate_ms[node]})
    return rows


def compare_delegate(model_path: str, library: str, option_specs: Sequence[str],
                     given: dict[str | int, np.ndarray], seed: int = 0, tol: float = 1e-4,
                     runs: int = 5) -> dict[str, Any]:
    """Runs the .ember at `model_path` on the CPU and on the delegate `library` (with the
    --delegate-option settings `option_specs`) on the same inputs. The result: inputs
    [(name, shape, dtype, origin)], delegate (name, options, describe, partitions of the
    whole graph), nodes [placement dicts of the one-node-partition run with agreement (a
    compare.agreement row or None), ok, cpu_ms, delegate_ms], outputs [name, agreement
    rows of the whole graph], cpu_ms and delegate_ms (median invoke), tol, passed."""
    if not tol >= 0:
        raise CliError(f"--tol must be >= 0, got {tol}")
    whole_delegate = load_cli_delegate(library, option_specs)
    node_delegate = load_cli_delegate(library, option_specs, ONE_NODE_PARTITIONS)
    cpu = open_model(model_path)
    whole = open_model(model_path, delegate=whole_delegate)
    per_node = open_model(model_path, delegate=node_delegate)
    values, described = _inputs(cpu, given, seed)
    for interp in (cpu, whole, per_node):
        _set_inputs(interp, values)
    read = _read_tensors(cpu)
    try:
        cpu_values = _node_outputs(cpu, read)
        delegate_values = _node_outputs(per_node, read)
        nodes = _node_rows(cpu, per_node, cpu_values, delegate_values, tol, runs)
        cpu_ms, delegate_ms = _invoke_ms(cpu, runs), _invoke_ms(whole, runs)
    except EmberRuntimeError as e:
        raise CliError(f"cannot run {model_path}: {e}") from None
    outputs = []
    for detail in whole.get_output_details():
        got, want = whole.get_tensor(detail["index"]), cpu.get_tensor(detail["index"])
        outputs.append({"name": detail["name"], "shape": list(want.shape),
                        "dtype": str(want.dtype)} | agreement(got, want, tol))
    placements = whole.node_placements()
    partitions = {p["partition"] for p in placements if p["partition"] is not None}
    return {"model": model_path, "inputs": described, "tol": tol, "runs": runs,
            "delegate": {"name": whole_delegate.name, "options": whole_delegate.options,
                         "describe": whole_delegate.describe(), "partitions": len(partitions),
                         "delegated_nodes": sum(p["delegate"] is not None
                                                for p in placements)},
            "nodes": nodes, "outputs": outputs, "cpu_ms": cpu_ms, "delegate_ms": delegate_ms,
            "passed": all(row["ok"] for row in nodes + outputs)}


# -- the report ------------------------------------------------------------------------------

def _error_text(row: dict[str, Any] | None) -> str:
    if row is None:
        return f"{'-':>10}  {'-':>18}"
    if "problem" in row:
        return row["problem"]
    return f"{row['max_abs']:10.3g}  {row['max_rel']:18.3g}"


def print_report(result: dict[str, Any]) -> int:
    """Prints compare_delegate's result; returns the exit status: 0 when every node's and
    every final output agrees within the tolerance, else 1."""
    delegate = result["delegate"]
    options = " ".join(f"{k}={v}" for k, v in delegate["options"].items())
    print(f"model {printable(result['model'])} on the CPU and on delegate "
          f"{printable(delegate['name'])}{f' ({printable(options)})' if options else ''}")
    for line in delegate["describe"].splitlines():
        print(f"  {printable(line)}")
    for name, shape, dtype, origin in result["inputs"]:
        print(f"input {printable(name)}: {shape_text(shape)} {dtype} ({origin})")
    print("per node, the delegate with max_partition_nodes=1 (every node it takes a partition "
          "of its own; errors carry over from the nodes before; its times include each "
          f"node's transfers); ms: median of {result['runs']} pass(es):")
    print(f"  {'node':>4}  {'op':20} {'where':24} {'max|diff|':>10}  {'max|diff|/max|cpu|':>18}"
          f"  {'cpu ms':>9}  {'delegate ms':>11}")
    for row in result["nodes"]:
        flag = "" if row["ok"] else "  <- beyond tolerance"
        print(f"  {row['index']:4}  {clip(row['op'], 20):20} "
              f"{clip(placement_text(row), 24):24} {_error_text(row['agreement'])}  "
              f"{row['cpu_ms']:9.3f}  {row['delegate_ms']:11.3f}{flag}")
    print(f"whole graph, the delegate as configured: {delegate['delegated_nodes']} of "
          f"{len(result['nodes'])} nodes in {delegate['partitions']} partition(s); invoke "
          f"median of {result['runs']}: cpu {result['cpu_ms']:.3f} ms, delegate "
          f"{result['delegate_ms']:.3f} ms")
    print(f"  {'output':20} {'shape':14} {'dtype':8} {'max|diff|':>10}  {'max|diff|/max|cpu|':>18}")
    for row in result["outputs"]:
        print(f"  {clip(row['name'], 20):20} {shape_text(row['shape']):14} {row['dtype']:8} "
              f"{_error_text(row)}")
    failed_nodes = [row for row in result["nodes"] if not row["ok"]]
    failed_outputs = [printable(row["name"]) for row in result["outputs"] if not row["ok"]]
    rule = f"max|diff| / max|cpu| <= {result['tol']:g}; integer and bool tensors equal"
    if failed_nodes or failed_outputs:
        print(f"FAIL ({rule}): {len(failed_nodes)} node(s), {len(failed_outputs)} output(s) "
              f"beyond it{': ' + ', '.join(failed_outputs) if failed_outputs else ''}")
        return 1
    print(f"PASS: {len(result['nodes'])} node(s) and {len(result['outputs'])} output(s) "
          f"agree ({rule})")
    return 0
