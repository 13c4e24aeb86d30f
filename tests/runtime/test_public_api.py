"""The public surface of 0.2: every public Python call has a docstring, the isa_mask constants
are exported and equal the C header's, the C type enum is defined once and checked against the
file format, and the version agrees everywhere."""
from __future__ import annotations

import inspect
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import emberlite
import emberlite.cli
import emberlite.converter
from conftest import require_tool
from emberlite._ember import lib
from emberlite.converter.writer import MIN_RUNTIME_VERSION

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "csrc" / "include" / "emberlite.h"


def _members(owner: str, cls: type) -> Iterator[tuple[str, object]]:
    """The public methods and properties a class defines itself (inherited ones are documented
    where they are defined), and __call__."""
    for attr, member in vars(cls).items():
        if attr.startswith("_") and attr != "__call__":
            continue
        if isinstance(member, property):
            member = member.fget
        elif isinstance(member, (classmethod, staticmethod)):
            member = member.__func__
        if callable(member):
            yield f"{owner}.{attr}", member


def _cli_functions() -> list[str]:
    """The public functions and classes the `ember` command's module defines."""
    return [name for name, obj in vars(emberlite.cli).items()
            if not name.startswith("_") and callable(obj)
            and getattr(obj, "__module__", None) == emberlite.cli.__name__]


def public_calls() -> list[tuple[str, object]]:
    """(dotted name, object) of each callable in emberlite.__all__,
    emberlite.converter.__all__ and emberlite.cli, and of each public method of the classes
    among them."""
    found = []
    for module, names in ((emberlite, emberlite.__all__),
                          (emberlite.converter, emberlite.converter.__all__),
                          (emberlite.cli, _cli_functions())):
        for name in names:
            obj = getattr(module, name)
            if not callable(obj):
                continue  # constants such as ISA_AVX2
            owner = f"{module.__name__}.{name}"
            found.append((owner, obj))
            if inspect.isclass(obj):
                found.extend(_members(owner, obj))
    return found


def test_every_public_call_has_a_docstring() -> None:
    calls = dict(public_calls())
    # The walk must reach methods, properties and class methods, or it proves nothing.
    for name in ("emberlite.Interpreter.invoke", "emberlite.Interpreter.arena_size",
                 "emberlite.SignatureRunner.__call__", "emberlite.verify_model",
                 "emberlite.converter.Converter.from_onnx", "emberlite.converter.ShapeError",
                 "emberlite.cli.main"):
        assert name in calls, f"{name} not reached by the walk"
    missing = sorted(name for name, obj in calls.items() if not (obj.__doc__ or "").strip())
    assert not missing, f"public calls without a docstring: {missing}"


def test_isa_constants_are_exported_and_equal_the_header() -> None:
    in_header = re.findall(r"#define EMBER_ISA_(\w+)\s", HEADER.read_text())
    assert "AVX2" in in_header and "NONE" in in_header and "ALL" in in_header
    exported = {name for name in emberlite.__all__ if name.startswith("ISA_")}
    assert exported == {f"ISA_{isa}" for isa in in_header}
    for isa in in_header:
        assert getattr(emberlite, f"ISA_{isa}") == getattr(lib, f"EMBER_ISA_{isa}"), isa


def test_type_enum_is_the_schemas_data_type() -> None:
    from emberlite.schema.DataType import DataType

    schema = {k: v for k, v in vars(DataType).items() if not k.startswith("_")}
    assert {k: getattr(lib, f"EMBER_TYPE_{k}") for k in schema} == schema
    assert lib.EMBER_TYPE_COUNT == len(schema)
    text = HEADER.read_text() + (ROOT / "csrc" / "ember_schema.h").read_text()
    assert "EMBER_DTYPE_" not in text and "#define EMBER_TYPE_" not in text


@pytest.mark.parametrize("edit", [None, ("EMBER_TYPE_INT8 = 2", "EMBER_TYPE_INT8 = 14"),
                                  ("EMBER_TYPE_COUNT = 23", "EMBER_TYPE_COUNT = 24")],
                         ids=["as is", "value", "count"])
def test_schema_header_checks_the_public_type_enum(edit: tuple[str, str] | None,
                                                   tmp_path: Path) -> None:
    """csrc/ember_schema.h includes emberlite.h and asserts at compile time that ember_type's
    values are the schema's: a public header whose enum drifted does not compile."""
    cc = require_tool("cc")
    header = HEADER.read_text()
    if edit is not None:
        assert edit[0] in header
        header = header.replace(*edit)
    (tmp_path / "emberlite.h").write_text(header)
    (tmp_path / "use.c").write_text('#include "ember_schema.h"\n')
    result = subprocess.run([cc, "-std=c11", "-fsyntax-only", f"-I{tmp_path}",
                             f"-I{ROOT / 'csrc'}", str(tmp_path / "use.c")],
                            capture_output=True, text=True)
    if edit is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0 and edit[1].split()[0] in result.stderr, result.stderr


def test_version_agrees_everywhere() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1)
    assert emberlite.__version__ == version == emberlite.runtime_version()
    # Files written by this converter ask for no newer runtime than this one.
    assert MIN_RUNTIME_VERSION <= lib.EMBER_RUNTIME_VERSION
