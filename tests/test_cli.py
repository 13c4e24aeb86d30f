"""The `ember` command line: each subcommand, and exit status 2 with one line on bad input."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

import emberlite
from emberlite.cli import main
from tests.helpers import BIAS, biased_model, biased_softmax


def _model(batch: int | str = 2, op: str = "Softmax") -> onnx.ModelProto:
    return biased_model(op, "cli_model", batch)


@pytest.fixture
def onnx_path(tmp_path: Path) -> Path:
    path = tmp_path / "m.onnx"
    onnx.save(_model(), str(path))
    return path


@pytest.fixture
def ember_path(onnx_path: Path) -> Path:
    out = onnx_path.with_suffix(".ember")
    assert main(["convert", str(onnx_path), "-o", str(out)]) == 0
    return out


def _one_error_line(capsys: pytest.CaptureFixture, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("ember: error: "), err
    for needle in needles:
        assert needle in err
    return err


def test_convert_writes_a_working_model(tmp_path: Path, onnx_path: Path, capsys) -> None:
    assert main(["convert", str(onnx_path)]) == 0
    out = tmp_path / "m.ember"
    assert "wrote" in capsys.readouterr().out and out.is_file()
    it = emberlite.Interpreter(model_path=out)
    x = np.random.default_rng(0).normal(size=(2, 6)).astype(np.float32)
    np.testing.assert_allclose(it.get_signature_runner()(x=x)["y"], biased_softmax(x),
                               rtol=1e-5, atol=1e-6)


def test_convert_with_a_range_and_run_at_another_size(tmp_path: Path, capsys) -> None:
    """--input-shape LO..HI keeps the batch dynamic; `ember run` resizes to the inputs given,
    and refuses a size outside the range in one line."""
    src, out = tmp_path / "dyn.onnx", tmp_path / "dyn.ember"
    onnx.save(_model(batch="N"), str(src))
    assert main(["convert", str(src), "-o", str(out), "--input-shape", "x:1..8,6"]) == 0
    assert "dynamic: [N 1..8,6]" in (main(["inspect", str(out)]), capsys.readouterr().out)[1]
    x = np.random.default_rng(3).normal(size=(5, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    save = tmp_path / "out"
    assert main(["run", str(out), "-i", f"x={tmp_path / 'x.npy'}", "--save", str(save)]) == 0
    np.testing.assert_allclose(np.load(save / "y.npy"), biased_softmax(x), rtol=1e-5, atol=1e-6)
    np.save(tmp_path / "big.npy", np.zeros((9, 6), np.float32))
    assert main(["run", str(out), "-i", f"x={tmp_path / 'big.npy'}"]) == 2
    _one_error_line(capsys, "must be in [1, 8], got 9")


def test_convert_input_shape_fixes_a_dynamic_dim(tmp_path: Path) -> None:
    src, out = tmp_path / "dyn.onnx", tmp_path / "dyn.ember"
    onnx.save(_model(batch="N"), str(src))
    assert main(["convert", str(src), "-o", str(out), "--input-shape", "x:3,6"]) == 0
    shape = emberlite.Interpreter(model_path=out).get_input_details()[0]["shape"]
    np.testing.assert_array_equal(shape, [3, 6])


@pytest.mark.parametrize("content", [b"this is not onnx", None])
def test_convert_failure_leaves_no_file(tmp_path: Path, capsys, content: bytes | None) -> None:
    src = tmp_path / "bad.onnx"
    if content is None:
        onnx.save(_model(op="NonZero"), str(src))  # valid ONNX, op Emberlite lacks
    else:
        src.write_bytes(content)
    out = tmp_path / "out" / "bad.ember"
    out.parent.mkdir()
    assert main(["convert", str(src), "-o", str(out)]) == 2
    assert list(out.parent.iterdir()) == []
    assert "cannot convert" in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [
    (["convert", "/nonexistent.onnx"], "no such file"),
    (["inspect", "/nonexistent.ember"], "no such file"),
    (["run", "/nonexistent.ember"], "no such file"),
    (["verify", "/nonexistent.ember"], "no such file"),
])
def test_missing_files_exit_2(argv: list[str], needle: str, capsys) -> None:
    assert main(argv) == 2
    _one_error_line(capsys, needle)


def test_bad_input_shape_argument(onnx_path: Path, capsys) -> None:
    assert main(["convert", str(onnx_path), "--input-shape", "x=1,2"]) == 2
    _one_error_line(capsys, "--input-shape")


def test_inspect_text_and_json(ember_path: Path, capsys) -> None:
    assert main(["inspect", str(ember_path)]) == 0
    text = capsys.readouterr().out
    for needle in ("add", "softmax", "arena", "weights", "[2,6]", "float32"):
        assert needle in text
    assert main(["inspect", "--json", str(ember_path)]) == 0
    info = json.loads(capsys.readouterr().out)
    it = emberlite.Interpreter(model_path=ember_path)
    it.allocate_tensors()
    assert info["ops"] == {"add": 1, "softmax": 1} and info["nodes"] == 2
    assert info["weight_bytes"] == BIAS.nbytes
    assert info["file_bytes"] == ember_path.stat().st_size
    assert info["arena_bytes"] == it.arena_size > 0
    assert info["metadata"] == it.get_metadata()
    assert info["inputs"] == [{"name": "x", "index": it.get_input_details()[0]["index"],
                               "shape": [2, 6], "dtype": "float32", "dims": [2, 6]}]
    assert len(info["tensors"]) == len(it.get_tensor_details())


def test_run_with_inputs_by_name_and_position(tmp_path: Path, ember_path: Path,
                                              capsys) -> None:
    x = np.random.default_rng(1).normal(size=(2, 6)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    for spec in ("x=" + str(tmp_path / "x.npy"), str(tmp_path / "x.npy")):
        save = tmp_path / ("by_name" if "=" in spec else "by_pos")
        assert main(["run", str(ember_path), "-i", spec, "--save", str(save)]) == 0
        out = capsys.readouterr().out
        assert "y: [2,6] float32" in out and "top:" in out
        np.testing.assert_allclose(np.load(save / "y.npy"), biased_softmax(x), rtol=1e-5, atol=1e-6)


def test_run_random_inputs_is_seeded(tmp_path: Path, ember_path: Path) -> None:
    for name in ("a", "b"):
        assert main(["run", str(ember_path), "--seed", "7", "--save", str(tmp_path / name)]) == 0
    a, b = np.load(tmp_path / "a" / "y.npy"), np.load(tmp_path / "b" / "y.npy")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-5)


def test_run_bad_inputs_exit_2(tmp_path: Path, ember_path: Path, capsys) -> None:
    np.save(tmp_path / "wrong.npy", np.zeros((6, 2), np.float32))
    assert main(["run", str(ember_path), "-i", str(tmp_path / "wrong.npy")]) == 2
    _one_error_line(capsys, "shape")
    assert main(["run", str(ember_path), "-i", "z=" + str(tmp_path / "wrong.npy")]) == 2
    _one_error_line(capsys, "'z'")
    assert main(["run", str(ember_path), "-i", str(tmp_path / "missing.npy")]) == 2
    _one_error_line(capsys, "missing.npy")


def test_verify_ok_and_corrupt(tmp_path: Path, ember_path: Path, capsys) -> None:
    assert main(["verify", str(ember_path)]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    data = bytearray(ember_path.read_bytes())
    bad = tmp_path / "bad.ember"
    bad.write_bytes(bytes(data[: len(data) // 3]))
    assert main(["verify", str(bad)]) == 2
    _one_error_line(capsys, "invalid model")
    where = bytes(data).find(BIAS.tobytes())
    data[where] ^= 0x40
    bad.write_bytes(bytes(data))
    assert main(["verify", str(bad)]) == 2
    _one_error_line(capsys, "invalid model")


def test_console_entry_point_exit_status(ember_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "emberlite.cli", "verify", str(ember_path)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "emberlite.cli", "inspect", "/no/such.ember"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("ember: error: no such file")
    usage = subprocess.run([sys.executable, "-m", "emberlite.cli", "frobnicate"],
                           capture_output=True, text=True)
    assert usage.returncode == 2


# Names with terminal escapes: a colour change, a carriage return that would hide the start
# of the line, an OSC title change, a right-to-left override.
HOSTILE_IN = "x\x1b[31m\rred"
HOSTILE_OUT = "y\x1b]0;pwned\x07\u202eevil"


def _hostile_model() -> onnx.ModelProto:
    model = _model()
    renames = {"x": HOSTILE_IN, "y": HOSTILE_OUT}
    for value in [*model.graph.input, *model.graph.output]:
        value.name = renames[value.name]
    for node in model.graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    model.graph.node[1].name = "soft\x1b[2Jmax"
    model.producer_name = "maker\x1b[5m\nfake: line"
    return model


def _assert_escaped(text: str) -> None:
    for raw in ("\x1b", "\r", "\x07", "\u202e"):
        assert raw not in text, repr(text)


def test_names_from_the_model_are_escaped(tmp_path: Path, capsys) -> None:
    src, out = tmp_path / "hostile.onnx", tmp_path / "hostile.ember"
    onnx.save(_hostile_model(), str(src))
    assert main(["convert", str(src), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    _assert_escaped(text)
    for escaped in ("x\\x1b[31m\\rred", "y\\x1b]0;pwned\\x07\\u202eevil",
                    "maker\\x1b[5m\\nfake: line"):
        assert escaped in text, text
    assert main(["run", str(out)]) == 0
    text = capsys.readouterr().out
    _assert_escaped(text)
    assert "y\\x1b]0;pwned\\x07\\u202eevil: [2,6] float32" in text
    assert main(["inspect", "--json", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["inputs"][0]["name"] == HOSTILE_IN      # JSON keeps the exact name
    assert main(["run", str(out), "-i", "nope=" + str(tmp_path / "a.npy")]) == 2
    _assert_escaped(_one_error_line(capsys, "no model input named"))


def test_printable_keeps_letters_and_escapes_controls() -> None:
    from emberlite.cli import printable

    assert printable("conv_1/Relu:0 é ß 中文 ok") == "conv_1/Relu:0 é ß 中文 ok"
    assert printable("a\x1b[0m\r\n\t\x00\x7f\u200b\ud800") == \
        "a\\x1b[0m\\r\\n\\t\\x00\\x7f\\u200b\\ud800"


def test_quantization_report_escapes_layer_names(tmp_path: Path, capsys) -> None:
    src, out = tmp_path / "hostile.onnx", tmp_path / "hostile.ember"
    onnx.save(_hostile_model(), str(src))
    x = np.random.default_rng(3).normal(size=(8, 2, 6)).astype(np.float32)
    np.savez(tmp_path / "calib.npz", **{HOSTILE_IN: x})
    assert main(["convert", str(src), "-o", str(out), "--quantize", "int8", "--calibration",
                 str(tmp_path / "calib.npz"), "--report", str(tmp_path / "r.json")]) == 0
    text = capsys.readouterr().out
    _assert_escaped(text)
    assert "soft\\x1b[2Jmax" in text, text


def test_float_io_is_a_deprecated_alias_of_io_float(tmp_path: Path, onnx_path: Path,
                                                    capsys) -> None:
    """--float-io (0.1's spelling) still writes the file --io float writes, and warns."""
    calib = tmp_path / "calib.npz"
    np.savez(calib, x=np.random.default_rng(1).normal(size=(8, 2, 6)).astype(np.float32))
    written = {}
    for flags in (["--io", "float"], ["--float-io"]):
        out = tmp_path / f"{flags[0].strip('-')}.ember"
        assert main(["convert", str(onnx_path), "-o", str(out), "--quantize", "int8",
                     "--calibration", str(calib), *flags]) == 0
        written[flags[0]] = out.read_bytes(), capsys.readouterr().err
    assert written["--float-io"][0] == written["--io"][0]
    assert "deprecated" not in written["--io"][1]
    assert "ember: warning: --float-io is deprecated" in written["--float-io"][1]
