"""Importer fuzzer: the ONNX and TFLite importers on mutated model files (atheris).

One input is a selector byte and a model file: byte 0 even is ONNX, odd is TFLite (or the
importer named by --importer / EMBER_FUZZ_IMPORTER). Each input is converted with a small
byte budget; a file that converts is then loaded, allocated and run once on zeros.

Refusals (EmberError, the one-line errors `ember convert` prints) are fine. Findings are:
- any other exception (a traceback `ember convert` would show the user), MemoryError included;
- a refusal caused by a MemoryError (the importer hid an allocation past the memory limit);
- a converted file the runtime refuses to load, to allocate or to run;
- a crash, a hang (libFuzzer's -timeout) or memory past the limit (RLIMIT_AS, -rss_limit_mb).

The process runs under an address-space limit (--mem-mb, default 1024 MiB), far above what
a conversion within the budget (--budget-mb, default 64 MiB, given to the converter as
max_constant_bytes and max_arena_bytes) needs; so a file that makes the converter allocate
far past its budget is found (`ember convert` reports such a MemoryError as a message, but
within its budget a conversion must not get there).

The node budget (--budget-nodes, default 2,000, the converter's max_nodes) keeps each input
within libFuzzer's -timeout (run_importer_fuzz.py: 120 s): under atheris' instrumentation an
IR node costs 0.3 ms (an unrolled LSTM) to 19 ms (an inlined ONNX Loop body, with its
planning, writing and run) to convert, so the 4096-step LSTM the default budget allows
(245,000 nodes) would take 70 s, though its time is linear in its steps. The unrolling code
is reached all the same. For the same reason the layout pass's transpose search has a budget
of 100 node visits per node (--layout-visits; the converter's is 1,000): a max pool with
indices unrolled into 128 slices spends all of it, 0.8 s plain and 30 s instrumented, and
mutants of such a file, once in the corpus, held the TFLite fuzzer at 100 executions a
second. Past its budget the search stops with a correct graph, a path the fuzzer then
reaches more often.

    python tests/fuzz/fuzz_importers.py [atheris/libFuzzer args] CORPUS_DIR...   # fuzz
    python tests/fuzz/fuzz_importers.py crash-1234                               # rerun one
    python tests/fuzz/fuzz_importers.py --replay DIR_OR_FILE...   # no atheris: each file once

With EMBER_FUZZ_FINDINGS=DIR the harness keeps fuzzing after a Python finding: it writes the
input to DIR/finding-<sha1> (one per distinct traceback) and prints the traceback once.
run_importer_fuzz.py is the bounded run `make fuzz-importers` uses.

With EMBER_FUZZ_EXTENSION naming a sanitized build of emberlite._ember (sanitized_extension.py,
the ASan runtime in LD_PRELOAD) the converted files run under ASan + UBSan; the address-space
limit is then left off (ASan's shadow needs terabytes of it) and ASan's allocator refuses a
single block over --mem-mb instead, which numpy reports as the same MemoryError.
"""
from __future__ import annotations

import faulthandler
import hashlib
import importlib
import inspect
import os
import random
import re
import resource
import signal
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

ONNX, TFLITE = 0, 1
IMPORTERS = {"onnx": ONNX, "tflite": TFLITE}
MiB = 1 << 20
REPLAY_TIMEOUT_S = 10  # per input in --replay; the fuzzer uses libFuzzer's -timeout


class Finding(Exception):
    """An outcome that is neither a converted, runnable file nor a clean refusal."""


class Hang(Exception):
    """An input ran past the per-input time limit (replay mode)."""


def _option(name: str, default: str, argv: list[str]) -> str:
    """`--name=value` / `--name value` from argv (removed there), else env EMBER_FUZZ_<NAME>."""
    flag = f"--{name}"
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            value = argv[i + 1]
            del argv[i:i + 2]
            return value
        if arg.startswith(flag + "="):
            del argv[i]
            return arg.split("=", 1)[1]
    return os.environ.get(f"EMBER_FUZZ_{name.upper().replace('-', '_')}", default)


class Settings:
    importer: int | None = None        # forced importer, else the selector byte decides
    mem_mb: int = 1024                 # the memory limit, by address space or by ASan
    budget_bytes: int = 64 * MiB
    budget_nodes: int = 2_000
    layout_visits: int = 100           # per node, for the layout pass's search
    findings: Path | None = None       # keep going, writing findings here
    seen: set[str] = set()             # signatures of the findings written this run


