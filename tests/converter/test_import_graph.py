"""No import cycle in the emberlite package (converter/ and runtime/).

The test reads the sources with `ast` rather than importing them, so it sees every import,
also those inside functions (they run at the first call, and a cycle through them fails
then, far from the import that closed it). What counts as an edge A -> B:
- `import B`, `from B import name` and `from B import C` (then A -> B.C as well, if B.C
  is a module), with relative imports resolved against A's package;
- not imports under `if TYPE_CHECKING:`, which never run;
- not the implicit import of B's parent packages: Python runs them first whatever the
  importer, so a package whose __init__ imports its submodules would otherwise always be
  a cycle, while `from . import name` from a submodule does count (it reads the package).
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The package names of the source folders (pyproject.toml's package-dir).
PACKAGES = {"emberlite": ROOT / "runtime", "emberlite.converter": ROOT / "converter"}

Edge = tuple[str, str]  # (importing module, imported module)


def find_modules(packages: dict[str, Path]) -> dict[str, Path]:
    """Module name -> source file, for every .py file under the package folders."""
    found = {}
    for package, folder in packages.items():
        for path in sorted(folder.rglob("*.py")):
            parts = [p for p in path.relative_to(folder).with_suffix("").parts
                     if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
            or isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: at any depth, except under TYPE_CHECKING."""
    pending = [tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                pending.extend(child.orelse)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            else:
                pending.append(child)


def _targets(statement: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """The module names a statement may import, `package` being the importer's package."""
    if isinstance(statement, ast.Import):
        return [alias.name for alias in statement.names]
    base = statement.module or ""
    if statement.level:
        parts = package.split(".")
        parts = parts[:len(parts) - (statement.level - 1)]
        base = ".".join([*parts, base] if base else parts)
    return [base, *(f"{base}.{alias.name}" for alias in statement.names)]


def import_edges(modules: dict[str, Path]) -> dict[Edge, str]:
    """Each import between two of `modules`, with the line of the importing statement."""
    edges: dict[Edge, str] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for statement in _import_statements(ast.parse(path.read_text(), str(path))):
            for target in _targets(statement, package):
                if target in modules and target != name:
                    edges.setdefault((name, target), f"line {statement.lineno}")
    return edges


def find_cycle(edges: dict[Edge, str]) -> list[str]:
    """A shortest cycle of module names (the first repeated at the end), or []."""
    graph: dict[str, list[str]] = {}
    for src, dst in sorted(edges):
        graph.setdefault(src, []).append(dst)
    best: list[str] = []
    for start in sorted(graph):
        # Breadth-first from `start` back to it: the shortest cycle through `start`.
        parent: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in parent:
            following = []
            for module in frontier:
                for nxt in graph.get(module, []):
                    if nxt not in parent:
                        parent[nxt] = module
                        following.append(nxt)
            frontier = following
        if start in parent:
            path = [start]
            while len(path) == 1 or path[-1] != start:
                path.append(parent[path[-1]])
            cycle = path[::-1]
            if not best or len(cycle) < len(best):
                best = cycle
    return best


def describe(cycle: list[str], edges: dict[Edge, str]) -> str:
    """`a (line 3) -> b (line 7) -> a`: a imports b at its line 3, b imports a at line 7."""
    return " -> ".join(f"{a} ({edges[(a, b)]})" for a, b in zip(cycle, cycle[1:])) \
        + f" -> {cycle[-1]}"


def test_emberlite_has_no_import_cycle():
    modules = find_modules(PACKAGES)
    assert "emberlite.converter.importers.onnx" in modules  # the folders were found
    edges = import_edges(modules)
    cycle = find_cycle(edges)
    assert not cycle, f"import cycle: {describe(cycle, edges)}"


def write_package(root: Path, files: dict[str, str]) -> dict[str, Path]:
    """Writes a package `pkg` of the given files under `root`; returns its modules."""
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return find_modules({"pkg": root / "pkg"})


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    modules = write_package(tmp_path, {
        "__init__.py": "",
        "a.py": "from .b import helper\n",
        "b.py": "def helper():\n    from . import a\n    return a\n",
    })
    edges = import_edges(modules)
    cycle = find_cycle(edges)
    assert cycle == ["pkg.a", "pkg.b", "pkg.a"]
    assert describe(cycle, edges) == "pkg.a (line 1) -> pkg.b (line 2) -> pkg.a"


def test_imports_under_type_checking_are_no_cycle(tmp_path):
    modules = write_package(tmp_path, {
        "__init__.py": "",
        "a.py": "from .b import helper\n",
        "b.py": ("from typing import TYPE_CHECKING\n"
                 "if TYPE_CHECKING:\n    from .a import A\nelse:\n    A = None\n"
                 "def helper():\n    pass\n"),
    })
    assert find_cycle(import_edges(modules)) == []


def test_relative_and_absolute_imports_resolve_to_modules(tmp_path):
    modules = write_package(tmp_path, {
        "__init__.py": "from .a import value\n",      # a package importing its submodule
        "a.py": "value = 1\n",
        "b.py": "import pkg.a\n",
        "sub/__init__.py": "",
        "sub/c.py": "from ..a import value\nfrom .. import b\nfrom . import d\n",
        "sub/d.py": "from pkg.sub import c\n",
    })
    edges = set(import_edges(modules))
    assert edges == {("pkg", "pkg.a"), ("pkg.b", "pkg.a"), ("pkg.sub.c", "pkg.a"),
                     ("pkg.sub.c", "pkg"), ("pkg.sub.c", "pkg.b"), ("pkg.sub.c", "pkg.sub"),
                     ("pkg.sub.c", "pkg.sub.d"), ("pkg.sub.d", "pkg.sub"),
                     ("pkg.sub.d", "pkg.sub.c")}
    # the package __init__ importing pkg.a is no cycle: pkg.a never names the package
    assert find_cycle(import_edges(modules)) == ["pkg.sub.c", "pkg.sub.d", "pkg.sub.c"]
