"""`ember export-c`: a verified .ember model as C source, for firmware with no file system.

OUT.c holds the model bytes as a const array, aligned for ember_interp_create and placed in a
named section that a linker script can put in flash. OUT.h declares it and says what firmware
must know before it is flashed: the exact arena size, the inputs' and outputs' tensor indices,
shapes, types and quantization, and the ops. OUT_ops.h (--ops-header) names the ops for a
library build that compiles in only those (EMBER_OPS_HEADER).

What the header states is read back from the C interpreter (ember_interp_tensor_info,
ember_interp_arena_size) with the reference kernels and one thread, as a bare-metal build runs
the model, so the numbers are the ones the device will see. Dynamic dimensions are written at
their maxima: the arena plan is made for the maxima, so the arena size holds for every shape.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._ember import ffi, lib
from .cli_support import CliError
from .errors import EmberRuntimeError

# GNU ld's default scripts, and the usual Cortex-M scripts (`*(.rodata*)` into FLASH), place
# every .rodata.* input section with the read-only data; GCC marks a section of that name
# read-only ("a") whatever else is in it.
DEFAULT_SECTION = ".rodata.ember_model"
# What ember_interp_allocate requires of a caller's arena (ARENA_ALIGNMENT in csrc/interp.c);
# test_cli_export_c.py runs the generated header's value against the library.
ARENA_ALIGNMENT = 64
# The model array's alignment: EMBER_MODEL_ALIGNMENT, and never less than 16.
MODEL_ALIGNMENT = max(16, lib.EMBER_MODEL_ALIGNMENT)
BYTES_PER_LINE = 16

_HEX = [f"0x{b:02x}" for b in range(256)]
_TYPE_NAMES = {getattr(lib, name): name for name in dir(lib)
               if name.startswith("EMBER_TYPE_") and name != "EMBER_TYPE_COUNT"}
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SECTION = re.compile(r"[.A-Za-z_][.A-Za-z0-9_]*")


@dataclass(frozen=True)
class ExportPaths:
    source: Path
    header: Path
    ops_header: Path | None


# -- names and paths -------------------------------------------------------------------------

def c_identifier(text: str) -> str:
    """`text` made a C identifier that starts with a letter: other characters become "_"
    (a leading "_" would make file-scope names reserved ones)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text).lstrip("_")
    return name if name[:1].isalpha() else f"model_{name}".rstrip("_")


def export_paths(output: str, ops_header: str | None) -> ExportPaths:
    """OUT.c, OUT.h and (with --ops-header, "" meaning the default) OUT_ops.h; a ".c" or ".h"
    at the end of OUT is dropped, so `-o model.c` writes model.c and model.h."""
    base = Path(output)
    if base.suffix in (".c", ".h"):
        base = base.with_suffix("")
    if not base.name or not base.parent.is_dir():
        raise CliError(f"cannot write {output}: {base.parent} is not a directory")
    if not re.fullmatch(r"[ -~]+", base.name) or set(base.name) & set('"\\'):
        raise CliError(f"-o {output!r}: the file name must be printable ASCII without quotes "
                       f"or backslashes (the .c includes the .h by this name)")
    ops = None
    if ops_header is not None:
        ops = Path(ops_header) if ops_header else base.with_name(base.name + "_ops.h")
    paths = ExportPaths(base.with_name(base.name + ".c"), base.with_name(base.name + ".h"), ops)
    _check_writable(paths)
    return paths


def _check_writable(paths: ExportPaths) -> None:
    targets = [p for p in (paths.source, paths.header, paths.ops_header) if p is not None]
    if len({p.resolve() for p in targets}) < len(targets):
        raise CliError(f"--ops-header {paths.ops_header} is one of the other outputs")
    for path in targets:
        if path.is_dir() or not path.parent.is_dir():
            raise CliError(f"cannot write {path}: "
                           f"{'it is a directory' if path.is_dir() else 'no such directory'}")


def symbol_prefix(name: str | None, paths: ExportPaths) -> str:
    """--name, checked, or a C identifier made from OUT's base name."""
    if name is None:
        return c_identifier(paths.source.stem)
    if not _IDENTIFIER.fullmatch(name):
        raise CliError(f"--name wants a C identifier that starts with a letter, got {name!r}")
    return name