def _budget_kwargs(fn: Callable[..., Any]) -> dict[str, int]:
    """The converter's budgets (converter/limits.py) that `fn` accepts."""
    params = inspect.signature(fn).parameters
    budgets = {"max_constant_bytes": Settings.budget_bytes,
               "max_arena_bytes": Settings.budget_bytes, "max_nodes": Settings.budget_nodes}
    return {name: value for name, value in budgets.items() if name in params}


def convert(blob: bytes) -> bytes | None:
    """The .ember bytes of the model in `blob`; raises EmberError when the file is refused."""
    from emberlite.converter import Converter

    if not blob:
        return None
    kind = Settings.importer if Settings.importer is not None else blob[0] & 1
    data = blob[1:]
    make = Converter.from_onnx if kind == ONNX else Converter.from_tflite
    return make(data, **_budget_kwargs(make)).convert()


def run_converted(ember: bytes) -> None:
    """Loads, allocates and invokes the converted file once on zero inputs. An EvalError is
    the data's, not the file's: an index computed at run time (a GATHER, SCATTER_ND of a
    MediaPipe unpooling) may land out of range on zeros, and the runtime refuses it by node."""
    from emberlite import Interpreter
    from emberlite.errors import EmberRuntimeError, EvalError

    try:
        interp = Interpreter(model_content=ember)
        interp.allocate_tensors()
        for d in interp.get_input_details():
            interp.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
        interp.invoke()
    except EvalError:
        pass
    except EmberRuntimeError as e:
        raise Finding(f"the converter wrote a file the runtime refuses: "
                      f"{type(e).__name__}: {e}") from e


def check_one(blob: bytes) -> None:
    """Raises Finding (or lets any unexpected exception through) for a bug, returns on a
    conversion that runs or on a clean refusal."""
    from emberlite.converter.errors import EmberError

    try:
        with warnings.catch_warnings():
            # MetadataWarning (skipped optional metadata) and numpy's overflow warnings
            # while folding hostile constants are expected.
            warnings.simplefilter("ignore")
            ember = convert(blob)
    except EmberError as e:
        if "MemoryError" in str(e):
            raise Finding(f"a refusal that hides an allocation past the "
                          f"{_mem_limit_mb()} MiB limit: {e}") from e
        return
    except MemoryError as e:
        raise Finding(f"allocation past the {_mem_limit_mb()} MiB limit "
                      f"(budget {Settings.budget_bytes // MiB} MiB)") from e
    if ember is not None:
        run_converted(ember)


def _mem_limit_mb() -> int:
    return Settings.mem_mb


def signature(e: BaseException) -> str:
    """What makes two findings the same bug: the exception type and the innermost frame in
    Emberlite (or the innermost frame at all)."""
    root = e
    while isinstance(root, Finding) and root.__cause__ is not None:
        root = root.__cause__
    frames = traceback.extract_tb(root.__traceback__)
    ours = [f for f in frames if "emberlite" in f.filename or "/converter/" in f.filename
            or "/runtime/" in f.filename] or frames
    where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    # A Finding's text tells bugs apart (which op, which field), its numbers do not.
    message = re.sub(r"\d+", "N", str(e).splitlines()[0])[:100] if isinstance(e, Finding) else ""
    return f"{type(e).__name__}/{type(root).__name__} at {where} {message}".rstrip()


def keep_finding(blob: bytes, e: BaseException, folder: Path) -> bool:
    """Writes a new finding's input and traceback; False if its signature was seen."""
    sig = signature(e)
    if sig in Settings.seen:
        return False
    Settings.seen.add(sig)
    if Settings.importer is not None and blob:
        blob = bytes([Settings.importer]) + blob[1:]
    name = f"finding-{hashlib.sha1(blob).hexdigest()}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(blob)
    text = "".join(traceback.format_exception(e))
    (folder / f"{name}.txt").write_text(f"{sig}\n\n{text}")
    print(f"\n=== FINDING {name}: {sig}\n{text}", file=sys.stderr, flush=True)
    return True


def test_one_input(blob: bytes) -> None:
    if Settings.findings is None:
        check_one(blob)
        return
    try:
        check_one(blob)
    except Exception as e:
        keep_finding(blob, e, Settings.findings)


