"""Fixtures of the delegate tests: the OpenCL delegate on this machine's OpenCL device (PoCL's
CPU device in CI).

Outside CI a machine without the built delegate, an OpenCL loader or a device skips these
tests; under CI (env CI set) each is a failure, as tests/conftest.py's require_* helpers do.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# pytest imports each conftest.py outside a package as the module `conftest`, so the test
# modules collected after this directory find this module under that name: it offers the
# root conftest's helpers too (`from conftest import require_tool` keeps working).
from tests.conftest import in_ci, require_module, require_tool  # noqa: F401

OPENCL_LIBRARY = "libOpenCL.so.1"
CL_DEVICE_TYPE_ALL = 0xFFFFFFFF


def _missing(what: str) -> None:
    if in_ci():
        pytest.fail(f"{what} is required in CI (env CI is set) but missing")
    pytest.skip(f"{what} is missing (skipped outside CI)")


def opencl_device_count() -> tuple[int, str]:
    """How many OpenCL devices the ICD loader lists over all platforms, asked through
    OpenCL's own C API, not through the delegate under test; and when none, why."""
    try:
        cl = ctypes.CDLL(ctypes.util.find_library("OpenCL") or OPENCL_LIBRARY)
    except OSError as e:
        return 0, f"the OpenCL ICD loader ({OPENCL_LIBRARY}: {e})"
    platform_count = ctypes.c_uint32()
    status = cl.clGetPlatformIDs(0, None, ctypes.byref(platform_count))
    if status != 0 or platform_count.value == 0:
        return 0, f"an OpenCL platform (clGetPlatformIDs gave status {status}; is PoCL installed?)"
    platforms = (ctypes.c_void_p * platform_count.value)()
    cl.clGetPlatformIDs(platform_count.value, platforms, None)
    devices = 0
    for platform in platforms:
        count = ctypes.c_uint32()
        if cl.clGetDeviceIDs(ctypes.c_void_p(platform), ctypes.c_uint64(CL_DEVICE_TYPE_ALL), 0,
                             None, ctypes.byref(count)) == 0:
            devices += count.value
    return devices, "" if devices else "an OpenCL device (the platforms list none)"


def require_opencl() -> None:
    """Skips (fails in CI) unless the OpenCL delegate is built and OpenCL lists a device.

    Skips, also in CI, in a process that has imported TensorFlow: TensorFlow exports its
    bundled LLVM's symbols to the whole process and PoCL's LLVM binds to them and crashes at
    its first call (docs/opencl.md). `make test` runs this folder in a process of its own
    (make pytest-delegates); the skip keeps a whole-suite `pytest` run from dying here."""
    if "tensorflow" in sys.modules:
        pytest.skip("TensorFlow is loaded in this process and PoCL would crash: run "
                    "tests/delegates on its own (make pytest-delegates)")
    from emberlite.delegates import BUNDLED

    package = Path(require_module("emberlite").__file__).parent
    if not list(package.glob(BUNDLED["opencl"])):
        _missing(f"the OpenCL delegate library ({BUNDLED['opencl']} in {package}; make build)")
    devices, missing = opencl_device_count()
    if not devices:
        _missing(missing)


@pytest.fixture(scope="session")
def opencl_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One program cache for the session's delegates: the first one builds the program, the
    others read it (never the user's ~/.cache)."""
    return tmp_path_factory.mktemp("opencl_cache")


@pytest.fixture
def make_opencl_delegate(opencl_cache_dir: Path) -> Callable[..., Any]:
    """make_opencl_delegate(**options): a new OpenCL delegate with these options, its cache
    in the session's cache directory unless cache_dir is given."""
    require_opencl()
    from emberlite import load_delegate

    def make(**options: Any) -> Any:
        return load_delegate("opencl", {"cache_dir": str(opencl_cache_dir)} | options)

    return make


@pytest.fixture
def opencl_delegate(make_opencl_delegate: Callable[..., Any]) -> Any:
    """A new OpenCL delegate with the default options (the session's cache directory)."""
    return make_opencl_delegate()
