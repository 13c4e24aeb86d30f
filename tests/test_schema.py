"""The file format: generated code is current, versions agree, and old files keep working."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import require_tool
from emberlite import Interpreter, UnsignedModelError, VersionError
from emberlite.converter.writer import FORMAT_VERSION
from emberlite.signing import key_id
from tests.compat.models import (EXPECTED, MODEL_VERSION, compat_model, compat_model_dynamic,
                                 golden_signing_key)
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


def _close(got: np.ndarray, want: np.ndarray) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))


def test_recorded_outputs_are_onnx_runtimes() -> None:
    """tests/compat/expected.npz was recorded once from ONNX Runtime; it still agrees."""
    expected = np.load(EXPECTED)
    _close(run_ort(compat_model(), [expected["x"]])[0], expected["y"])
    _close(run_ort(compat_model_dynamic(), [expected["x_dynamic"]])[0], expected["y_dynamic"])


@pytest.mark.parametrize("version", range(1, FORMAT_VERSION + 1))
def test_files_of_every_released_version_give_the_recorded_outputs(version: int) -> None:
    """From format 8 the files keep height and width dynamic, and are also checked at the
    recorded smaller image (format 1 to 7 files take NHWC images: run_ember transposes)."""
    path = ROOT / "tests" / "compat" / f"format_v{version}.ember"
    assert path.exists(), f"missing compatibility file for format version {version}"
    expected = np.load(EXPECTED)
    _close(run_ember(path.read_bytes(), [expected["x"]])[0], expected["y"])
    if version >= 8:
        runner = Interpreter(model_content=path.read_bytes()).get_signature_runner()
        _close(runner(x=expected["x_dynamic"])["y"], expected["y_dynamic"])


def _golden(version: int, suffix: str = "") -> bytes:
    return (ROOT / "tests" / "compat" / f"format_v{version}{suffix}.ember").read_bytes()


@pytest.mark.parametrize("version", range(10, FORMAT_VERSION + 1))
def test_signed_files_of_every_release_still_verify(version: int) -> None:
    key = golden_signing_key().public_key()
    interp = Interpreter(model_content=_golden(version, "_signed"), trusted_keys=[key],
                         min_model_version=MODEL_VERSION)
    info = interp.model_info()
    assert info["verified_key_id"] == key_id(key) and info["model_version"] == MODEL_VERSION
    assert info["body_size"] == len(_golden(version))
    expected = np.load(EXPECTED)
    _close(interp.get_signature_runner()(x=expected["x"])["y"], expected["y"])


@pytest.mark.parametrize("version", range(1, 10))
def test_files_before_format_10_are_unsigned_to_a_runtime_given_keys(version: int) -> None:
    with pytest.raises(UnsignedModelError, match=f"not signed \\(format {version}\\)"):
        Interpreter(model_content=_golden(version),
                    trusted_keys=[golden_signing_key().public_key()])


def _with_u32_field(data: bytes, vtable_offset: int, value: int) -> bytes:
    from emberlite.schema.Model import Model

    root = Model.GetRootAs(data, 0)
    field = root._tab.Offset(vtable_offset)
    assert field, "writer must store the version fields explicitly"
    pos = root._tab.Pos + field
    return data[:pos] + value.to_bytes(4, "little") + data[pos + 4:]


def _with_format_version(data: bytes, version: int) -> bytes:
    return _with_u32_field(data, 4, version)  # format_version: the Model table's first field


def test_a_file_for_a_newer_runtime_names_the_runtime_it_needs() -> None:
    """A future format keeps format_version and min_runtime_version first (schemas/ember.fbs's
    rule), so this runtime can say which release reads it."""
    data = _with_format_version(_golden(FORMAT_VERSION), FORMAT_VERSION + 1)
    data = _with_u32_field(data, 6, 10203)  # min_runtime_version: 1.2.3
    with pytest.raises(VersionError, match=r"needs runtime >= 1\.2\.3, this is 0\.9\.0"):
        Interpreter(model_content=data)


@pytest.mark.parametrize("version,word", [(FORMAT_VERSION + 1, "new"), (0, "old")])
def test_other_versions_are_refused_with_a_clear_message(version: int, word: str) -> None:
    data = (ROOT / "tests" / "compat" / f"format_v{FORMAT_VERSION}.ember").read_bytes()
    with pytest.raises(VersionError, match=f"too {word}"):
        Interpreter(model_content=_with_format_version(data, version))
