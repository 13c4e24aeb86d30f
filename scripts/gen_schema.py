"""Generate code from schemas/ember.fbs, the file format's single source of truth, and from
schemas/tflite_metadata.fbs, the part of TFLite's model metadata the TFLite importer reads.

Writes
  schemas/python/emberlite/schema/*.py   flatc's Python readers and builders (ember.fbs)
  schemas/python/emberlite/schema/tflite_metadata/*.py   the same for tflite_metadata.fbs
  csrc/ember_schema.h                    C enums and vtable slot numbers for the C reader;
                                         for the enums the public header defines (DataType
                                         is its ember_type), compile-time checks instead;
                                         the op params' fields by name (EMBER_PARAM_FIELDS)

Usage: python scripts/gen_schema.py [--check]
With --check nothing is written; the exit status is 1 if any generated file is stale.
"""
from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "ember.fbs"
# Python only: the C library never reads TFLite metadata.
PY_ONLY_SCHEMAS = [ROOT / "schemas" / "tflite_metadata.fbs"]
PY_OUT = ROOT / "schemas" / "python"
C_OUT = ROOT / "csrc" / "ember_schema.h"

# Schema enums that csrc/include/emberlite.h defines as a C enum, by C prefix: the generated
# header includes it and asserts that each value (and the count) is the schema's, so the
# library and its callers share one definition that cannot drift from the file format.
PUBLIC_ENUMS = {"DataType": "EMBER_TYPE"}

SCALAR_SIZES = {"bool": 1, "byte": 1, "ubyte": 1, "short": 2, "ushort": 2, "int": 4, "uint": 4,
                "float": 4, "long": 8, "ulong": 8, "double": 8}


def strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


def parse_blocks(text: str, kind: str) -> list[tuple[str, str]]:
    pattern = rf"\b{kind}\s+(\w+)(?:\s*:\s*\w+)?\s*\{{(.*?)\}}"
    return re.findall(pattern, strip_comments(text), flags=re.S)


def upper_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])", "_", name).upper()


def enum_values(body: str) -> list[tuple[str, int]]:
    values, last = [], -1
    for value in filter(None, (v.strip() for v in body.split(","))):
        key, _, num = value.partition("=")
        last = int(num) if num.strip() else last + 1
        values.append((key.strip(), last))
    return values


def enum_lines(name: str, body: str) -> list[str]:
    values = enum_values(body)
    count = values[-1][1] + 1 if values else 0
    if name in PUBLIC_ENUMS:
        prefix = PUBLIC_ENUMS[name]
        lines = [f"/* enum {name}: defined by emberlite.h, which must give the schema's values */"]
        lines += [f'_Static_assert({prefix}_{key} == {num}, '
                  f'"{prefix}_{key} is not {name}.{key} ({num})");'
                  for key, num in values]
        lines.append(f'_Static_assert({prefix}_COUNT == {count}, '
                     f'"{prefix}_COUNT is not the number of {name} values ({count})");')
        return lines + [""]
    prefix = "EMBER_OP" if name == "OpCode" else "EMBER_" + upper_snake(name)
    lines = [f"/* enum {name} */"] + [f"#define {prefix}_{key} {num}" for key, num in values]
    lines += [f"#define {prefix}_COUNT {count}", ""]
    return lines + (op_selection_lines(values) if name == "OpCode" else [])


def op_selection_lines(values: list[tuple[str, int]]) -> list[str]:
    """EMBER_USE_OP_<NAME>: 1 when the build has the op. Every op unless an ops header
    (csrc/ember_config.h's EMBER_OPS_HEADER) selected some: it defines 1 for those it keeps."""
    lines = ["/* Ops in this build (csrc/ember_config.h, EMBER_OPS_HEADER) */"]
    for key, _ in values:
        use = f"EMBER_USE_OP_{key}"
        lines += [f"#ifndef {use}", f"#define {use} (!EMBER_OPS_SELECTED)", "#endif"]
    return lines + [""]


# How ember_interp_node_param reads a params field, by schema type (csrc/params.c).
PARAM_KINDS = {"bool": "EMBER_FIELD_U8", "ubyte": "EMBER_FIELD_U8", "byte": "EMBER_FIELD_I8",
               "int": "EMBER_FIELD_I32", "uint": "EMBER_FIELD_U32", "long": "EMBER_FIELD_I64",
               "float": "EMBER_FIELD_F32", "[int]": "EMBER_FIELD_I32_VECTOR"}


def param_default(default: str, ftype: str, enums: dict[str, dict[str, int]]) -> str:
    if not default:
        return "0"
    if ftype in enums:
        return str(enums[ftype][default])
    return {"true": "1", "false": "0"}.get(default, default)


