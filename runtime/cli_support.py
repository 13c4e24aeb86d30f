"""What the `ember` subcommands (cli.py, compare.py) share: the error a user's input causes,
the layout permutations of 4-D tensors and opening a model file."""
from __future__ import annotations

import os
from typing import Any

from .errors import EmberRuntimeError

TO_NHWC = (0, 2, 3, 1)
TO_NCHW = (0, 3, 1, 2)


class CliError(Exception):
    """A problem with what the user gave us; main() prints it and exits with status 2."""


def open_model(path: str, allocate: bool = True, num_threads: int | None = None,
               isa_mask: int | None = None) -> Any:
    from .interpreter import Interpreter

    if not os.path.isfile(path):
        raise CliError(f"no such file: {path}")
    try:
        # Read, not mapped: an updater rewriting the file while the command runs must not
        # kill it with SIGBUS.
        interp = Interpreter(model_path=path, use_mmap=False, num_threads=num_threads,
                             isa_mask=isa_mask)
        if allocate:
            interp.allocate_tensors()
    except EmberRuntimeError as e:
        raise CliError(f"invalid model {path}: {e}") from None
    return interp
