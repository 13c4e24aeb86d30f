"""The importer fuzzer without atheris: its corpus (seeds and every kept finding) replayed,
each input converting to a file that runs or refused with an EmberError, under the
harness's memory limit; the seeds still convert (so fuzzing starts deep in the importers);
and the harness tells refusals from findings."""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tests.fuzz import fuzz_importers
from tests.fuzz.fuzz_importers import Finding, check_one, convert

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus_importers"


def test_corpus_converts_or_is_refused() -> None:
    # A subprocess: the replay lowers its own address-space limit.
    proc = subprocess.run([sys.executable, str(HERE / "fuzz_importers.py"), "--replay",
                           str(CORPUS)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-30000:] + proc.stderr[-5000:]
    assert "0 finding(s)" in proc.stdout


@pytest.mark.parametrize("seed", sorted(p.name for p in CORPUS.glob("seed-*")))
def test_seed_converts(seed: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert convert((CORPUS / seed).read_bytes())


def test_refusal_is_not_a_finding() -> None:
    check_one(bytes([fuzz_importers.ONNX]) + b"not a protobuf \xff\xff")
    check_one(bytes([fuzz_importers.TFLITE]) + b"\x10\0\0\0TFL3 and then nothing")


@pytest.mark.parametrize("error, expected", [(TypeError("boom"), TypeError),
                                              (MemoryError(), Finding)])
def test_other_exceptions_are_findings(monkeypatch: pytest.MonkeyPatch, error: Exception,
                                       expected: type[Exception]) -> None:
    def broken(blob: bytes) -> bytes:
        raise error
    monkeypatch.setattr(fuzz_importers, "convert", broken)
    with pytest.raises(expected):
        check_one(b"\0model")


def test_file_the_runtime_refuses_is_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzz_importers, "convert", lambda blob: b"EMBR but not a model")
    with pytest.raises(Finding, match="runtime refuses"):
        check_one(b"\0model")
