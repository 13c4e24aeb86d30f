"""`ember export-c`: the generated .c and .h compile with the strict flags, link with the C
library and run the model from the array in an arena of exactly the header's size (one byte
fewer is ARENA_TOO_SMALL), giving the Python Interpreter's output bytes; the header's figures
are checked by tests/c/export_c_driver.c against what the library reports; the ops header
names exactly the model's ops by their C enum names; the array lands in its section, aligned;
bad input writes nothing."""
from __future__ import annotations

import fcntl
import re
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import require_tool
from emberlite import Interpreter
from emberlite.cli import main
from emberlite.converter import Converter
from tests.helpers import biased_model

ROOT = Path(__file__).resolve().parent.parent
# The library this test links, built incrementally by make (several pytest workers share it).
LIB_BUILD = "build/pytest-export-c"
STRICT = ["-std=c11", "-Wall", "-Wextra", "-Werror"]


def _conv_net() -> onnx.ModelProto:
    """conv 3x3 -> relu -> max pool -> global average pool -> flatten -> gemm: the int8 ops
    a small board runs; the average (MEAN) takes scratch, so the arena includes some."""
    rng = np.random.default_rng(7)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
               for name, shape in (("w", (4, 1, 3, 3)), ("b", (4,)), ("fw", (3, 4)))]
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"]),
         helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("GlobalAveragePool", ["p"], ["g"]),
         helper.make_node("Flatten", ["g"], ["f"]),
         helper.make_node("Gemm", ["f", "fw"], ["y"], transB=1)],
        "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The conv net quantized to int8, inputs and outputs int8."""
    rng = np.random.default_rng(0)
    calibration = [rng.standard_normal((1, 1, 6, 6)).astype(np.float32) for _ in range(16)]
    path = tmp_path_factory.mktemp("model") / "tiny.ember"
    path.write_bytes(Converter.from_onnx(_conv_net()).quantize("int8", dataset=calibration)
                     .convert())
    return path


def _make_library(build: Path, cc: str = "cc", opt: str = "-O2") -> Path:
    """`make c-lib` into `build` with compiler command `cc`: its libemberlite.a."""
    subprocess.run([require_tool("make"), "-s", "-j2", f"C_BUILD={build}", f"CC={cc}",
                    f"C_OPT={opt}", "c-lib"], cwd=ROOT, check=True)
    return build / "libemberlite.a"


