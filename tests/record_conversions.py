"""A pytest plugin that records what every test converts and runs, to show that a change
leaves converted files and outputs byte-identical.

    EMBER_RECORD=before.json python -m pytest -p record_conversions
    ... change the code ...
    EMBER_RECORD=after.json python -m pytest -p record_conversions
    python tests/record_conversions.py before.json after.json [before_again.json]

Per test it keeps, in order, the SHA-256 of each .ember file the Converter writes (serialized
again with a fixed producer string, so a version bump alone does not count as a change) with
that of its source model, and of the outputs of each successful invoke with that of its
inputs. A record whose source or inputs differ between the two runs (a test that draws them
at random, a Keras model whose layer names depend on what ran before it) cannot be compared,
and is counted apart; so is a test whose outputs differ between two recordings of the unchanged
code (before_again.json), which draws something at random that its records do not show.
Tests run in worker processes are not recorded.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import sys

import pytest

_records: dict[str, list[str]] = {}
_current: list[str] = []
_restore: list[tuple] = []                  # (patched function, original) to undo by name


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.hexdigest()[:16]


def _patch_serialize(monkey: pytest.MonkeyPatch) -> None:
    """Records the files written through Converter.convert (and writer.serialize)."""
    from emberlite.converter import converter, writer
    original = writer.serialize

    @functools.wraps(original)  # the patched call keeps its docstring (test_public_api.py)
    def recording(graph, plan, **kwargs):
        out = original(graph, plan, **kwargs)
        fixed = original(graph, plan, **{**kwargs, "producer": "recorded"})
        source = (kwargs.get("metadata") or {}).get("source.sha256", "")[:16]
        _current.append(f"file {source}:{_digest(bytes(fixed))}")
        return out
    monkey.setattr(writer, "serialize", recording)
    monkey.setattr(converter, "serialize", recording)
    _restore.append((recording, original))


def _unpatch() -> None:
    """A module first imported during a test took the patched serialize by name: it gets the
    original back, so what is recorded does not depend on which test imported it."""
    for patched, original in _restore:
        for module in list(sys.modules.values()):
            if getattr(module, "serialize", None) is patched:
                module.serialize = original
    _restore.clear()


def _patch_invoke(monkey: pytest.MonkeyPatch) -> None:
    from emberlite.interpreter import Interpreter
    original = Interpreter.invoke

    @functools.wraps(original)
    def recording(self):
        inputs = [self.get_tensor(d["index"]) for d in self.get_input_details()]
        original(self)
        outputs = [self.get_tensor(d["index"]) for d in self.get_output_details()]
        _current.append(f"outputs {_digest(*(x.tobytes() for x in inputs))}:"
                        f"{_digest(*(o.tobytes() for o in outputs))}")
    monkey.setattr(Interpreter, "invoke", recording)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    monkey = pytest.MonkeyPatch()
    _patch_serialize(monkey)
    _patch_invoke(monkey)
    _current.clear()
    try:
        yield
    finally:
        _unpatch()
        monkey.undo()
        if _current:
            _records[item.nodeid] = list(_current)


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("EMBER_RECORD")
    if path:
        with open(path, "w") as f:
            json.dump(_records, f, indent=0, sort_keys=True)


def _split(record: str) -> tuple[str, str]:
    """(what went in, what came out) of one record."""
    kind, _, hashes = record.partition(" ")
    given, _, made = hashes.rpartition(":")
    return kind + " " + given, made


def _verdict(before: list[str], after: list[str]) -> str:
    """"same", "differs", or "incomparable" (other inputs, or another number of records)."""
    if before == after:
        return "same"
    if len(before) != len(after):
        return "incomparable"
    pairs = [(_split(b), _split(a)) for b, a in zip(before, after)]
    if any(b[0] != a[0] for b, a in pairs if b[0].startswith("file")):
        return "incomparable"  # another source model: its runs are not the same model's
    if any(b[0] == a[0] and b[1] != a[1] for b, a in pairs):
        return "differs"
    return "incomparable"


def _load(path: str) -> dict[str, list[str]]:
    with open(path) as f:
        return json.load(f)


def _made(records: list[str]) -> list[str]:
    return [_split(r)[1] for r in records]


def compare(before_path: str, after_path: str, again_path: str | None = None) -> int:
    """Prints the tests whose records differ; returns how many do."""
    before, after = _match_moved(_load(before_path), _load(after_path))
    again = _load(again_path) if again_path else before
    common = sorted(set(before) & set(after))
    verdicts = {k: _verdict(before[k], after[k]) for k in common}
    for key in common:
        if key in again and _made(again[key]) != _made(before[key]):
            verdicts[key] = "incomparable"
    for kind in ("incomparable", "differs"):
        for key in (k for k in common if verdicts[k] == kind):
            print(f"{kind}: {key}")
    count = {kind: sum(v == kind for v in verdicts.values()) for kind in
             ("same", "differs", "incomparable")}
    files = sum(sum(r.startswith("file") for r in before[k]) for k in common)
    runs = sum(sum(r.startswith("outputs") for r in before[k]) for k in common)
    print(f"{len(common)} tests in both ({files} files, {runs} invokes): {count['same']} same, "
          f"{count['differs']} differ, {count['incomparable']} incomparable (other inputs); "
          f"only before: {len(set(before) - set(after))}, "
          f"only after: {len(set(after) - set(before))}")
    return count["differs"]


def _match_moved(before: dict, after: dict) -> tuple[dict, dict]:
    """Tests moved to another file keep their name: a test found on one side only is matched
    by its name and parameters when exactly one test on each side has them."""
    def by_name(records: dict, keys: set) -> dict:
        names: dict[str, list[str]] = {}
        for key in keys:
            names.setdefault(key.split("::", 1)[-1], []).append(key)
        return {n: ks[0] for n, ks in names.items() if len(ks) == 1}
    gone = by_name(before, set(before) - set(after))
    new = by_name(after, set(after) - set(before))
    before, after = dict(before), dict(after)
    for name in set(gone) & set(new):
        after[gone[name]] = after.pop(new[name])
    return before, after


if __name__ == "__main__":
    sys.exit(1 if compare(*sys.argv[1:4]) else 0)
