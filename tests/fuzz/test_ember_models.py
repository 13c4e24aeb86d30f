"""The structure-aware .ember fuzzer cannot rot silently: its generator covers every op, the
runtime accepts most of its models, hostile models still carry a right content hash, it still
draws the int8 RESIZE upscales that once read past the input, and its driver tells findings
(sanitizer reports, hangs) from refusals and keeps them. The fuzzing itself is `make
fuzz-ember`."""
from __future__ import annotations

import collections
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import emberlite
from emberlite.converter.ops import OpType
from emberlite.converter.ops.resize import CoordinateTransform, ResizeMode
from emberlite.errors import EmberRuntimeError, EvalError, HashMismatchError
from tests.fuzz import ember_models, fuzz_ember

MODELS_PER_OP = 12
ROOT = Path(__file__).resolve().parents[2]


def run(data: bytes) -> None:
    """create, allocate and invoke in this process; a refusal raises EmberRuntimeError."""
    interp = emberlite.Interpreter(model_content=data)
    interp.allocate_tensors()
    try:
        interp.invoke()
    except EvalError:   # data-dependent failures (an index out of range) are refusals too
        pass


def test_every_op_has_a_generator() -> None:
    ember_models.check_coverage()
    assert set(ember_models.GENERATORS) == set(OpType)


def acceptance(seed: int) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Per op, how many of MODELS_PER_OP generated models the runtime accepts, and why it
    refused the others. Prints each model's name first, for the parent to name a crash."""
    rng = np.random.default_rng(seed)
    accepted: dict[str, int] = collections.Counter()
    refusals: dict[str, list[str]] = collections.defaultdict(list)
    for op in OpType:
        for _ in range(MODELS_PER_OP):
            model = ember_models.generate(rng, op, hostile_rate=0.0)
            assert model.ops[0] == op and not model.hostile
            print(f"RUN {model.name}", flush=True)
            try:
                run(model.data)
                accepted[op.name] += 1
            except EmberRuntimeError as e:
                refusals[op.name].append(f"{model.name}: {e}")
    return dict(accepted), dict(refusals)


