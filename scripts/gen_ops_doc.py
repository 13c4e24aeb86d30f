"""Generate docs/ops.md, one row per op, from the ops' facts (FACTS in converter/ops/<op>.py)
and the kernels' variant tables (csrc/kernels/<op>.c).

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

HEADER = """# Operators

One row per op: the ONNX and TFLite operators the importers turn into it, the activation types
its kernels compute in, the instruction sets with an optimised variant beside the portable
reference (`ref`), and its limits. Generated from the ops' facts (`FACTS` in
`converter/ops/<op>.py`) and the variant tables in `csrc/kernels/<op>.c` by
`python scripts/gen_ops_doc.py`; `tests/converter/test_op_facts.py` fails when this file is
stale. An op without int8 (int16) runs in float32 between a DEQUANTIZE and a QUANTIZE in a
quantized model.

| op | ONNX | TFLite | types | ISAs | limits |
|---|---|---|---|---|---|
"""
_VARIANTS = re.compile(r"_(f32|i8|i16)_variants\[\]\s*=\s*\{(.*?)\};", re.S)
_TYPE_TAGS = {"f32": "float32", "i8": "int8", "i16": "int16"}


def isas(op_name: str) -> str:
    """`ref` plus each ISA with a variant in the op's kernel file, e.g. "ref, avx2 (int8)"."""
    source = KERNELS / f"{op_name}.c"
    text = source.read_text() if source.exists() else ""
    found = []
    for tag, body in _VARIANTS.findall(text):
        for isa in re.findall(r"EMBER_ISA_([A-Z0-9]+)", body):
            if isa != "NONE":
                found.append(f"{isa.lower()} ({_TYPE_TAGS[tag]})")
    return ", ".join(["ref", *found])


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
