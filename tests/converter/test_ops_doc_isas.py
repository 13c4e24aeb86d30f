"""scripts/gen_ops_doc.py reads the ISAs column of docs/ops.md from the microkernel
configuration tables (csrc/ukernels/*.c). These tests check that it reads every table: a family
whose table the parser misses, or that no op file reaches the way the generator looks
(`ember_<family>_select(` or an EMBER_VBINARY_* / EMBER_VUNARY_* op), would drop its ISAs from
the doc without making it stale."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_ops_doc", ROOT / "scripts/gen_ops_doc.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen


def _isa_rows(text: str) -> set[str]:
    """The optimised ISAs named by the configuration rows of a C file (EMBER_ISA_NONE aside)."""
    return {isa.lower() for isa in re.findall(r"\{\s*(?:\"\w+\",\s*)?EMBER_ISA_([A-Z0-9]+)", text)
            if isa != "NONE"}


def test_every_table_with_optimised_rows_is_read() -> None:
    gen = _gen()
    by_select, by_enum = gen.microkernel_families()
    read = {c[0] for configs in [*by_select.values(), *by_enum.values()] for c in configs}
    for source in sorted((ROOT / "csrc/ukernels").glob("*.c")):
        rows = _isa_rows(source.read_text())
        assert rows <= read, f"{source.name}: configurations {sorted(rows - read)} not read"


def test_every_family_reaches_an_op() -> None:
    gen = _gen()
    by_select, by_enum = gen.microkernel_families()
    op_files = [p.read_text() for p in sorted((ROOT / "csrc/kernels").glob("*.c"))
                if p.stem in {op.name.lower() for op in _ops()}]
    unused = [call for call, configs in by_select.items() if configs
              and not any(re.search(rf"\b{call}\(", text) for text in op_files)]
    unused += [case for case, configs in by_enum.items() if configs
               and not any(re.search(rf"\b{case}\b", text) for text in op_files)]
    assert not unused, f"microkernels no op file names, so docs/ops.md omits them: {unused}"


def _ops() -> list:
    from emberlite.converter.ops import OPS

    return list(OPS)
