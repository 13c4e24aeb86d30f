"""Nothing in the repository cites a path outside it: what the code relies on is written down
in docs/ (a reader of a fresh clone has nothing else)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A relative path climbing out of the checkout to the sibling folder of design notes, or this
# machine's paths. Spelt in pieces so that this file does not match what it looks for.
_UP, _WORK = r"\.\." + "/", "/" + "work/"
_OUTSIDE = re.compile(_UP + r"shared\b|" + _WORK + r"(?:shared|main|notes)\b|"
                      r"\bshared/(?:design|style|toolchains|kernels|int8-arithmetic)\.md\b")


def _tracked_text_files() -> list[Path]:
    try:
        names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    skip = (".ember", ".onnx", ".tflite", ".bin", ".so", ".png")
    return [ROOT / n for n in names if not n.endswith(skip) and "corpus" not in n]


def test_no_file_cites_a_path_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_text_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if _OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, "cites a path outside the repository:\n" + "\n".join(offenders)


def test_the_pattern_catches_an_outside_citation() -> None:
    assert _OUTSIDE.search("see " + ".." + "/shared/int8-arithmetic.md for the rounding")
    assert _OUTSIDE.search("(from " + "/wo" + "rk/shared/kernels.md)")
    assert not _OUTSIDE.search("see docs/int8-arithmetic.md")