def test_most_models_are_accepted() -> None:
    # In a child process: this build has no sanitizer, so a kernel bug the models reach may
    # crash the process, which must fail this test and name the model rather than end pytest.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    proc = subprocess.run([sys.executable, __file__, "20261206"], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env=env)
    runs = [ln for ln in proc.stdout.splitlines() if ln.startswith("RUN ")]
    assert proc.returncode == 0, (f"the runtime crashed (status {proc.returncode}) on "
                                  f"{runs[-1:]}:\n{proc.stderr[-3000:]}")
    accepted, refusals = json.loads(proc.stdout.splitlines()[-1])
    low = {op: refusals[op] for op in refusals if accepted.get(op, 0) < MODELS_PER_OP // 2}
    assert not low, f"ops whose generated models the runtime mostly refuses: {low}"
    total = sum(accepted.values())
    assert total >= 0.85 * MODELS_PER_OP * len(OpType), dict(refusals)


def test_hostile_models_are_hashed_right() -> None:
    # The mutations happen before the writer hashes, so the verifier's deeper checks see
    # them: a model may be refused, but never for its hash.
    rng = np.random.default_rng(7)
    kinds = collections.Counter()
    for _ in range(150):
        model = ember_models.generate(rng, hostile_rate=1.0)
        assert model.hostile
        kinds[model.hostile.split(" ")[0]] += 1
        try:
            emberlite.Interpreter(model_content=model.data)
        except HashMismatchError:
            pytest.fail(f"{model.name} ({model.hostile}): content hash mismatch")
        except EmberRuntimeError:
            pass
    assert {"offset", "arena_size", "quant", "shape", "type"} <= set(kinds), kinds


def _upscale_reaches_past_input(transform: CoordinateTransform, n_in: int, n_out: int) -> bool:
    """Whether LiteRT's rounded 1/1024 step puts an int8 bilinear lower tap at cell n_in (the
    unclamped index of the RESIZE bug: 199 -> 650 or 1 -> 55 rows)."""
    align = transform == CoordinateTransform.ALIGN_CORNERS and n_out > 1
    half = transform == CoordinateTransform.HALF_PIXEL
    step = ((1024 * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1) if align
            else (1024 * n_in + n_out // 2) // n_out)
    last = (n_out - 1) * step + (step // 2 - 512 if half else 0)
    return last // 1024 >= n_in


def test_draws_int8_upscales_past_the_input() -> None:
    # The fuzzer would have found the RESIZE over-read: it draws such upscales often.
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(1000):
        graph = ember_models.generate(rng, OpType.RESIZE, hostile_rate=0.0).graph
        node = graph.nodes[0]
        x, y = graph.tensors[node.inputs[0]], graph.tensors[node.outputs[0]]
        p = node.params
        if x.dtype.name == "INT8" and p.mode == ResizeMode.LINEAR and any(
                _upscale_reaches_past_input(p.coordinate_transform, x.shape[a], y.shape[a])
                for a in (1, 2)):
            hits += 1
    assert hits >= 3, f"{hits} int8 bilinear upscales reaching past the input in 1000 models"


def _fake_runner(tmp_path: Path, body: str) -> Path:
    """A stand-in for fuzz_ember_run: prints RUN for the first model, then does `body`."""
    script = tmp_path / "runner.sh"
    script.write_text(f"#!/bin/sh\necho \"RUN $1\"\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize("body, kind", [
    ("echo 'ERROR: AddressSanitizer: use-after-poison on address' >&2; exit 1",
     "use-after-poison"),
    ("echo 'MISMATCH outputs differ between two invokes'; exit 3", "mismatch"),
    ("exec sleep 30", "hang"),
])
def test_driver_keeps_findings(tmp_path: Path, body: str, kind: str) -> None:
    corpus = tmp_path / "corpus"
    args = fuzz_ember.parse_args(["--runner", str(_fake_runner(tmp_path, body)),
                                  "--corpus", str(corpus), "--hang", "2"])
    fuzzer = fuzz_ember.Fuzzer(args)
    model = tmp_path / "000000000-relu-f32.ember"
    model.write_bytes(b"model bytes")
    fuzzer.run([str(model)], save=True)
    assert len(fuzzer.findings) == 1 and kind in fuzzer.findings[0]
    kept = list(corpus.glob(f"{kind}-relu-f32-*.ember"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"model bytes"


def test_driver_refusals_are_no_finding(tmp_path: Path) -> None:
    runner = _fake_runner(tmp_path, "echo 'REFUSED create invalid model: bad'; echo DONE")
    args = fuzz_ember.parse_args(["--runner", str(runner), "--corpus", str(tmp_path / "c")])
    fuzzer = fuzz_ember.Fuzzer(args)
    model = tmp_path / "000000000-relu-f32.ember"
    model.write_bytes(b"x")
    assert fuzzer.run([str(model)], save=True) == {str(model): "REFUSED create invalid "
                                                                 "model: bad"}
    assert not fuzzer.findings and not (tmp_path / "c").exists()


def test_driver_counts_mutants_and_keeps_the_one_that_crashed(tmp_path: Path) -> None:
    """With --mutants the runner's "MUTANT k" lines are counted as executions, and a crash in
    mutant k keeps the bytes the runner dumps for k, not the generated model."""
    script = tmp_path / "runner.sh"
    script.write_text(
        '#!/bin/sh\n'
        'if [ "$1" = --dump-mutant ]; then printf "mutant %s of %s" "$2" "$(cat $4)" > "$3";'
        ' exit 0; fi\n'
        'echo "RUN $3"; echo "INVOKED ok"\n'
        'echo "MUTANT 0"; echo "REFUSED create invalid model: bad"\n'
        'echo "MUTANT 1"; echo "INVOKED ok"\n'
        'echo "MUTANT 2"; echo "ERROR: AddressSanitizer: heap-buffer-overflow" >&2; exit 1\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    corpus = tmp_path / "corpus"
    fuzzer = fuzz_ember.Fuzzer(fuzz_ember.parse_args(
        ["--runner", str(script), "--corpus", str(corpus), "--hang", "5"]))
    model = tmp_path / "000000000-relu-f32.ember"
    model.write_bytes(b"model")
    stats: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    fuzzer.run([str(model)], save=True, mutants=3, mutant_stats=stats)
    assert fuzzer.executions == 4   # the model and three mutants
    assert stats[str(model)] == collections.Counter(refused=1, accepted=1, finding=1)
    kept = list(corpus.glob("heap-overflow-*.ember"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"mutant 2 of model"


if __name__ == "__main__":   # the child of test_most_models_are_accepted
    print(json.dumps(acceptance(int(sys.argv[1]))))
