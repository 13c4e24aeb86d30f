"""Delegates: plug-in libraries that run parts of a graph elsewhere (a GPU), modelled on
tflite_runtime's load_delegate.

A delegate library exports the two entry points of emberlite.h's "delegates" section
(ember_delegate_create, ember_delegate_destroy). It links nothing of the core: create is given
the core's accessors as a table (ember_core_api_get), so the copy of the C library inside this
package's extension module is the one it talks to.

    from emberlite import Interpreter, load_delegate
    gpu = load_delegate("opencl", {"precision": "fp16"})
    interp = Interpreter(model_path="model.ember", experimental_delegates=[gpu])
"""
from __future__ import annotations

import ctypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._ember import ffi, lib

# The libraries this package ships, by the name load_delegate takes for them: a glob in the
# package directory, since the file name carries the extension module's tag (.abi3.so).
BUNDLED = {"opencl": "_ember_opencl*.so"}
# emberlite.h's EMBER_DELEGATE_CREATE_SYMBOL and EMBER_DELEGATE_DESTROY_SYMBOL: string macros,
# which the cffi binding leaves out (a test checks these against the header).
CREATE_SYMBOL = "ember_delegate_create"
DESTROY_SYMBOL = "ember_delegate_destroy"
_MESSAGE_SIZE = 1024
_DESCRIBE_SIZE = 16384


def _library_path(library: str | Path) -> Path:
    """The bundled library for a name of BUNDLED, else `library` as a path."""
    pattern = BUNDLED.get(str(library))
    if pattern is None:
        return Path(library)
    found = sorted(Path(__file__).resolve().parent.glob(pattern))
    if not found:
        raise ValueError(f"the {library} delegate is not built in this installation of "
                         f"emberlite (no {pattern} beside {Path(__file__).name})")
    return found[0]


def _entry_point(dll: ctypes.CDLL, path: Path, symbol: str, c_type: str) -> Any:
    try:
        address = ctypes.cast(getattr(dll, symbol), ctypes.c_void_p).value
    except AttributeError:
        raise ValueError(f"{path} is not an Emberlite delegate: it exports no {symbol}") from None
    return ffi.cast(c_type, address)


class Delegate:
    """A delegate made by load_delegate(). Give it to Interpreter(experimental_delegates=[...]);
    one delegate may serve several interpreters. It is destroyed when nothing refers to it any
    more: every Interpreter it was given to keeps it alive for as long as that interpreter
    lives, so dropping your own reference early is safe."""

    def __init__(self, path: Path, dll: ctypes.CDLL, pointer: Any, destroy: Any,
                 options: dict[str, str], option_strings: tuple[list, list]):
        # The ctypes handle keeps the library mapped (ctypes never unloads it) while the
        # delegate's callbacks may still be called; the option strings stay for a delegate
        # that keeps pointers to them (the header does not say that create copies them).
        self._dll = dll
        self._option_strings = option_strings
        self._pointer = ffi.gc(pointer, destroy)
        self.path = path
        self.options = options

    @property
    def name(self) -> str:
        """The name the delegate gives itself (e.g. "opencl"): placements report it."""
        name = self._pointer.name
        return "" if name == ffi.NULL else ffi.string(name).decode("utf-8", errors="replace")

    def describe(self) -> str:
        """What the delegate says of itself: its device, its settings and what its last
        prepare found (e.g. a cache file it could not trust); "" when it says nothing."""
        describe = self._pointer.describe
        if describe == ffi.NULL:
            return ""
        text = ffi.new("char[]", _DESCRIBE_SIZE)
        describe(self._pointer.user, text, _DESCRIBE_SIZE)
        return ffi.string(text).decode("utf-8", errors="replace")

    @property
    def _cdata(self) -> Any:
        """The ember_delegate * for ember_interp_add_delegate."""
        return self._pointer

    def __repr__(self) -> str:
        return f"<emberlite.Delegate {self.name!r} from {self.path}>"


def load_delegate(library: str | Path, options: Mapping[str, Any] | None = None) -> Delegate:
    """Loads a delegate library and creates a delegate, as tflite_runtime's load_delegate.

    `library`: "opencl" for the OpenCL delegate this package ships (when it was built), else
    the path of a delegate library. `options`: the delegate's settings as a mapping; keys are
    strings, values are passed as str(value) (the OpenCL delegate's are listed in README.md).
    Raises ValueError when the library cannot be loaded, is no Emberlite delegate, or refuses
    the options (an unknown key, a bad value), with the library's message.
    """
    path = _library_path(library)
    try:
        dll = ctypes.CDLL(str(path))
    except OSError as e:
        raise ValueError(f"cannot load delegate library {path}: {e}") from None
    create = _entry_point(dll, path, CREATE_SYMBOL, "ember_delegate_create_fn")
    destroy = _entry_point(dll, path, DESTROY_SYMBOL, "ember_delegate_destroy_fn")
    given = {}
    for key, value in (options or {}).items():
        if not isinstance(key, str):
            raise ValueError(f"delegate option names are strings, got {key!r}")
        given[key] = str(value)
    keys = [ffi.new("char[]", k.encode()) for k in given]
    values = [ffi.new("char[]", v.encode()) for v in given.values()]
    message = ffi.new("char[]", _MESSAGE_SIZE)
    pointer = create(lib.ember_core_api_get(), ffi.new("const char *[]", keys or [ffi.NULL]),
                     ffi.new("const char *[]", values or [ffi.NULL]), len(given), message,
                     _MESSAGE_SIZE)
    if pointer == ffi.NULL:
        text = ffi.string(message).decode("utf-8", errors="replace") or "no reason given"
        raise ValueError(f"cannot create delegate from {path}: {text}")
    return Delegate(path, dll, pointer, destroy, given, (keys, values))
