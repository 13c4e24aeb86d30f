"""`ember convert` on malformed and hostile input (issue 9): exit status 2, one line
`ember: error: ...` on stderr that says what is wrong, no traceback, and no file left
behind. A traceback in process is an exception escaping main(); in a subprocess, a
"Traceback" on stderr."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emberlite.cli import main
from onnx import helper

from malformed_models import BEYOND_FORMAT, MALFORMED, float_info, onnx_bytes, small_onnx


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ember: error: "), err
    return lines[0]


def _outputs(tmp_path: Path) -> list[Path]:
    out = tmp_path / "out"
    return sorted(out.iterdir()) if out.is_dir() else []


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_convert_refuses_with_one_line(case: str, tmp_path: Path, capsys) -> None:
    build, needles = MALFORMED[case]
    src = build(tmp_path)
    (tmp_path / "out").mkdir()
    rc = main(["convert", str(src), "-o", str(tmp_path / "out" / "m.ember")])
    line = _one_error_line(capsys.readouterr().err)
    assert rc == 2
    for needle in needles:
        assert needle in line, line
    assert _outputs(tmp_path) == []


@pytest.mark.parametrize("case", sorted(BEYOND_FORMAT))
def test_raised_budgets_still_refuse_what_the_format_cannot_hold(case: str, tmp_path: Path,
                                                                  capsys) -> None:
    build, extra, needles = BEYOND_FORMAT[case]
    (tmp_path / "out").mkdir()
    rc = main(["convert", str(build(tmp_path)), "-o", str(tmp_path / "out" / "m.ember"),
               *extra])
    line = _one_error_line(capsys.readouterr().err)
    assert rc == 2 and all(needle in line for needle in needles), line
    assert _outputs(tmp_path) == []


@pytest.mark.parametrize("shape", ["x:99999999999,6", "x:9223372036854775807,6"])
def test_huge_input_shape_argument(shape: str, tmp_path: Path, capsys) -> None:
    src = tmp_path / "m.onnx"
    src.write_bytes(onnx_bytes([helper.make_node("Relu", ["x"], ["y"])],
                               [float_info("x", ["n", 6])], [float_info("y", None)]))
    assert main(["convert", str(src), "--input-shape", shape]) == 2
    assert "arena budget" in _one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


@pytest.mark.parametrize("case", ["random_onnx_100_1", "constant_of_shape_bomb",
                                  "initializer_dims_mismatch", "unsupported_op_names"])
def test_convert_subprocess_refuses_with_one_line(case: str, tmp_path: Path) -> None:
    src = MALFORMED[case][0](tmp_path)
    (tmp_path / "out").mkdir()
    run = subprocess.run([sys.executable, "-m", "emberlite.cli", "convert", str(src), "-o",
                          str(tmp_path / "out" / "m.ember")], capture_output=True, text=True,
                         timeout=300)
    _one_error_line(run.stderr)
    assert run.returncode == 2 and _outputs(tmp_path) == []


def test_unsupported_ops_are_one_escaped_line(tmp_path: Path, capsys) -> None:
    build, _ = MALFORMED["unsupported_op_names"]
    assert main(["convert", str(build(tmp_path)), "-o", str(tmp_path / "m.ember")]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "\x1b" not in line and "nz\\x1b[31m\\nfake (NonZero)" in line


@pytest.mark.parametrize("where", ["missing_dir", "is_directory", "parent_is_file"])
def test_unwritable_output(where: str, tmp_path: Path, capsys) -> None:
    src = tmp_path / "m.onnx"
    src.write_bytes(small_onnx())
    target = {"missing_dir": tmp_path / "no" / "such" / "m.ember",
              "is_directory": tmp_path / "d",
              "parent_is_file": tmp_path / "m.onnx" / "m.ember"}[where]
    if where == "is_directory":
        target.mkdir()
    assert main(["convert", str(src), "-o", str(target)]) == 2
    _one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.rglob("*")) == (
        ["d", "m.onnx"] if where == "is_directory" else ["m.onnx"])


def test_out_of_memory_while_writing_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    from emberlite.converter import converter

    def no_memory(*args: object, **kwargs: object) -> bytes:
        raise MemoryError()

    monkeypatch.setattr(converter, "serialize", no_memory)
    src = tmp_path / "m.onnx"
    src.write_bytes(small_onnx())
    assert main(["convert", str(src), "-o", str(tmp_path / "m.ember")]) == 2
    assert "out of memory" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "m.ember").exists()


@pytest.mark.parametrize("flag, value", [(flag, value)
                                         for flag in ("--max-constant-mb", "--max-arena-mb")
                                         for value in ("0", "-1", "nan")]
                         + [("--max-nodes", "0"), ("--max-nodes", "-1")])
def test_bad_budget_flags(flag: str, value: str, tmp_path: Path, capsys) -> None:
    src = tmp_path / "m.onnx"
    src.write_bytes(small_onnx())
    assert main(["convert", str(src), flag, value]) == 2
    assert flag in _one_error_line(capsys.readouterr().err)


def test_node_budget_flag_refuses_a_larger_model(tmp_path: Path, capsys) -> None:
    src, out = tmp_path / "m.onnx", tmp_path / "m.ember"
    src.write_bytes(onnx_bytes([helper.make_node("Relu", ["x"], ["r"]),
                                helper.make_node("Neg", ["r"], ["y"], name="second")],
                               [float_info("x", [2, 6])], [float_info("y", [2, 6])]))
    assert main(["convert", str(src), "-o", str(out), "--max-nodes", "1"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    for needle in ("node 'second'", "more than 1 IR nodes", "--max-nodes"):
        assert needle in line, line
    assert not out.exists()
    assert main(["convert", str(src), "-o", str(out), "--max-nodes", "2"]) == 0
