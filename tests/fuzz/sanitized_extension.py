"""The C runtime under ASan + UBSan for the importer fuzzer (mk/fuzz_importers.mk).

A converted file is loaded, allocated and run by emberlite._ember, the cffi extension, which
`make build` compiles without sanitizers. For the long importer run, mk/fuzz_importers.mk
builds a second copy of the extension from the sanitized objects of mk/c.mk's fuzzer
(clang, -fPIC, with libFuzzer's coverage hooks) into a directory of its own;
fuzz_importers.py then loads that copy in place of the installed one (use()), in a Python
started with a preloaded library that holds clang's ASan runtime (with UBSan's handlers) and
libFuzzer together (environment()), since the interpreter itself is not instrumented. Both
must be in the one library: with plain ASan preloaded, its weak coverage hooks shadow those
of the libFuzzer inside atheris, and neither Python's nor C's coverage reaches the fuzzer;
atheris finds libFuzzer already loaded and uses it.

    python tests/fuzz/sanitized_extension.py emit OUT.c   # the extension's C source

The extension's C comes from the cdef that runtime/_ffi_build.py derives from
csrc/include/emberlite.h, so it always matches the header the objects were built from.
"""
from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FFI_BUILD = ROOT / "runtime" / "_ffi_build.py"
MODULE = "emberlite._ember"
ENV_EXTENSION = "EMBER_FUZZ_EXTENSION"


def header_cdef() -> str:
    """_ffi_build.py's CDEF, computed by running that file only up to it: the statements after
    it compile the ISA objects for `make build`, which is not wanted here."""
    tree = ast.parse(FFI_BUILD.read_text(), str(FFI_BUILD))
    body = []
    for node in tree.body:
        body.append(node)
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "CDEF" for t in node.targets):
            break
    else:
        raise SystemExit(f"{FFI_BUILD} no longer assigns CDEF at top level")
    scope = {"__file__": str(FFI_BUILD), "__name__": "_ffi_build_cdef"}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(FFI_BUILD), "exec"), scope)
    return scope["CDEF"]


def emit(out: Path) -> None:
    from cffi import FFI

    ffi = FFI()
    ffi.cdef(header_cdef())
    ffi.set_source(MODULE, '#include "emberlite.h"')
    out.parent.mkdir(parents=True, exist_ok=True)
    ffi.emit_c_code(str(out))


def environment(extension: Path, preload: Path, mem_mb: int) -> dict[str, str]:
    """What the fuzzing Python needs: the runtime preloaded, the copy named, leaks off (CPython
    keeps its interned objects to the end), and ASan's allocator refusing (NULL, a MemoryError
    in numpy) any block over mem_mb: the address-space limit of the plain run cannot be used
    with ASan, whose shadow memory reserves terabytes."""
    return {ENV_EXTENSION: str(extension.resolve()), "LD_PRELOAD": str(preload.resolve()),
            "ASAN_OPTIONS": (f"detect_leaks=0:allocator_may_return_null=1:"
                             f"max_allocation_size_mb={mem_mb}:quarantine_size_mb=64:"
                             f"halt_on_error=1:print_summary=1:handle_abort=1"),
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, path: str):
        self.path = path

    def find_spec(self, name, path=None, target=None):
        if name != MODULE:
            return None
        loader = importlib.machinery.ExtensionFileLoader(MODULE, self.path)
        return importlib.util.spec_from_file_location(MODULE, self.path, loader=loader)


def use() -> bool:
    """Loads the extension named by $EMBER_FUZZ_EXTENSION in place of the installed one (call
    before importing emberlite); False when none is named."""
    path = os.environ.get(ENV_EXTENSION)
    if not path:
        return False
    if MODULE in sys.modules:
        raise RuntimeError(f"{MODULE} was imported before the sanitized copy was installed")
    if "asan" not in os.environ.get("LD_PRELOAD", ""):
        raise SystemExit(f"{ENV_EXTENSION} needs the ASan runtime in LD_PRELOAD")
    sys.meta_path.insert(0, _Finder(path))
    return True


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "emit":
        emit(Path(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