def param_field_lines(text: str) -> list[str]:
    """EMBER_PARAM_FIELDS(X): X(params type, "field", slot, kind, default) for every field of
    every OpParams table, so the library reads params by name from one generated list."""
    enums = {name: dict(enum_values(body)) for name, body in parse_blocks(text, "enum")}
    tables = dict(parse_blocks(text, "table"))
    [(_, union_body)] = [u for u in parse_blocks(text, "union") if u[0] == "OpParams"]
    lines = ["/* OpParams tables' fields: X(params type, name, slot, kind, default) */",
             "#define EMBER_PARAM_FIELDS(X) \\"]
    for member in filter(None, (m.strip() for m in union_body.split(","))):
        for field in filter(None, (f.strip() for f in tables[member].split(";"))):
            fname, _, rest = (s.strip() for s in field.partition(":"))
            ftype, _, default = (s.strip() for s in rest.partition("="))
            base = ftype
            if ftype in enums:  # an enum reads as its underlying type
                base = re.search(rf"\benum\s+{ftype}\s*:\s*(\w+)", text).group(1)
            kind = PARAM_KINDS[base]
            table = upper_snake(member)
            slot = f"EMBER_SLOT_{table}_{fname.upper()}"
            lines.append(f'    X(EMBER_OP_PARAMS_{table}, "{fname}", {slot}, {kind}, '
                         f'{param_default(default, ftype, enums)}) \\')
    return lines + ["", ""]


def c_header(text: str) -> str:
    version = re.search(r"format_version:\s*(\d+)", text)
    if version is None:
        raise SystemExit("ember.fbs: missing '// format_version: N' line")
    lines = ["/* Generated by scripts/gen_schema.py from schemas/ember.fbs. Do not edit. */",
             "#ifndef EMBER_SCHEMA_H", "#define EMBER_SCHEMA_H", "",
             '#include "emberlite.h" /* defines ember_type, checked below */', "",
             f"#define EMBER_FORMAT_VERSION {version.group(1)}u", ""]
    for name, body in parse_blocks(text, "enum"):
        lines += enum_lines(name, body)
    for name, body in parse_blocks(text, "union"):
        members = [m.strip() for m in body.split(",") if m.strip()]
        lines.append(f"/* union {name}: type ids (0 = none) */")
        for i, member in enumerate(members, start=1):
            lines.append(f"#define EMBER_{upper_snake(name)}_{upper_snake(member)} {i}")
        lines.append(f"#define EMBER_{upper_snake(name)}_COUNT {len(members) + 1}")
        lines.append("")
    unions = {n for n, _ in parse_blocks(text, "union")}
    for name, body in parse_blocks(text, "table"):
        lines.append(f"/* table {name}: vtable slots */")
        slot = 0
        for field in filter(None, (f.strip() for f in body.split(";"))):
            fname, _, ftype = field.partition(":")
            fname, ftype = fname.strip(), ftype.split("=")[0].strip()
            macro = f"EMBER_SLOT_{upper_snake(name)}_{fname.upper()}"
            if ftype in unions:
                lines.append(f"#define {macro}_TYPE {slot}")
                slot += 1
            lines.append(f"#define {macro} {slot}")
            slot += 1
        lines.append("")
    lines += param_field_lines(text)
    lines.append("#endif /* EMBER_SCHEMA_H */")
    return "\n".join(lines) + "\n"


def generate(py_dir: Path, c_path: Path) -> None:
    flatc = shutil.which("flatc")
    if flatc is None:
        raise SystemExit("flatc not found: apt-get install flatbuffers-compiler")
    for schema in [SCHEMA, *PY_ONLY_SCHEMAS]:
        subprocess.run([flatc, "--python", "--gen-object-api", "-o", str(py_dir), str(schema)],
                       check=True)
    # flatc writes no __init__.py for the namespace levels we own.
    for pkg in (py_dir / "emberlite", py_dir / "emberlite" / "schema",
                py_dir / "emberlite" / "schema" / "tflite_metadata"):
        (pkg / "__init__.py").touch()
    c_path.write_text(c_header(SCHEMA.read_text()))


def same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(same_tree(a / d, b / d) for d in cmp.common_dirs if d != "__pycache__")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that outputs are current")
    args = parser.parse_args()
    if not args.check:
        shutil.rmtree(PY_OUT / "emberlite", ignore_errors=True)
        generate(PY_OUT, C_OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp_py, tmp_c = Path(tmp) / "py", Path(tmp) / "ember_schema.h"
        generate(tmp_py, tmp_c)
        fresh = same_tree(tmp_py / "emberlite", PY_OUT / "emberlite") and \
            tmp_c.read_text() == C_OUT.read_text()
    print("generated code is up to date" if fresh else "generated code is stale: run scripts/gen_schema.py")
    return 0 if fresh else 1


if __name__ == "__main__":
    sys.exit(main())
