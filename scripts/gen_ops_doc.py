"""Generate docs/ops.md, one row per op, from the ops' facts (FACTS in converter/ops/<op>.py)
and the microkernel configuration tables (csrc/ukernels/*.c) of the families each op file
selects.

Usage: python scripts/gen_ops_doc.py [--check]
With --check nothing is written; the exit status is 1 if docs/ops.md is stale.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ops.md"
KERNELS = ROOT / "csrc" / "kernels"
UKERNELS = ROOT / "csrc" / "ukernels"

HEADER = """# Operators

One row per op: the ONNX and TFLite operators the importers turn into it, the activation types
its kernels compute in, the instruction sets with an optimised variant beside the portable
reference (`ref`), and its limits. Generated from the ops' facts (`FACTS` in
`converter/ops/<op>.py`) and the configuration tables of the microkernel families the op file selects (`ember_<family>_select` or an
`EMBER_VBINARY_*` / `EMBER_VUNARY_*` op in `csrc/kernels/<op>.c`; the tables are in
`csrc/ukernels/*.c`, see `docs/kernels.md`) by `python scripts/gen_ops_doc.py`;
`tests/converter/test_op_facts.py` fails when this file is stale. "aarch64 only": the armv7
NEON build has no such configuration. An op without int8 (int16) runs in float32 between a
DEQUANTIZE and a QUANTIZE in a quantized model.

| op | ONNX | TFLite | types | ISAs | limits |
|---|---|---|---|---|---|
"""
# A microkernel family's type tag: TRANSPOSE's u32 kernels move float32 (4-byte) elements; qs8
# kernels take int8 activations, qs16x8 int16 activations with int8 weights.
_UK_TYPE_TAGS = {"f32": "float32", "u32": "float32", "qs8": "int8", "qs16x8": "int16"}
_ISA_ORDER = ["avx512vbmi", "avx512vnni", "avx512f", "avx2", "neoni8mm", "neondot", "neon", "mve",
              "armdsp"]
_TABLE = re.compile(r"static const \w+ (\w*configs)\[\]\s*=\s*\{(.*?)\n\};", re.S)
# ember_<family>_<type>[_<kind>]_select, e.g. ember_dwconv_qs8_inplace_select
_SELECT_DEF = re.compile(r"^const \w+ \*ember_(\w+?)_(f32|u32|qs8|qs16x8)(_\w+?)?_select\(",
                         re.M)
_ENUM_OP = re.compile(r"\bEMBER_V(?:BINARY|UNARY)_[A-Z0-9_]+\b")

# One microkernel configuration: (ISA, type, aarch64 only).
Config = tuple[str, str, bool]


def _table_configs(body: str, type_name: str) -> list[Config]:
    """The ISAs of a configuration table's rows, each with whether only an aarch64 build has it
    (its `#if` names `defined(__aarch64__)`)."""
    configs, condition = [], ""
    for line in body.splitlines():
        directive = re.match(r"\s*#\s*(if|elif|else|endif)\b(.*)", line)
        if directive:
            kind = directive.group(1)
            condition = directive.group(2) if kind in ("if", "elif") else ""
            continue
        for isa in re.findall(r"\bEMBER_ISA_([A-Z0-9]+)\b", line):
            if isa != "NONE":
                aarch64 = "defined(__aarch64__)" in condition and "!defined" not in condition
                configs.append((isa.lower(), type_name, aarch64))
    return configs


def _case_tables(text: str, tables: dict[str, list[Config]]) -> dict[str, str]:
    """Which table each `case EMBER_V..._X:` of a per-op configs() switch returns; cases that
    break out of the switch get the table named after it. The enums' *_COUNT is no op."""
    found, pending = {}, []
    names = "|".join(re.escape(name) for name in tables)
    for token in re.finditer(rf"case (EMBER_\w+):|\b({names})\b", text):
        if token.group(1):
            pending.append(token.group(1))
        elif pending:
            found.update((case, token.group(2)) for case in pending
                         if not case.endswith("_COUNT"))
            pending = []
    return found


def microkernel_families() -> tuple[dict[str, list[Config]], dict[str, list[Config]]]:
    """The configurations behind each `ember_<family>_select` and each EMBER_VBINARY_* /
    EMBER_VUNARY_* op, read from the tables in csrc/ukernels/*.c."""
    by_select: dict[str, list[Config]] = {}
    by_enum: dict[str, list[Config]] = {}
    for source in sorted(UKERNELS.glob("*.c")):
        text = source.read_text()
        selects = _SELECT_DEF.findall(text)
        if not selects:
            continue
        type_name = _UK_TYPE_TAGS[selects[0][1]]
        tables = {name: _table_configs(body, type_name) for name, body in _TABLE.findall(text)}
        cases = _case_tables(text, tables)
        for family, tag, kind in selects:
            call = f"ember_{family}_{tag}{kind}_select"
            by_select[call] = [] if cases else [c for t in tables.values() for c in t]
        for case, table in cases.items():
            by_enum[case] = tables[table]
    return by_select, by_enum


def isas(op_name: str) -> str:
    """`ref` plus each ISA with an optimised variant, the types it serves and whether only
    aarch64 has it, e.g. "ref, avx2 (float32, int8), neon (float32, aarch64 only)"."""
    source = KERNELS / f"{op_name}.c"
    text = source.read_text() if source.exists() else ""
    found: list[Config] = []
    by_select, by_enum = microkernel_families()
    for call, configs in by_select.items():
        if re.search(rf"\b{call}\(", text):
            found += configs
    for case in sorted(set(_ENUM_OP.findall(text))):
        found += by_enum.get(case, [])
    cells = []
    for isa in sorted({c[0] for c in found}, key=lambda i: (_ISA_ORDER + [i]).index(i)):
        types = [t for t in ("float32", "int8", "int16") if any(c[:2] == (isa, t) for c in found)]
        note = ", aarch64 only" if all(c[2] for c in found if c[0] == isa) else ""
        cells.append(f"{isa} ({', '.join(types)}{note})")
    return ", ".join(["ref", *cells])


def render() -> str:
    from emberlite.converter.ops import OPS

    rows = []
    for op, f in OPS.items():
        name = op.name.lower()
        cells = [f"`{op.name}`", ", ".join(f.onnx) or "-", ", ".join(f.tflite) or "-",
                 ", ".join(f.types), isas(name), f.limits or "-"]
        rows.append("| " + " | ".join(cells) + " |")
    return HEADER + "\n".join(rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check docs/ops.md")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC.relative_to(ROOT)} is stale: run python scripts/gen_ops_doc.py",
                  file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
