"""The test tree's layout (tests/README.md): no module under tests/ imports a test module; every
op of OpType has tests/kernels/test_<op>.py or is covered by a family file listed in the
README's table; every tests/kernels/test_*.py is named after an op or a listed family; the
table names only existing files and real ops."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from emberlite.converter.ops import OpType

TESTS = Path(__file__).resolve().parent
KERNELS = TESTS / "kernels"
FAMILY_ROW = re.compile(r"^\|\s*`tests/kernels/(test_\w+_family\.py)`\s*\|([^|]*)\|")


def _families(readme: str) -> dict[str, set[str]]:
    """file name -> the op names of its row in the README's family table."""
    rows = (FAMILY_ROW.match(line) for line in readme.splitlines())
    return {m[1]: set(re.findall(r"[A-Z][A-Z0-9_]*", m[2])) for m in rows if m}


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every module an import statement anywhere in `tree` names,
    including `from package import module`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_readme_family_table_is_found() -> None:
    families = _families((TESTS / "README.md").read_text())
    assert families, "no family table rows (| `tests/kernels/test_<x>_family.py` | OPS |)"


def test_no_module_imports_a_test_module() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for line, name in _imported_modules(ast.parse(path.read_text(), str(path))):
            if any(part.startswith("test_") for part in name.split(".")):
                offenders.append(f"{path.relative_to(TESTS)}:{line} imports {name}")
    assert not offenders, "test modules imported (move what they share to a helper module):\n" \
        + "\n".join(offenders)


def test_every_op_has_its_test_file_or_a_family() -> None:
    families = _families((TESTS / "README.md").read_text())
    in_family = set().union(*families.values())
    missing = [op.name for op in OpType
               if not (KERNELS / f"test_{op.name.lower()}.py").exists()
               and op.name not in in_family]
    assert not missing, f"no tests/kernels/test_<op>.py and no family in tests/README.md: {missing}"


def test_every_kernel_test_file_is_named_after_an_op_or_a_family() -> None:
    families = _families((TESTS / "README.md").read_text())
    names = {f"test_{op.name.lower()}.py" for op in OpType} | set(families)
    stray = sorted(p.name for p in KERNELS.glob("test_*.py") if p.name not in names)
    assert not stray, f"tests/kernels files named after no op or listed family: {stray}"


def test_family_table_names_files_and_ops_that_exist() -> None:
    ops = {op.name for op in OpType}
    for name, listed in _families((TESTS / "README.md").read_text()).items():
        assert (KERNELS / name).exists(), f"tests/README.md lists {name}, which does not exist"
        assert listed and listed <= ops, f"{name}: not ops of OpType: {sorted(listed - ops)}"
        text = (KERNELS / name).read_text()
        unnamed = sorted(op for op in listed if op not in text)
        assert not unnamed, f"{name} does not mention {unnamed}, which tests/README.md lists"
