"""`ember keygen`, `ember sign`, `ember verify --pubkey/--min-model-version` and `ember convert
--model-version` (docs/signing.md), through the CLI's main()."""
from __future__ import annotations

import os
from pathlib import Path

import onnx
import pytest

from emberlite import Interpreter
from emberlite.cli import main
from emberlite.signing import key_id, load_private_key
from tests.compat.models import compat_model


@pytest.fixture()
def converted(tmp_path: Path) -> Path:
    source = tmp_path / "m.onnx"
    onnx.save(compat_model(), source)
    assert main(["convert", str(source), "--model-version", "4"]) == 0
    return tmp_path / "m.ember"


def test_keygen_sign_verify(converted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = converted.parent / "key.pem"
    assert main(["keygen", "-o", str(key)]) == 0
    assert os.stat(key).st_mode & 0o777 == 0o600
    kid = key_id(load_private_key(key))
    assert kid in capsys.readouterr().out
    assert main(["sign", str(converted), "--key", str(key)]) == 0
    assert f"with key id {kid}" in capsys.readouterr().out
    assert main(["verify", str(converted), "--pubkey", f"{key}.pub",
                 "--min-model-version", "4"]) == 0
    out = capsys.readouterr().out
    assert "model version 4" in out and f"verified: key id {kid}" in out
    info = Interpreter(model_path=converted, trusted_keys=[f"{key}.pub"]).model_info()
    assert info["verified_key_id"] == kid and info["model_version"] == 4


def test_refusals_are_one_line_errors(converted: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    key, other = converted.parent / "key.pem", converted.parent / "other.pem"
    for path in (key, other):
        assert main(["keygen", "-o", str(path)]) == 0
    assert main(["keygen", "-o", str(key)]) == 2
    assert "exists (--force replaces it)" in capsys.readouterr().err
    assert main(["verify", str(converted), "--pubkey", f"{key}.pub"]) == 2
    err = capsys.readouterr().err
    assert "refused" in err and "the model is not signed" in err, err
    signed = converted.parent / "signed.ember"
    assert main(["sign", str(converted), "--key", str(key), "-o", str(signed)]) == 0
    capsys.readouterr()
    cases = [(["--pubkey", f"{other}.pub"], "none of the model's 1 signature(s) is by a trusted"),
             (["--pubkey", f"{key}.pub", "--min-model-version", "5"], "refusing a rollback"),
             (["--pubkey", str(key)], "cannot read --pubkey")]
    for flags, message in cases:
        assert main(["verify", str(signed), *flags]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ember: error:") and message in err, err
    assert main(["sign", str(signed), "--key", f"{key}.pub"]) == 2
    assert "cannot sign" in capsys.readouterr().err