def checked_section(section: str) -> str:
    if not _SECTION.fullmatch(section):
        raise CliError(f"--section wants a section name of letters, digits, '.' and '_', "
                       f"got {section!r}")
    return section


# -- reading the model -----------------------------------------------------------------------

def open_bare_metal(path: str) -> tuple[bytes, Any]:
    """The file's bytes and an allocated interpreter over them as a bare-metal build makes
    it: reference kernels (isa_mask 0), one thread."""
    from .interpreter import Interpreter

    if not os.path.isfile(path):
        raise CliError(f"no such file: {path}")
    with open(path, "rb") as f:
        data = f.read()
    try:
        interp = Interpreter(model_content=data, isa_mask=lib.EMBER_ISA_NONE, num_threads=1)
        interp.allocate_tensors()
    except EmberRuntimeError as e:
        hint = ""
        if Path(path).suffix.lower() in (".onnx", ".tflite"):
            hint = f" (convert it first: ember convert {Path(path).name})"
        raise CliError(f"invalid model {path}: {e}{hint}") from None
    return data, interp


@dataclass(frozen=True)
class Endpoint:
    """One graph input or output as the C API describes it."""
    kind: str  # "INPUT" or "OUTPUT"
    position: int
    tensor: int
    info: Any  # ember_tensor_info
    min_dims: list[int] | None  # a dynamic input's least dims, else None


def endpoints(interp: Any) -> list[Endpoint]:
    found = []
    for kind, details in (("INPUT", interp.get_input_details()),
                          ("OUTPUT", interp.get_output_details())):
        for position, detail in enumerate(details):
            index = detail["index"]
            ranges = interp.input_dim_ranges(index) if kind == "INPUT" else []
            dynamic = any(lo != hi for lo, hi, _ in ranges)
            # The C struct itself: the header must say what ember_interp_tensor_info says.
            found.append(Endpoint(kind, position, index, interp._info(index),
                                  [lo for lo, _, _ in ranges] if dynamic else None))
    return found


def op_names(interp: Any) -> list[str]:
    """Each node's op as the C enum's name without EMBER_OP_ (CONV2D), in node order."""
    from .schema.OpCode import OpCode

    names = [op.upper() for op in interp.node_ops()]
    unknown = sorted({n for n in names if not hasattr(OpCode, n)})
    if unknown:  # kernel names are the enum's in lower case; this would be a library bug
        raise CliError(f"ops not in the schema's OpCode enum: {', '.join(unknown)}")
    return names


def distinct_ops(names: list[str]) -> list[str]:
    """The ops used, once each, in op-code order."""
    from .schema.OpCode import OpCode

    return sorted(set(names), key=lambda n: getattr(OpCode, n))


# -- C text ----------------------------------------------------------------------------------

def c_string(text: str) -> str:
    """`text` as a C string literal of ASCII: other bytes of its UTF-8 as octal escapes (never
    hex: "\\x41B" would swallow the B), '?' escaped so no trigraph forms."""
    out = []
    for byte in text.encode("utf-8", errors="replace"):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def c_int(value: int) -> str:
    """An integer constant safe inside any expression a macro lands in."""
    suffix = "" if -2**31 <= value < 2**31 else "LL"
    return f"({value}{suffix})" if value < 0 else f"{value}{suffix}"


def c_float(value: float) -> str:
    """A float32 as the shortest literal that reads back as the same float."""
    return np.format_float_scientific(np.float32(value), unique=True) + "f"


def c_dims(dims: list[int]) -> str:
    return "{" + ", ".join(str(d) for d in dims) + "}" if dims else "{0}"


