"""cffi (API mode) build of the extension module emberlite._ember from csrc/.

The cdef is derived from csrc/include/emberlite.h at build time, so the header stays the one
list of declarations. In API mode the generated C includes the real header, so struct layouts
and constant values come from it; the cdef only names them (`#define NAME ...`, `[...]`).
"""
from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sysconfig
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parent.parent
HEADER = ROOT / "csrc" / "include" / "emberlite.h"

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_OBJECT_MACRO = re.compile(r"#\s*define\s+([A-Za-z_]\w*)\s+[^\s\"]")
_MACRO_LENGTH = re.compile(r"\[\s*[A-Za-z_]\w*\s*\]")


def cdef_from_header(text: str) -> str:
    """The declarations of a C header as cffi cdef text.

    Comments and preprocessor lines are dropped, and with them the `#ifdef __cplusplus` blocks
    (the extern "C" guard); each object-like macro with a value becomes `#define NAME ...` and
    an array length given by a macro becomes `[...]`, both filled in by the C compiler. Macros
    whose value is a string are left out: cffi's `...` stands for integers only.
    """
    text = _COMMENT.sub("", text).replace("\\\n", " ")
    lines: list[str] = []
    skip_depth = 0  # > 0 inside an #ifdef __cplusplus block
    for line in text.splitlines():
        directive = line.strip()
        if not directive.startswith("#"):
            if skip_depth == 0 and directive:
                lines.append(line.rstrip())
            continue
        words = directive[1:].split()
        keyword = words[0] if words else ""
        if skip_depth > 0:
            if keyword.startswith("if"):
                skip_depth += 1
            elif keyword == "endif":
                skip_depth -= 1
            continue
        if keyword == "ifdef" and words[1:2] == ["__cplusplus"]:
            skip_depth = 1
            continue
        macro = _OBJECT_MACRO.match(directive)
        if macro:
            lines.append(f"#define {macro.group(1)} ...")
    return _MACRO_LENGTH.sub("[...]", "\n".join(lines)) + "\n"


CDEF = cdef_from_header(HEADER.read_text())


# Per host architecture: the microkernel directories (csrc/ukernels/<isa>), each with the flags
# only its files get (mk/c.mk uses the same scheme), and the defines that enable them.
_ISA_DIRS = {
    "x86_64": {"avx2": ["-mavx2", "-mfma", "-mf16c"],
               "avx512f": ["-mavx512f", "-mavx2", "-mfma", "-mf16c"],
               "avx512vnni": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni", "-mavx2",
                              "-mfma", "-mf16c"],
               "avx512vbmi": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vbmi", "-mavx2",
                              "-mfma", "-mf16c"],
               "shani": ["-msha", "-msse4.1"]},
    "aarch64": {"neon": [], "neondot": ["-march=armv8.2-a+dotprod"],
                "neoni8mm": ["-march=armv8.2-a+dotprod+i8mm"],
                "neonsha2": ["-march=armv8-a+crypto"]},
}
_ISA_DEFINES = {
    "x86_64": ["EMBER_HAVE_AVX2", "EMBER_HAVE_AVX512F", "EMBER_HAVE_AVX512VNNI",
               "EMBER_HAVE_AVX512VBMI", "EMBER_HAVE_SHA", "EMBER_HAVE_THREADS"],
    "aarch64": ["EMBER_HAVE_NEON", "EMBER_HAVE_NEONDOT", "EMBER_HAVE_NEONI8MM", "EMBER_HAVE_SHA",
                "EMBER_HAVE_THREADS"],
}
_MACHINES = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}
CFLAGS = ["-std=c11", "-O2", "-pthread"]


def _compiler() -> list[str]:
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(cc)


def _defines_flags(machine: str) -> list[str]:
    return [f"-D{name}=1" for name in _ISA_DEFINES.get(machine, [])]


def _isa_objects(machine: str) -> list[str]:
    """Compiles each ISA directory's files with that ISA's flags; setuptools can give only one
    set of flags to all sources of an extension, so these are linked in as objects."""
    out_dir = ROOT / "build" / "ffi-isa"
    objects = []
    for isa, flags in _ISA_DIRS.get(machine, {}).items():
        for src in sorted((ROOT / "csrc" / "ukernels" / isa).glob("*.c")):
            obj = out_dir / isa / (src.parent.parent.name + "_" + src.stem + ".o")
            obj.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([*_compiler(), *CFLAGS, *_defines_flags(machine), *flags, "-fPIC",
                            f"-I{ROOT / 'csrc'}", f"-I{ROOT / 'csrc' / 'include'}",
                            "-c", str(src), "-o", str(obj)], check=True)
            objects.append(str(obj))
    return objects


def _sources() -> list[str]:
    # Relative to the repository root: setuptools refuses absolute source paths.
    csrc = ROOT / "csrc"
    files = [*sorted(csrc.glob("*.c")), *sorted((csrc / "kernels").glob("*.c")),
             *sorted((csrc / "ukernels").glob("*.c"))]
    return [str(p.relative_to(ROOT)) for p in files]


_machine = _MACHINES.get(platform.machine().lower(), "")
ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "emberlite._ember",
    '#include "emberlite.h"',
    sources=_sources(),
    include_dirs=[str(ROOT / "csrc"), str(ROOT / "csrc" / "include")],
    define_macros=[(name, "1") for name in _ISA_DEFINES.get(_machine, [])],
    extra_compile_args=CFLAGS,
    extra_objects=_isa_objects(_machine),
    extra_link_args=["-pthread"],
    libraries=["m"],
)

if __name__ == "__main__":
    os.chdir(ROOT)
    ffibuilder.compile(verbose=True)