def custom_mutator(blob: bytes, max_size: int, seed: int) -> bytes:
    """Half structure-aware (importer_mutators.py), half libFuzzer's byte mutations."""
    import atheris
    from importer_mutators import mutate_onnx, mutate_tflite

    rng = random.Random(seed)
    if len(blob) > 1 and rng.random() < 0.5:
        kind = Settings.importer if Settings.importer is not None else blob[0] & 1
        mutate = mutate_onnx if kind == ONNX else mutate_tflite
        try:
            body = mutate(blob[1:], rng)
        except Exception:  # a mutator bug must not end the run: mutate bytes instead
            body = None
        if body is not None and len(body) < max_size:
            return blob[:1] + body
    return atheris.Mutate(blob, max_size)


def limit_memory(mem_mb: int) -> None:
    """Caps the address space, so numpy raises MemoryError instead of taking the machine."""
    if mem_mb > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = mem_mb * MiB if hard == resource.RLIM_INFINITY else min(mem_mb * MiB, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def configure(argv: list[str]) -> int:
    """Reads the harness options out of argv; returns the memory limit in MiB."""
    importer = _option("importer", "both", argv)
    if importer not in ("both", *IMPORTERS):
        raise SystemExit(f"--importer must be onnx, tflite or both, got {importer!r}")
    Settings.importer = IMPORTERS.get(importer)
    Settings.budget_bytes = int(float(_option("budget-mb", str(Settings.budget_bytes // MiB),
                                              argv)) * MiB)
    Settings.budget_nodes = int(_option("budget-nodes", str(Settings.budget_nodes), argv))
    Settings.layout_visits = int(_option("layout-visits", str(Settings.layout_visits), argv))
    findings = _option("findings", "", argv)
    Settings.findings = Path(findings) if findings else None
    # One BLAS thread: the fuzzer is single-threaded and threads reserve address space.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return int(_option("mem-mb", "1024", argv))


def _import_all() -> None:
    """Imports what a conversion uses before the memory limit, and before timing starts."""
    import onnx.reference  # noqa: F401  (constant folding)

    from emberlite import Interpreter  # noqa: F401
    from emberlite.converter import Converter  # noqa: F401
    from emberlite.converter.importers import onnx as _onnx, tflite as _tflite  # noqa: F401


def _limit_layout_search() -> None:
    """The layout search's budget for this process only: pytest imports this module too, and
    its other tests convert with the converter's own budget."""
    layout = importlib.import_module("emberlite.converter.passes.to_nhwc")
    layout._SEARCH_VISITS_PER_NODE = Settings.layout_visits


def replay(paths: list[str]) -> int:
    """Runs every file once (folders: every file in them); prints each finding. Exit 1 if
    there was one."""
    files = sorted(p for arg in paths
                   for p in (Path(arg).iterdir() if Path(arg).is_dir() else [Path(arg)])
                   if p.is_file() and p.suffix != ".txt")

    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no result after {REPLAY_TIMEOUT_S} s")

    signal.signal(signal.SIGALRM, alarm)
    bad = 0
    for path in files:
        signal.alarm(REPLAY_TIMEOUT_S)
        # SIGALRM reaches Python code only; a hang in C code ends the process instead.
        faulthandler.dump_traceback_later(2 * REPLAY_TIMEOUT_S, exit=True)
        print(f"replaying {path.name}", file=sys.stderr, flush=True)
        try:
            check_one(path.read_bytes())
        except Exception as e:
            bad += 1
            text = "".join(traceback.format_exception(e))
            print(f"=== FINDING {path.name}: {signature(e)}\n{text}", flush=True)
        finally:
            signal.alarm(0)
            faulthandler.cancel_dump_traceback_later()
    print(f"replayed {len(files)} inputs: {bad} finding(s)")
    return 1 if bad else 0


def main() -> None:
    argv = list(sys.argv)
    Settings.mem_mb = mem_mb = configure(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import sanitized_extension

    sanitized = sanitized_extension.use()
    if "--replay" in argv:
        _import_all()
        _limit_layout_search()
        if not sanitized:
            limit_memory(mem_mb)
        sys.exit(replay(argv[argv.index("--replay") + 1:]))
    import atheris

    with atheris.instrument_imports(include=["emberlite"]):
        _import_all()
    _limit_layout_search()
    if not sanitized:
        limit_memory(mem_mb)
    if not any(a.startswith("-rss_limit_mb") for a in argv):
        argv.append(f"-rss_limit_mb={mem_mb}")
    atheris.Setup(argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