def tensor_macros(p: str, e: Endpoint) -> list[str]:
    info = e.info
    dims = [int(info.dims[i]) for i in range(info.rank)]
    tag = f"{p}_{e.kind}{e.position}"
    lines = [f"#define {tag}_TENSOR {e.tensor}",
             f"#define {tag}_NAME {c_string(ffi.string(info.name).decode('utf-8', 'replace'))}",
             f"#define {tag}_TYPE {_TYPE_NAMES[info.type]}",
             f"#define {tag}_RANK {info.rank}",
             f"#define {tag}_DIMS {c_dims(dims)}",
             f"#define {tag}_BYTES {info.bytes}u",
             f"#define {tag}_QUANT_COUNT {info.quant_count}",
             f"#define {tag}_QUANT_AXIS {c_int(info.quant_axis)}",
             f"#define {tag}_SCALE {c_float(info.scale)}",
             f"#define {tag}_ZERO_POINT {c_int(info.zero_point)}"]
    if e.min_dims is not None:
        lines.append(f"#define {tag}_DIMS_MIN {c_dims(e.min_dims)}")
    return lines


def endpoint_comment(e: Endpoint) -> str:
    info = e.info
    quant = ("not quantized" if info.quant_count == 0 else
             "per tensor" if info.quant_count == 1 else
             f"per channel: {info.quant_count} scales on axis {info.quant_axis}, "
             f"SCALE and ZERO_POINT are the first (ember_interp_tensor_quant reads them all)")
    dynamic = "; dynamic: DIMS are the maxima, DIMS_MIN the minima" if e.min_dims else ""
    return f"/* {e.kind.lower()} {e.position}: {quant}{dynamic} */"


def wrapped_macro(head: str, items: list[str], width: int = 100) -> list[str]:
    """`#define head item item ...`, continued with backslashes past `width` columns."""
    lines, line = [], f"#define {head}"
    for item in items:
        if len(line) + len(item) + 3 > width:
            lines.append(line + " \\")
            line = "   "
        line += " " + item
    return lines + [line]


def ops_macro(p: str, ops: list[str]) -> list[str]:
    """An X-macro: TINY_OPS(X) expands to X(CONV2D) X(FULLY_CONNECTED) ..., so firmware can
    paste each name into EMBER_OP_##name, EMBER_USE_OP_##name or a string."""
    return [f"#define {p}_OP_COUNT {len(ops)}",
            *wrapped_macro(f"{p}_OPS(X)", [f"X({op})" for op in ops])]


def comment_text(text: str) -> str:
    """`text` safe inside a /* */ comment: printable ASCII, no "*/"."""
    safe = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return safe.replace("*/", "* /")


@dataclass(frozen=True)
class ModelFacts:
    """What the generated files say about one model."""
    source_name: str
    size: int
    arena_size: int
    prepared_bytes: int  # constants allocate computes into allocator memory, outside the arena
    endpoints: list[Endpoint]
    node_ops: list[str]


def model_facts(path: str, data: bytes, interp: Any) -> ModelFacts:
    prepared = sum(int(interp._info(d["index"]).bytes) for d in interp.get_tensor_details()
                   if interp.is_prepared(d["index"]))
    return ModelFacts(comment_text(Path(path).name), len(data), interp.arena_size, prepared,
                      endpoints(interp), op_names(interp))


def _banner(facts: ModelFacts, what: str = "export-c") -> str:
    from . import __version__

    return (f"/* Generated by `ember {what}` from {facts.source_name}\n"
            f"   with Emberlite {__version__}: do not edit. */")


def _runtime_version() -> int:
    return lib.EMBER_VERSION_MAJOR * 10000 + lib.EMBER_VERSION_MINOR * 100 + \
        lib.EMBER_VERSION_PATCH


