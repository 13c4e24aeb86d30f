"""The file format: generated code is current, versions agree, and old files keep working."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import require_tool
from emberlite import Interpreter, VersionError
from emberlite.converter.writer import FORMAT_VERSION
from tests.compat.models import compat_model, compat_model_dynamic
from tests.helpers import run_ember, run_ort

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "ember.fbs"


def test_generated_code_is_up_to_date() -> None:
    require_tool("flatc")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_schema.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_format_version_agrees_everywhere() -> None:
    schema_version = int(re.search(r"format_version:\s*(\d+)", SCHEMA.read_text()).group(1))
    header = (ROOT / "csrc" / "ember_schema.h").read_text()
    c_version = int(re.search(r"EMBER_FORMAT_VERSION (\d+)u", header).group(1))
    assert schema_version == c_version == FORMAT_VERSION


@pytest.mark.parametrize("version", range(1, FORMAT_VERSION + 1))
def test_files_of_every_released_version_still_load(version: int) -> None:
    path = ROOT / "tests" / "compat" / f"format_v{version}.ember"
    assert path.exists(), f"missing compatibility file for format version {version}"
    x = np.random.default_rng(version).normal(size=(1, 3, 8, 8)).astype(np.float32)
    got, = run_ember(path.read_bytes(), [x])
    want, = run_ort(compat_model(), [x])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))


@pytest.mark.parametrize("version", range(8, FORMAT_VERSION + 1))
def test_files_with_dynamic_dims_still_resize(version: int) -> None:
    """From format 8 the compatibility file keeps height and width dynamic in 4..8."""
    interp = Interpreter(model_content=(ROOT / "tests" / "compat" /
                                        f"format_v{version}.ember").read_bytes())
    x = np.random.default_rng(version).normal(size=(1, 3, 5, 7)).astype(np.float32)
    got = interp.get_signature_runner()(x=x)["y"]
    want, = run_ort(compat_model_dynamic(), [x])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))


def _with_format_version(data: bytes, version: int) -> bytes:
    from emberlite.schema.Model import Model

    root = Model.GetRootAs(data, 0)
    field = root._tab.Offset(4)  # format_version is the Model table's first field
    assert field, "writer must store format_version explicitly"
    pos = root._tab.Pos + field
    return data[:pos] + version.to_bytes(4, "little") + data[pos + 4:]


@pytest.mark.parametrize("version,word", [(FORMAT_VERSION + 1, "new"), (0, "old")])
def test_other_versions_are_refused_with_a_clear_message(version: int, word: str) -> None:
    data = (ROOT / "tests" / "compat" / f"format_v{FORMAT_VERSION}.ember").read_bytes()
    with pytest.raises(VersionError, match=f"too {word}"):
        Interpreter(model_content=_with_format_version(data, version))
