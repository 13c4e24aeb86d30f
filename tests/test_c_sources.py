"""Source-level rules of the C library that the design relies on (csrc/).

- Memory comes only through the interpreter's allocator: the one place that calls libc's
  allocation functions is the default allocator in csrc/kernels/common.c. Together with
  tests/c/test_alloc.c (which counts allocator calls across 100 invokes) this shows invoke
  never allocates. Delegates (csrc/delegates/) are plug-ins a hosted process loads with
  dlopen, outside the library: they manage their own memory (and their device's).
- Errors are values: nothing calls abort, exit or assert.
- No mutable file-scope state: file-scope variables are const.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

CSRC = Path(__file__).resolve().parents[1] / "csrc"
SOURCES = sorted(p for p in CSRC.rglob("*") if p.suffix in {".c", ".h"})
DEFAULT_ALLOCATOR = CSRC / "kernels" / "common.c"
PLUGINS = CSRC / "delegates"


def _code(path: Path) -> str:
    """The file without comments and string literals."""
    text = re.sub(r"/\*.*?\*/", " ", path.read_text(), flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(CSRC)))
def test_no_direct_allocation_or_abort(path: Path) -> None:
    code = _code(path)
    if path != DEFAULT_ALLOCATOR and PLUGINS not in path.parents:
        assert not re.search(r"(?<![.>\w])(malloc|calloc|realloc|free)\s*\(", code), \
            "allocate through ember_alloc / the interpreter's allocator"
    assert not re.search(r"\b(abort|exit|_Exit|assert)\s*\(", code), "errors are status values"


# Mutable state two interpreters could share is a bug; a thread-local that one call sets and
# clears again is not shared: the thread pool's marker of "this thread is running a task".
THREAD_LOCAL_MARKERS = {"threadpool.c": "static _Thread_local size_t task_thread;"}


@pytest.mark.parametrize("path", [p for p in SOURCES if p.suffix == ".c"],
                         ids=lambda p: str(p.relative_to(CSRC)))
def test_file_scope_variables_are_const(path: Path) -> None:
    depth = 0
    for line in _code(path).splitlines():
        if line.strip() == THREAD_LOCAL_MARKERS.get(path.name):
            continue
        if depth == 0 and re.match(r"\s*static\s+(?!const\b|inline\b)[\w\s\*]+[\w\]]\s*(=|;|\[)",
                                   line) and "(" not in line.split("=")[0]:
            pytest.fail(f"mutable file-scope variable: {line.strip()}")
        depth += line.count("{") - line.count("}")