def model_header(p: str, facts: ModelFacts, section: str) -> str:
    """OUT.h: the array's declaration and what firmware needs before flashing."""
    P = p.upper()
    lines = [_banner(facts), f"#ifndef {P}_MODEL_H", f"#define {P}_MODEL_H", "",
             "#include <stddef.h>", "#include <stdint.h>", "",
             "#ifdef __cplusplus", 'extern "C" {', "#endif", "",
             f"/* The model bytes, aligned to {P}_MODEL_ALIGNMENT and placed in section",
             f"   {section} (defined in the .c beside this header): pass {p}_model and",
             f"   {p}_model_size to ember_interp_create. */",
             f"#define {P}_MODEL_SIZE {facts.size}u",
             f"#define {P}_MODEL_ALIGNMENT {MODEL_ALIGNMENT}",
             f"extern const uint8_t {p}_model[{P}_MODEL_SIZE];",
             f"extern const size_t {p}_model_size;", "",
             "/* The Emberlite version the sizes below come from (as EMBER_RUNTIME_VERSION):",
             f"   _Static_assert({P}_EMBER_VERSION == EMBER_RUNTIME_VERSION, ...) in firmware",
             "   catches a library that may plan another arena. */",
             f"#define {P}_EMBER_VERSION {_runtime_version()}", "",
             *arena_lines(P, facts), "", *io_lines(P, facts), *op_lines(P, facts), "",
             "#ifdef __cplusplus", "}", "#endif", f"#endif /* {P}_MODEL_H */"]
    return "\n".join(lines) + "\n"


def arena_lines(P: str, facts: ModelFacts) -> list[str]:
    lines = ["/* Bytes of arena, scratch included, that ember_interp_allocate needs with one",
             "   thread and the reference kernels, as on a bare-metal build (elsewhere: isa_mask",
             "   EMBER_ISA_NONE, num_threads 1). Give ember_options.arena this many bytes aligned",
             f"   to {P}_ARENA_ALIGNMENT: one byte fewer is EMBER_STATUS_ARENA_TOO_SMALL. */",
             f"#define {P}_ARENA_SIZE {facts.arena_size}u",
             f"#define {P}_ARENA_ALIGNMENT {ARENA_ALIGNMENT}"]
    if facts.prepared_bytes:
        lines += [f"/* Besides the arena, allocate takes {facts.prepared_bytes} bytes from the "
                  "allocator for",
                  "   constants it computes from the stored weights (DEQUANTIZE of weights). */"]
    return lines


def io_lines(P: str, facts: ModelFacts) -> list[str]:
    inputs = [e for e in facts.endpoints if e.kind == "INPUT"]
    dynamic = any(e.min_dims is not None for e in inputs)
    lines = ["/* Graph inputs and outputs by position. TENSOR: the index for",
             "   ember_interp_tensor_data; TYPE: an ember_type; BYTES: the data's size;",
             "   QUANT_COUNT: 0 not quantized, 1 per tensor, more per channel (on QUANT_AXIS);",
             "   SCALE and ZERO_POINT: the first (0 when not quantized), as in ember_tensor_info.",
             "   DYNAMIC_DIMS 1: some input dims may change (ember_interp_resize_input); the",
             "   dims, bytes and arena here are those at the maxima. */",
             f"#define {P}_DYNAMIC_DIMS {int(dynamic)}",
             f"#define {P}_INPUT_COUNT {len(inputs)}",
             f"#define {P}_OUTPUT_COUNT {len(facts.endpoints) - len(inputs)}", ""]
    for e in facts.endpoints:
        lines += [endpoint_comment(e), *tensor_macros(P, e), ""]
    return lines


def op_lines(P: str, facts: ModelFacts) -> list[str]:
    counts = Counter(facts.node_ops)
    ops = distinct_ops(facts.node_ops)
    listed = _wrap_words(", ".join(f"{op} {counts[op]}" for op in ops), 96)
    listed[-1] += " */"
    return [f"/* {len(facts.node_ops)} nodes; the ops in op-code order, each with its node "
            "count:", *(f"   {line}" for line in listed),
            f"#define {P}_NODE_COUNT {len(facts.node_ops)}", *ops_macro(P, ops)]


