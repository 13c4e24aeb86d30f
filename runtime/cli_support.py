"""What the `ember` subcommands (cli.py, compare.py) share: the error a user's input causes,
the layout permutations of 4-D tensors, loading a delegate and opening a model file."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .errors import EmberRuntimeError

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
               isa_mask: int | None = None, delegate: Any = None) -> Any:
    from .interpreter import Interpreter

    if not os.path.isfile(path):
        raise CliError(f"no such file: {path}")
    try:
        # Read, not mapped: an updater rewriting the file while the command runs must not
        # kill it with SIGBUS.
        interp = Interpreter(model_path=path, use_mmap=False, num_threads=num_threads,
                             isa_mask=isa_mask,
                             experimental_delegates=None if delegate is None else [delegate])
        if allocate:
            interp.allocate_tensors()
    except EmberRuntimeError as e:
        raise CliError(f"invalid model {path}: {e}") from None
    return interp
