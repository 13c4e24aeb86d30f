"""What the `ember` subcommands (cli.py, compare.py, compare_delegate.py) share: the error a
user's input causes, the layout permutations of 4-D tensors, loading a delegate, opening a model
file, and the text helpers their tables print with."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .errors import BadSignatureError, EmberRuntimeError, RollbackError, UnsignedModelError

TO_NHWC = (0, 2, 3, 1)
TO_NCHW = (0, 3, 1, 2)


class CliError(Exception):
    """A problem with what the user gave us; main() prints it and exits with status 2."""


def delegate_options(specs: Sequence[str]) -> dict[str, str]:
    """--delegate-option KEY=VALUE arguments as a dict (a later KEY wins)."""
    options = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise CliError(f"--delegate-option wants KEY=VALUE, got {spec!r}")
        options[key] = value
    return options


def load_cli_delegate(library: str | None, specs: Sequence[str],
                      overrides: dict[str, str] | None = None) -> Any:
    """The delegate of --delegate NAME_OR_PATH with its --delegate-option settings (and
    `overrides` over them), or None without --delegate."""
    if library is None:
        if specs:
            raise CliError("--delegate-option needs --delegate")
        return None
    from .delegates import load_delegate

    try:
        return load_delegate(library, delegate_options(specs) | (overrides or {}))
    except ValueError as e:
        raise CliError(str(e)) from None


def open_model(path: str, allocate: bool = True, num_threads: int | None = None,
               isa_mask: int | None = None, delegate: Any = None,
               trust: dict[str, Any] | None = None) -> Any:
    """The model at `path` as an Interpreter (allocated unless told not to); `trust`: its
    trusted_keys and min_model_version arguments."""
    from .interpreter import Interpreter

    if not os.path.isfile(path):
        raise CliError(f"no such file: {path}")
    try:
        # Read, not mapped: an updater rewriting the file while the command runs must not
        # kill it with SIGBUS.
        interp = Interpreter(model_path=path, use_mmap=False, num_threads=num_threads,
                             isa_mask=isa_mask,
                             experimental_delegates=None if delegate is None else [delegate],
                             **(trust or {}))
        if allocate:
            interp.allocate_tensors()
    except (BadSignatureError, RollbackError, UnsignedModelError) as e:
        raise CliError(f"refused {path}: {e}") from None
    except EmberRuntimeError as e:
        raise CliError(f"invalid model {path}: {e}") from None
    return interp


# -- text helpers ----------------------------------------------------------------------------

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` safe to print on a terminal: control characters, other non-printables (bidi
    overrides, zero-width characters, lone surrogates) become Python escapes (\\x1b,
    \\r, \\u202e), so a name from a model cannot move the cursor, recolour the terminal or
    forge an output line; letters of any script stay as they are."""
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def clip(text: str, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else text[:width - 3] + "..."


def shape_text(shape: Sequence[int]) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def placement_text(placement: dict[str, Any]) -> str:
    """Where a node of Interpreter.node_placements() runs: "opencl #0" (the delegate and its
    partition), or "cpu" with the reason no delegate took it."""
    if placement["delegate"] is not None:
        return f"{placement['delegate']} #{placement['partition']}"
    return f"cpu: {placement['reason']}" if placement["reason"] else "cpu"
