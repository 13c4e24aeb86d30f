"""The stripped x86-64 runtime library stays under 1 MB with every kernel (issue 11's criterion):
a stripped copy of the built cffi extension (the whole C library plus the cffi glue), measured
on x86-64 hosts, where the extension carries the AVX2, AVX-512F and SHA-NI microkernels too."""
from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import require_tool

LIMIT_BYTES = 1_000_000


@pytest.mark.skipif(platform.machine().lower() not in {"x86_64", "amd64"},
                    reason="the size criterion is stated for the x86-64 build")
def test_stripped_extension_is_under_1mb(tmp_path: Path) -> None:
    strip = require_tool("strip")
    spec = importlib.util.find_spec("emberlite._ember")
    assert spec is not None and spec.origin, "the cffi extension emberlite._ember is not built"
    copy = tmp_path / Path(spec.origin).name
    shutil.copyfile(spec.origin, copy)
    subprocess.run([strip, str(copy)], check=True)
    size = copy.stat().st_size
    print(f"stripped {Path(spec.origin).name}: {size} bytes "
          f"({Path(spec.origin).stat().st_size} unstripped)")
    assert size < LIMIT_BYTES, \
        f"the stripped runtime library is {size} bytes; the limit is {LIMIT_BYTES} (< 1 MB)"
