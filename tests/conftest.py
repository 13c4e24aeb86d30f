"""Shared pytest set-up.

Optional tools (clang, flatc, qemu, cross compilers, optional Python packages) are skipped
when missing on a developer machine, but CI (env CI set) must have all of them: there a
missing tool fails the test instead of hiding it.

    from conftest import require_tool, require_module
    def test_cross():
        qemu = require_tool("qemu-aarch64")
"""
from __future__ import annotations

import importlib
import os
import shutil
from types import ModuleType

import pytest


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def _missing(what: str) -> None:
    if in_ci():
        pytest.fail(f"{what} is required in CI (env CI is set) but missing")
    pytest.skip(f"{what} is missing (skipped outside CI)")


def require_tool(name: str) -> str:
    """Full path of executable `name`; skips (fails in CI) when it is not on PATH."""
    path = shutil.which(name)
    if path is None:
        _missing(f"tool {name!r}")
    return path


def require_module(name: str) -> ModuleType:
    """The imported module `name`; skips (fails in CI) when it cannot be imported."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        _missing(f"Python module {name!r} ({e})")
        raise  # unreachable: _missing always raises


def pytest_configure(config: pytest.Config) -> None:
    # triton, which torch.onnx.export loads lazily through torch._dynamo, segfaults when loaded
    # after TensorFlow, and tests of both kinds share this process; loading it first, when torch
    # is installed, makes any order of tests safe.
    try:
        importlib.import_module("torch._dynamo")
    except ImportError:
        pass
