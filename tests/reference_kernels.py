"""A pytest plugin that runs every Interpreter on the reference kernels alone, so the same tests
check the oracles that the optimised kernels are compared with:

    python -m pytest -p reference_kernels tests/kernels tests/runtime ...

An Interpreter created without an isa_mask gets emberlite.ISA_NONE (plain C loops, unpacked
weights); one created with an explicit mask keeps it, so a test that compares the optimised
kernels with the reference still compares what it names. `make test` runs the kernel, runtime,
importer and conformance tests this way once more (the `pytest-ref` step).
"""
from __future__ import annotations

import functools
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    from emberlite import interpreter

    original = interpreter.Interpreter.__init__

    @functools.wraps(original)
    def reference_only(self: Any, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("isa_mask") is None:
            kwargs["isa_mask"] = interpreter.ISA_NONE
        original(self, *args, **kwargs)

    interpreter.Interpreter.__init__ = reference_only
    config.add_cleanup(lambda: setattr(interpreter.Interpreter, "__init__", original))