def _wrap_words(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


def model_source(p: str, facts: ModelFacts, data: bytes, section: str,
                 header_name: str) -> str:
    """OUT.c: the model bytes as an aligned const array in section `section`."""
    a = MODEL_ALIGNMENT
    rows = (", ".join(_HEX[b] for b in data[i:i + BYTES_PER_LINE]) + ","
            for i in range(0, len(data), BYTES_PER_LINE))
    lines = [_banner(facts),
             "/* A compiler other than GCC or Clang: define EMBER_MODEL_PLACEMENT (e.g. with -D)",
             f"   to align the array to {a} bytes, and to place it where flash is. */",
             f'#include "{header_name}"', "",
             "#ifndef EMBER_MODEL_PLACEMENT",
             "#if defined(__GNUC__) && defined(__ELF__)",
             f'#define EMBER_MODEL_PLACEMENT __attribute__((aligned({a}), section("{section}")))',
             "#elif defined(__GNUC__) /* Mach-O and PE name sections otherwise: aligned only */",
             f"#define EMBER_MODEL_PLACEMENT __attribute__((aligned({a})))",
             "#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L",
             f"#define EMBER_MODEL_PLACEMENT _Alignas({a})",
             "#else",
             f'#error "define EMBER_MODEL_PLACEMENT to align the model to {a} bytes"',
             "#endif", "#endif", "",
             f"EMBER_MODEL_PLACEMENT const uint8_t {p}_model[{p.upper()}_MODEL_SIZE] = {{",
             *(f"    {row}" for row in rows), "};",
             f"const size_t {p}_model_size = sizeof {p}_model;"]
    return "\n".join(lines) + "\n"


def ops_header_text(p: str, facts: ModelFacts, name: str) -> str:
    """OUT_ops.h: EMBER_USE_OP_<NAME> for each op the model uses (EMBER_OPS_HEADER)."""
    P = p.upper()
    lines = [_banner(facts, "export-c --ops-header"),
             "/* The ops the model uses, for a library built with only those:",
             f"   -DEMBER_OPS_HEADER='\"{comment_text(name)}\"' (CMake: -DEMBER_OPS_HEADER=PATH).",
             "   A model using an op not listed is refused (EMBER_STATUS_UNSUPPORTED). Several",
             "   models: include each one's ops header from one file and name that file. */",
             f"#ifndef {P}_OPS_H", f"#define {P}_OPS_H", "", "#define EMBER_OPS_SELECTED 1",
             *(f"#define EMBER_USE_OP_{op} 1" for op in distinct_ops(facts.node_ops)),
             "", f"#endif /* {P}_OPS_H */"]
    return "\n".join(lines) + "\n"


# -- writing ---------------------------------------------------------------------------------

def write_all(texts: dict[Path, str]) -> None:
    """Writes every file beside its target first and renames them in place only when all are
    written, so a failure leaves no partial file. Temporary names are created exclusively with
    mode 0666 & ~umask, as a plain open would."""
    temps: dict[Path, Path] = {}
    try:
        for path, text in texts.items():
            temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            temps[path] = temp
            with os.fdopen(fd, "w", encoding="ascii", newline="\n") as f:
                f.write(text)
        for path, temp in temps.items():
            os.replace(temp, path)
    except OSError as e:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        raise CliError(f"cannot write {e.filename or 'the output'}: {e.strerror or e}") from None


def export_c(model: str, output: str, name: str | None = None,
             section: str = DEFAULT_SECTION, ops_header: str | None = None) -> dict[Path, str]:
    """Writes OUT.c, OUT.h and, when `ops_header` is not None, the ops header ("" for
    OUT_ops.h); returns each path written with what it holds, for the CLI to report."""
    paths = export_paths(output, ops_header)
    prefix = symbol_prefix(name, paths)
    section = checked_section(section)
    data, interp = open_bare_metal(model)
    facts = model_facts(model, data, interp)
    texts = {paths.source: model_source(prefix, facts, data, section, paths.header.name),
             paths.header: model_header(prefix, facts, section)}
    if paths.ops_header is not None:
        texts[paths.ops_header] = ops_header_text(prefix, facts, paths.ops_header.name)
    write_all(texts)
    ops = len(set(facts.node_ops))
    inputs = sum(e.kind == "INPUT" for e in facts.endpoints)
    return {paths.source: f"the model, {facts.size} bytes, in section {section}",
            paths.header: f"arena {facts.arena_size} bytes, {inputs} input(s), "
                          f"{len(facts.endpoints) - inputs} output(s)",
            **({paths.ops_header: f"{ops} ops"} if paths.ops_header else {})}
