"""The Cortex-M size report of mk/mcu.mk (`make mcu-size`).

  mcu_size.py int8-ops-header OUT    the ops header of every op with an int8 kernel
  mcu_size.py report --dir DIR --record-file JSON [--record]

`report` reads DIR/<set>-<flavour>/probe.map, the linker map of tests/mcu/size_probe.c linked
against the library for each op set (core: no op, digits: the digits example's ops, int8: every
op with an int8 kernel, all) with messages and without their text (EMBER_STRIP_MESSAGES), and
sums the input sections the link kept that come from outside the probe: the library and what it
pulls from libc, libm and libgcc. It prints .text (with .ARM.exidx), .rodata, .data and .bss;
checks the issue's limits (core <= 16 KB, digits <= 40 KB, without message text); fails when
the core or the digits op set grew more than 2% past the recorded figures (--record writes
them); and checks with nm that no linked library holds malloc, free, a printf, abort or
exit, and that no object of the library archives given (--archives: each CPU's) refers to one.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

SETS = ("core", "digits", "int8", "all")
FLAVOURS = ("messages", "stripped")
CONFIGS = tuple(f"{s}-{f}" for s in SETS for f in FLAVOURS)
# The limits, for builds without message text (the verifier and hash check are in).
LIMITS = {"core-stripped": 16 * 1024, "digits-stripped": 40 * 1024}
WATCHED = ("core-messages", "core-stripped", "digits-messages", "digits-stripped")
GROWTH = 1.02
KINDS = (("text", (".text", ".ARM.exidx")), ("rodata", (".rodata",)), ("data", (".data",)),
         ("bss", (".bss", "COMMON")))
# A bare-metal library must not need these: no heap, no libc printf, never stop the device.
FORBIDDEN = re.compile(r"^(malloc|free|calloc|realloc|_malloc_r|_free_r|abort|exit|_exit|"
                       r"\w*printf\w*|puts|putchar)$")
SECTION = re.compile(r"^ (\.[^\s]+|COMMON)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def int8_ops_header(out: Path) -> None:
    from emberlite.converter.ops import OPS

    names = sorted(op.name for op, facts in OPS.items() if facts.int8 is not None)
    lines = ["/* The size report's int8 op set: every op with an int8 kernel (mcu_size.py). */",
             "#define EMBER_OPS_SELECTED 1", *(f"#define EMBER_USE_OP_{n} 1" for n in names)]
    out.write_text("\n".join(lines) + "\n")


def kept_sections(map_text: str) -> list[tuple[str, int, str]]:
    """(section, size, source) of every input section in the map's memory map part; an input
    section's name and its address may be on two lines."""
    body = map_text.split("Linker script and memory map", 1)[1]
    joined = re.sub(r"^ (\.[^\s]+|COMMON)\n\s+0x", r" \1 0x", body, flags=re.M)
    out = []
    for line in joined.splitlines():
        m = SECTION.match(line)
        if m and int(m.group(2), 16) != 0:
            out.append((m.group(1), int(m.group(3), 16), m.group(4).strip()))
    return out


def library_sizes(map_path: Path) -> dict[str, int]:
    sizes = {kind: 0 for kind, _ in KINDS}
    for section, size, source in kept_sections(map_path.read_text()):
        if "size_probe" in source:
            continue
        for kind, prefixes in KINDS:
            if section.startswith(prefixes):
                sizes[kind] += size
    sizes["total"] = sum(sizes[kind] for kind, _ in KINDS)
    return sizes


def forbidden_symbols(elf: Path) -> list[str]:
    names = subprocess.run(["arm-none-eabi-nm", "--format=posix", str(elf)], check=True,
                           capture_output=True, text=True).stdout.split("\n")
    return sorted({line.split()[0] for line in names if line and FORBIDDEN.match(line.split()[0])})


def print_table(sizes: dict[str, dict[str, int]]) -> None:
    columns = ("text", "rodata", "data", "bss", "total")
    print(f"{'Cortex-M4 -Os':14}" + "".join(f"{f:>38}" for f in FLAVOURS))
    print(f"{'op set':14}" + "".join(f"{c:>8}" if c != "text" else f"{c:>14}"
                                      for _ in FLAVOURS for c in columns))
    for op_set in SETS:
        cells = "".join(f"{sizes[f'{op_set}-{f}'][c]:{14 if c == 'text' else 8}}"
                        for f in FLAVOURS for c in columns)
        print(f"{op_set:14}{cells}")


def forbidden_references(archive: Path) -> list[str]:
    """What any object of a library archive needs from outside that it must not."""
    names = subprocess.run(["arm-none-eabi-nm", "--undefined-only", "--format=posix",
                            str(archive)], check=True, capture_output=True, text=True).stdout
    return sorted({line.split()[0] for line in names.splitlines()
                   if line and not line.endswith(":") and FORBIDDEN.match(line.split()[0])})


def report(directory: Path, record_file: Path, record: bool, archives: list[Path]) -> int:
    sizes = {c: library_sizes(directory / c / "probe.map") for c in CONFIGS}
    print_table(sizes)
    failures = [f"{c}: {sizes[c]['total']} bytes, over the limit of {limit}"
                for c, limit in LIMITS.items() if sizes[c]["total"] > limit]
    found = [f"{c}: the linked library contains {', '.join(bad)}" for c in CONFIGS
             if (bad := forbidden_symbols(directory / c / "probe.elf"))]
    found += [f"{a}: an object refers to {', '.join(bad)}" for a in archives
              if (bad := forbidden_references(a))]
    if not found:
        print(f"nm: no malloc, free, printf, abort or exit in the {len(CONFIGS)} linked probes "
              f"or the {len(archives)} library archives")
    failures += found
    if record:
        record_file.write_text(json.dumps({c: sizes[c]["total"] for c in CONFIGS}, indent=2)
                               + "\n")
        print(f"recorded in {record_file}")
    else:
        recorded = json.loads(record_file.read_text())
        failures += [f"{c}: {sizes[c]['total']} bytes, more than 2% over the recorded "
                     f"{recorded[c]} ({record_file})"
                     for c in WATCHED if sizes[c]["total"] > recorded[c] * GROWTH]
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("int8-ops-header")
    p.add_argument("out", type=Path)
    p = sub.add_parser("report")
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--record-file", type=Path, required=True)
    p.add_argument("--record", action="store_true")
    p.add_argument("--archives", type=Path, nargs="*", default=[],
                   help="Cortex-M library archives to check with nm as well")
    args = parser.parse_args()
    if args.command == "int8-ops-header":
        int8_ops_header(args.out)
        return 0
    return report(args.dir, args.record_file, args.record, args.archives)


if __name__ == "__main__":
    sys.exit(main())
