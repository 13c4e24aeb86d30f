"""The `#include "..."` graph of the C sources (csrc/ and tests/c/) has no cycle between files.

A .c file and the .h of the same name count as one unit (conv2d.c with conv2d.h), so a unit
includes another when any of its files includes one of the other's. A cycle of units (quant.c
including broadcast.h while broadcast.h includes quant.h) means neither file can be read, built
or moved without the other: shared helpers belong in a header both include instead.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where the build looks for quoted includes besides the including file's folder (-I in mk/c.mk,
# mk/cross.mk and, for the OpenCL delegate's tests, mk/opencl.mk).
INCLUDE_DIRS = ("csrc", "csrc/include", "tests/c", "csrc/delegates/opencl")
SOURCE_DIRS = ("csrc", "tests/c")

_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def _sources(root: Path, source_dirs: tuple[str, ...]) -> list[Path]:
    found: set[Path] = set()
    for d in source_dirs:
        found.update(p for p in (root / d).rglob("*") if p.suffix in {".c", ".h"} and p.is_file())
    return sorted(found)


def _resolve(root: Path, source: Path, name: str, include_dirs: tuple[str, ...]) -> Path | None:
    for folder in (source.parent, *(root / d for d in include_dirs)):
        candidate = folder / name
        if candidate.is_file():
            return candidate.resolve()
    return None


def _unit(root: Path, path: Path) -> str:
    """A file's unit: its path from `root` without the suffix."""
    return path.resolve().relative_to(root.resolve()).with_suffix("").as_posix()


def include_graph(root: Path, source_dirs: tuple[str, ...] = SOURCE_DIRS,
                  include_dirs: tuple[str, ...] = INCLUDE_DIRS
                  ) -> tuple[dict[str, set[str]], list[str]]:
    """Unit -> units it includes (itself left out), and the quoted includes no folder holds."""
    edges: dict[str, set[str]] = {}
    unresolved: list[str] = []
    for source in _sources(root, source_dirs):
        unit = _unit(root, source)
        edges.setdefault(unit, set())
        for name in _INCLUDE.findall(source.read_text(errors="replace")):
            target = _resolve(root, source, name, include_dirs)
            if target is None:
                unresolved.append(f'{source.relative_to(root)}: #include "{name}"')
            elif _unit(root, target) != unit:
                edges[unit].add(_unit(root, target))
    return edges, unresolved


def include_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a closed path of units) per group of units that reach each other."""
    order: list[str] = []
    seen: set[str] = set()
    for start in sorted(edges):  # iterative DFS: units by finishing time
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(sorted(edges[start])))]
        while stack:
            unit, targets = stack[-1]
            nxt = next((t for t in targets if t not in seen), None)
            if nxt is None:
                order.append(unit)
                stack.pop()
            else:
                seen.add(nxt)
                stack.append((nxt, iter(sorted(edges.get(nxt, ())))))
    reverse: dict[str, set[str]] = {u: set() for u in edges}
    for unit, targets in edges.items():
        for t in targets:
            reverse.setdefault(t, set()).add(unit)
    cycles: list[list[str]] = []
    assigned: set[str] = set()
    for root in reversed(order):  # Kosaraju: each tree of the reversed graph is one group
        if root in assigned:
            continue
        group, todo = set(), [root]
        while todo:
            unit = todo.pop()
            if unit not in assigned:
                assigned.add(unit)
                group.add(unit)
                todo.extend(reverse.get(unit, ()))
        if len(group) > 1:
            cycles.append(_cycle_through(min(group), group, edges))
    return sorted(cycles)


def _cycle_through(start: str, group: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest closed path start -> ... -> start inside `group` (breadth first)."""
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for unit in frontier:
            for t in sorted(edges.get(unit, ())):
                if t not in group or t in parent:
                    continue
                parent[t] = unit
                if t == start:
                    path = [start]
                    while path[-1] != start or len(path) == 1:
                        path.append(parent[path[-1]])
                    return path[::-1]
                following.append(t)
        frontier = following
    return [start, start]  # unreachable for a group of two or more


def _describe(cycles: list[list[str]]) -> str:
    return "\n".join(" -> ".join(c) for c in cycles)


def test_no_include_cycle_between_c_files() -> None:
    edges, unresolved = include_graph(ROOT)
    assert "csrc/kernels/conv2d" in edges and edges["csrc/kernels/conv2d"], \
        "the walk found no includes: were csrc/ and tests/c/ moved?"
    assert not unresolved, "quoted includes no source folder holds:\n" + "\n".join(unresolved)
    cycles = include_cycles(edges)
    assert not cycles, ("C files that include each other (a .c and its .h are one unit); move "
                        "what both need into a header both include:\n" + _describe(cycles))


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_include_cycle_check_names_a_cycle_through_a_c_file(tmp_path: Path) -> None:
    # a.c -> b.h and b.h -> a.h: units a and b include each other, although no header
    # includes itself; c only depends on them and is not part of the cycle.
    _write(tmp_path, {
        "csrc/a.c": '#include "a.h"\n#include "b.h"\n',
        "csrc/a.h": "int a(void);\n",
        "csrc/b.h": '#include "a.h"\n',
        "csrc/kernels/c.c": '#include "kernels/c.h"\n#include "b.h"\n',
        "csrc/kernels/c.h": "int c(void);\n",
    })
    edges, unresolved = include_graph(tmp_path)
    assert not unresolved
    assert include_cycles(edges) == [["csrc/a", "csrc/b", "csrc/a"]]


def test_include_cycle_check_finds_a_longer_cycle_and_missing_headers(tmp_path: Path) -> None:
    _write(tmp_path, {
        "csrc/x.h": '#include "y.h"\n',
        "csrc/y.h": '#include "kernels/z.h"\n',
        "csrc/kernels/z.c": '#include "x.h"\n#include "missing.h"\n',
        "csrc/kernels/z.h": "\n",
        "tests/c/test_x.c": '#include "x.h"\n',
    })
    edges, unresolved = include_graph(tmp_path)
    assert unresolved == ['csrc/kernels/z.c: #include "missing.h"']
    assert include_cycles(edges) == [["csrc/kernels/z", "csrc/x", "csrc/y", "csrc/kernels/z"]]


def test_include_cycle_check_passes_a_file_and_its_own_header(tmp_path: Path) -> None:
    # A .c including its own header, and that header including a shared one, is no cycle.
    _write(tmp_path, {
        "csrc/kernels/d.c": '#include "kernels/d.h"\n#include "common.h"\n',
        "csrc/kernels/d.h": '#include "common.h"\n',
        "csrc/common.h": "\n",
        "csrc/common.c": '#include "common.h"\n',
    })
    edges, unresolved = include_graph(tmp_path)
    assert not unresolved
    assert edges["csrc/kernels/d"] == {"csrc/common"}
    assert include_cycles(edges) == []