@pytest.fixture(scope="module")
def library() -> Path:
    """build/pytest-export-c/libemberlite.a, brought up to date under a lock."""
    require_tool("cc")
    build = ROOT / LIB_BUILD
    build.mkdir(parents=True, exist_ok=True)
    with open(build / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _make_library(build)


def _export(model: Path, out: Path, *extra: str) -> None:
    assert main(["export-c", str(model), "-o", str(out), *extra]) == 0


def _python_output(model: Path, x: np.ndarray) -> np.ndarray:
    interp = Interpreter(model_path=str(model))
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def _run_driver(model: Path, library: Path, folder: Path) -> None:
    """Builds tests/c/export_c_driver.c against `folder`/tiny.{c,h} and `library`, runs it on
    a random input and compares its output bytes with the Python Interpreter's."""
    driver = folder / "driver"
    subprocess.run(["cc", *STRICT, f"-I{ROOT / 'csrc/include'}", f"-I{ROOT / 'tests/c'}",
                    f"-I{folder}", str(ROOT / "tests/c/export_c_driver.c"),
                    str(folder / "tiny.c"), str(library), "-lm", "-pthread", "-o", str(driver)],
                   check=True)
    x = np.random.default_rng(1).integers(-128, 128, (1, 1, 6, 6), dtype=np.int8)
    (folder / "x.bin").write_bytes(x.tobytes())
    run = subprocess.run([str(driver), str(folder / "x.bin"), str(folder / "y.bin")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 failed" in run.stdout, run.stdout
    assert re.search(r"arena holds \d+ bytes, .* \+ [1-9]\d* scratch", run.stdout), run.stdout
    want = _python_output(model, x)
    got = np.frombuffer((folder / "y.bin").read_bytes(), dtype=want.dtype)
    np.testing.assert_array_equal(got.reshape(want.shape), want)


def test_exported_model_runs_in_exactly_the_stated_arena(model: Path, library: Path,
                                                         tmp_path: Path) -> None:
    _export(model, tmp_path / "tiny", "--name", "tiny")
    _run_driver(model, library, tmp_path)


def test_library_built_with_the_ops_header_runs_the_model(model: Path, tmp_path: Path) -> None:
    """The library built with -DEMBER_OPS_HEADER naming the exported ops header refers to the
    kernels of exactly the model's ops, and runs the model."""
    _export(model, tmp_path / "tiny", "--name", "tiny", "--ops-header")
    define = f'-DEMBER_OPS_HEADER="\\"{tmp_path / "tiny_ops.h"}\\""'
    # -O1: a build from scratch each time (faster than -O2), and only its choice of kernels
    # matters (-O0 would warn of ignored loop annotations).
    library = _make_library(tmp_path / "lib", f"{require_tool('cc')} {define}", "-O1")
    registry = tmp_path / "lib/obj/csrc/kernels/registry.o"
    undefined = subprocess.run([require_tool("nm"), "-u", str(registry)], capture_output=True,
                               text=True, check=True).stdout
    kernels = set(re.findall(r"\bember_kernel_(\w+)", undefined))
    assert kernels == set(Interpreter(model_path=str(model)).node_ops())
    _run_driver(model, library, tmp_path)


def _defines(text: str) -> dict[str, str]:
    return dict(re.findall(r"^#define (\w+(?:\(X\))?) (.*)$", text, re.M))


def test_ops_header_names_the_model_ops_as_the_c_enum(model: Path, tmp_path: Path) -> None:
    _export(model, tmp_path / "tiny", "--ops-header")
    defines = _defines((tmp_path / "tiny_ops.h").read_text())
    used = {name[len("EMBER_USE_OP_"):] for name in defines if name.startswith("EMBER_USE_OP_")}
    interp = Interpreter(model_path=str(model))
    assert used == {op.upper() for op in interp.node_ops()}
    assert {"CONV2D", "FULLY_CONNECTED", "MAX_POOL2D", "MEAN"} <= used
    c_enum = set(re.findall(r"#define EMBER_OP_(\w+) \d+", (ROOT / "csrc/ember_schema.h")
                            .read_text()))
    assert used <= c_enum
    assert defines["EMBER_OPS_SELECTED"] == "1"
    assert all(defines[f"EMBER_USE_OP_{op}"] == "1" for op in used)
    header = _defines((tmp_path / "tiny.h").read_text())
    assert set(re.findall(r"X\((\w+)\)", header["TINY_OPS(X)"])) == used


def test_ops_header_at_a_given_path(model: Path, tmp_path: Path) -> None:
    _export(model, tmp_path / "tiny", "--ops-header", str(tmp_path / "ops.h"))
    assert "#define EMBER_USE_OP_CONV2D 1" in (tmp_path / "ops.h").read_text()
    assert not (tmp_path / "tiny_ops.h").exists()


def _section_of(objdump: str, obj: Path, symbol: str) -> tuple[str, int]:
    """The section holding `symbol` in `obj`, and that section's alignment in bytes."""
    table = subprocess.run([objdump, "-t", str(obj)], capture_output=True, text=True,
                           check=True).stdout
    section = re.search(rf"^\S+\s.*?\s(\S+)\s+\S+\s+{symbol}$", table, re.M)[1]
    headers = subprocess.run([objdump, "-h", str(obj)], capture_output=True, text=True,
                             check=True).stdout
    align = re.search(rf"^\s*\d+\s+{re.escape(section)}\s.*\s2\*\*(\d+)\s*$\n(.*)", headers,
                      re.M)
    assert "READONLY" in align[2], headers
    return section, 1 << int(align[1])


@pytest.mark.parametrize("compiler, objdump, flags", [
    ("cc", "objdump", []),
    ("clang", "objdump", []),
    ("arm-none-eabi-gcc", "arm-none-eabi-objdump", ["-mcpu=cortex-m4", "-mthumb"]),
])
@pytest.mark.parametrize("section", [None, ".ember_flash"])
def test_array_is_in_its_read_only_section_aligned(model: Path, tmp_path: Path, compiler: str,
                                                   objdump: str, flags: list[str],
                                                   section: str | None) -> None:
    cc, objdump = require_tool(compiler), require_tool(objdump)
    _export(model, tmp_path / "tiny", *(["--section", section] if section else []))
    obj = tmp_path / "tiny.o"
    subprocess.run([cc, *STRICT, "-pedantic", *flags, "-c", str(tmp_path / "tiny.c"),
                    "-o", str(obj)], check=True)
    name, align = _section_of(objdump, obj, "tiny_model")
    assert name == (section or ".rodata.ember_model")
    assert align >= 16


def test_float_model_and_default_name(tmp_path: Path) -> None:
    """A float model (no quantization: SCALE 0) from an OUT whose base name is no C name;
    the header compiles in C and C++ beside a use of every figure."""
    model = tmp_path / "m.ember"
    model.write_bytes(Converter.from_onnx(biased_model("Softmax", "g")).convert())
    _export(model, tmp_path / "2nd-model.v1.c")
    header = (tmp_path / "2nd-model.v1.h").read_text()
    defines = _defines(header)
    assert defines["MODEL_2ND_MODEL_V1_INPUT0_TYPE"] == "EMBER_TYPE_FLOAT32"
    assert defines["MODEL_2ND_MODEL_V1_INPUT0_DIMS"] == "{2, 6}"
    use = tmp_path / "use.c"
    use.write_text('#include "emberlite.h"\n#include "2nd-model.v1.h"\n'
                   "static const float scale = MODEL_2ND_MODEL_V1_OUTPUT0_SCALE;\n"
                   "static const int32_t dims[] = MODEL_2ND_MODEL_V1_OUTPUT0_DIMS;\n"
                   "const void *model(void);\nconst void *model(void) {\n"
                   "    return scale == 0.0f && dims[1] == 6 ? model_2nd_model_v1_model : 0;\n}\n")
    include = [f"-I{ROOT / 'csrc/include'}", f"-I{tmp_path}"]
    for source in (tmp_path / "2nd-model.v1.c", use):
        subprocess.run([require_tool("cc"), *STRICT, *include, "-c", str(source), "-o",
                        str(source.with_suffix(".o"))], check=True)
    subprocess.run([require_tool("c++"), "-std=c++17", "-Wall", "-Wextra", "-Werror",
                    *include, "-x", "c++", "-fsyntax-only", str(use)], check=True)


def test_output_defaults_to_the_model_path(model: Path, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "kws.v2.ember"
    copy.write_bytes(model.read_bytes())
    assert main(["export-c", str(copy)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kws.v2.c", "kws.v2.ember", "kws.v2.h"]
    assert "extern const uint8_t kws_v2_model[KWS_V2_MODEL_SIZE];" in \
        (tmp_path / "kws.v2.h").read_text()
    assert f"wrote {tmp_path / 'kws.v2.h'} (arena " in capsys.readouterr().out


def test_dynamic_dims_are_written_at_their_maxima(tmp_path: Path) -> None:
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "dyn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                             [1, "s", 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             [1, "s", 8])])
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model = tmp_path / "dyn.ember"
    model.write_bytes(Converter.from_onnx(onnx_model, input_shapes={"x": (1, (2, 16), 8)})
                      .convert())
    _export(model, tmp_path / "dyn")
    defines = _defines((tmp_path / "dyn.h").read_text())
    interp = Interpreter(model_path=str(model))
    ranges = interp.input_dim_ranges(interp.get_input_details()[0]["index"])
    assert defines["DYN_DYNAMIC_DIMS"] == "1"
    assert defines["DYN_INPUT0_DIMS"] == "{" + ", ".join(str(hi) for _, hi, _ in ranges) + "}"
    assert defines["DYN_INPUT0_DIMS_MIN"] == "{" + ", ".join(str(lo) for lo, _, _ in ranges) \
        + "}"
    assert defines["DYN_OUTPUT0_DIMS"] == "{1, 16, 8}" and defines["DYN_OUTPUT0_BYTES"] == "512u"


# -- refusals: one error line, status 2, nothing written ------------------------------------

def _refused(argv: list[str], capsys: pytest.CaptureFixture, out: Path) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("ember: error: "), err
    assert sorted(p.name for p in out.iterdir()) == []
    return err


def _truncated(model: Path, tmp_path: Path) -> Path:
    path = tmp_path / "cut.ember"
    path.write_bytes(model.read_bytes()[:200])
    return path


def _flipped(model: Path, tmp_path: Path) -> Path:
    data = bytearray(model.read_bytes())
    data[-5] ^= 0xFF  # weight bytes: the content hash no longer matches
    path = tmp_path / "flipped.ember"
    path.write_bytes(bytes(data))
    return path


def _onnx(model: Path, tmp_path: Path) -> Path:
    path = tmp_path / "tiny.onnx"
    onnx.save(_conv_net(), str(path))
    return path


def _text(model: Path, tmp_path: Path) -> Path:
    path = tmp_path / "notes.ember"
    path.write_text("not a model\n")
    return path


@pytest.mark.parametrize("make_input, needle", [
    (_truncated, "invalid model"), (_flipped, "invalid model"),
    (_onnx, "ember convert tiny.onnx"), (_text, "invalid model"),
    (lambda model, tmp_path: tmp_path / "absent.ember", "no such file"),
])
def test_bad_model_is_refused_and_nothing_written(model: Path, tmp_path: Path, capsys,
                                                  make_input, needle: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    source = make_input(model, tmp_path)
    err = _refused(["export-c", str(source), "-o", str(out / "m"), "--ops-header"], capsys, out)
    assert needle in err, err


@pytest.mark.parametrize("extra, needle", [
    (["--name", "9lives"], "--name wants a C identifier"),
    (["--name", "_hidden"], "--name wants a C identifier"),
    (["--section", '.x")))'], "--section wants"),
    (["--ops-header", "{out}/m.h"], "one of the other outputs"),
    (["--ops-header", "{out}/no/such/ops.h"], "no such directory"),
])
def test_bad_options_are_refused_and_nothing_written(model: Path, tmp_path: Path, capsys,
                                                     extra: list[str], needle: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    argv = ["export-c", str(model), "-o", str(out / "m"),
            *(arg.format(out=out) for arg in extra)]
    assert needle in _refused(argv, capsys, out)


def test_failed_write_leaves_no_file(model: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """The disk fills up while the second file is written: neither file appears, and no
    temporary is left behind."""
    import emberlite.export_c as export_c

    real_fdopen, calls = export_c.os.fdopen, []

    def fdopen(fd: int, *args, **kwargs):
        calls.append(fd)
        if len(calls) == 2:
            export_c.os.close(fd)
            raise OSError(28, "No space left on device", "m.h")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(export_c.os, "fdopen", fdopen)
    out = tmp_path / "out"
    out.mkdir()
    err = _refused(["export-c", str(model), "-o", str(out / "m")], capsys, out)
    assert "No space left on device" in err and len(calls) == 2
