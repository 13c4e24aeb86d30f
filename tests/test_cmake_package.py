"""The CMake build (CMakeLists.txt, cmake/): the library is configured, built and installed into
a temporary prefix, and a user project (tests/cmake_consumer) finds it with find_package and
links emberlite::emberlite, for the host (where it runs models, checked against numpy and the
Python binding) and for Cortex-M4 (built and linked with newlib's stubs). Further builds: one
with EMBER_OPS_HEADER, one with EMBER_NO_FLOAT and EMBER_NO_HASH, and the library alone with
every toolchain file of cmake/toolchains/.

Needs cmake and, for the Arm builds, the cross compilers (Makefile's APT_TEST): missing tools
skip outside CI and fail in CI. Each configuration is built once per module (about 15 s for the
host library on 2 cores)."""
from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import require_tool
from emberlite import Interpreter
from emberlite.cli import main
from emberlite.converter import Converter
from emberlite.converter.ops import OpType
from tests.helpers import BIAS, biased_model, biased_softmax, convert_onnx, max_rel_diff

ROOT = Path(__file__).resolve().parents[1]
CONSUMER = ROOT / "tests" / "cmake_consumer"
TOOLCHAINS = ROOT / "cmake" / "toolchains"
HEADER = ROOT / "csrc" / "include" / "emberlite.h"
TIMEOUT = 600

HEADER_TEXT = HEADER.read_text()
VERSION = tuple(int(re.search(rf"#define EMBER_VERSION_{part} +(\d+)", HEADER_TEXT)[1])
                for part in ("MAJOR", "MINOR", "PATCH"))
STATUS = {m[1]: int(m[2]) for m in re.finditer(r"EMBER_STATUS_(\w+) = (\d+)", HEADER_TEXT)}

# The ops of biased_model("Softmax"): the EMBER_OPS_HEADER build keeps only these.
SELECTED_OPS = (OpType.ADD, OpType.SOFTMAX)

# Per toolchain file: its compiler, the ISA directories of csrc/ukernels its build compiles (as
# mk/cross.mk and mk/mcu.mk choose them), whether it has threads, and whether the test builds
# the library (the extremes: no FPU and no DSP, DSP, Helium) or only configures it (to keep the
# module within about three minutes on two cores).
TOOLCHAIN_TARGETS = {
    "cortex-m0plus": ("arm-none-eabi-gcc", [], False, True),
    "cortex-m4": ("arm-none-eabi-gcc", ["armdsp"], False, True),
    "cortex-m7": ("arm-none-eabi-gcc", ["armdsp"], False, False),
    "cortex-m33": ("arm-none-eabi-gcc", ["armdsp"], False, False),
    "cortex-m55": ("arm-none-eabi-gcc", ["armdsp", "mve"], False, True),
    "aarch64-linux-gnu": ("aarch64-linux-gnu-gcc", ["neon", "neondot", "neoni8mm", "neonsha2"],
                          True, False),
    "arm-linux-gnueabihf": ("arm-linux-gnueabihf-gcc", ["neon"], True, False),
}


def _run(args: list, what: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=TIMEOUT)
    if check and proc.returncode != 0:
        pytest.fail(f"{what} failed (exit {proc.returncode}):\n"
                    f"{(proc.stdout + proc.stderr)[-6000:]}")
    return proc


def _toolchain_args(toolchain: str | None, build_type: str = "Release") -> list[str]:
    if toolchain is None:
        return [f"-DCMAKE_BUILD_TYPE={build_type}"]
    return [f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAINS / toolchain}.cmake",
            "-DCMAKE_BUILD_TYPE=MinSizeRel"]


class Install:
    """One configured, built and installed library: its build directory, install prefix and
    the configure output."""

    def __init__(self, cmake: str, work: Path, *options: str, toolchain: str | None = None,
                 build_type: str = "Release", build: bool = True):
        self.cmake = cmake
        self.build = work / "build"
        self.prefix = work / "prefix"
        self.toolchain = toolchain
        self.build_type = build_type
        configure = _run([cmake, "-S", ROOT, "-B", self.build,
                          *_toolchain_args(toolchain, build_type),
                          f"-DCMAKE_INSTALL_PREFIX={self.prefix}", *options],
                         f"configuring the library ({toolchain or 'host'})")
        self.log = configure.stdout
        if not build:
            return
        _run([cmake, "--build", self.build, "--parallel", "2"],
             f"building the library ({toolchain or 'host'})")
        _run([cmake, "--install", self.build], "installing the library")
        self.archive = self.prefix / "lib" / "libemberlite.a"
        if not self.archive.exists():  # lib64 on some hosts
            self.archive = next(self.prefix.glob("lib*/libemberlite.a"))

    def consumer(self, work: Path, wants: str = "", check: bool = True):
        """Configures and builds tests/cmake_consumer against this install; returns the
        executable's path (or the failed configure's CompletedProcess when check is False)."""
        build = work / "consumer"
        configure = _run([self.cmake, "-S", CONSUMER, "-B", build,
                          *_toolchain_args(self.toolchain, self.build_type),
                          f"-DCMAKE_PREFIX_PATH={self.prefix}",
                          f"-DEMBER_CONSUMER_WANTS={wants}"],
                         "configuring the consumer", check=check)
        if configure.returncode != 0:
            return configure
        _run([self.cmake, "--build", build, "--parallel", "2"], "building the consumer")
        return build / "consumer"

    def members(self) -> set[str]:
        ar = shutil.which("ar") or require_tool("ar")
        return set(_run([ar, "t", self.archive], "ar t").stdout.split())


class Result:
    """What the consumer printed: versions, the outputs and the final status code."""

    def __init__(self, proc: subprocess.CompletedProcess):
        self.text = proc.stdout + proc.stderr
        versions = re.search(r"^package (\S+) header (\S+)$", self.text, re.M)
        status = re.search(r"^status: (\d+) ", self.text, re.M)
        assert versions and status, f"unexpected consumer output:\n{self.text}"
        self.package, self.header = versions[1], versions[2]
        self.status = int(status[1])
        self.outputs = [np.array(m[2].split(), dtype=np.float32 if m[1] == "float32" else int)
                        for m in re.finditer(r"^output \d+ (\w+):(.*)$", self.text, re.M)]
        assert (proc.returncode == 0) == (self.status == STATUS["OK"]), self.text


def _consume(binary: Path, model: Path, values: np.ndarray, threads: int = 1) -> Result:
    args = [binary, model, "-t", threads]
    if values.dtype == np.float32:
        args += [repr(float(v)) for v in values.ravel()]  # repr round-trips the float32
    else:
        args += [str(int(v)) for v in values.ravel()]
    return Result(_run(args, f"{binary.name} {model.name}", check=False))


def _symbols(binary: Path) -> set[str]:
    nm = shutil.which("nm") or require_tool("nm")
    return {line.split()[-1] for line in _run([nm, binary], "nm").stdout.splitlines()
            if line.strip()}


@pytest.fixture(scope="module")
def cmake() -> str:
    return require_tool("cmake")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cmake")


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return np.random.default_rng(14).uniform(-3, 3, (2, 6)).astype(np.float32)


@pytest.fixture(scope="module")
def models(work: Path) -> dict[str, Path]:
    """Float softmax(x + BIAS) and abs(x + BIAS) (an ADD and an ABS node; a relu would be
    fused into the ADD), the softmax quantized to int8 (int8 input and output), and that int8
    model with one stored weight byte changed (its hash no longer matches)."""
    rng = np.random.default_rng(0)
    samples = [rng.uniform(-3, 3, (2, 6)).astype(np.float32) for _ in range(20)]
    blobs = {
        "softmax": convert_onnx(biased_model("Softmax", "cmake_softmax")),
        "abs": convert_onnx(biased_model("Abs", "cmake_abs")),
        "softmax_i8": Converter.from_onnx(biased_model("Softmax", "cmake_softmax_i8")).quantize(
            "int8", dataset=samples, io="int8").convert(),
    }
    interp = Interpreter(model_content=blobs["softmax_i8"])
    interp.allocate_tensors()
    weight = next(interp.get_tensor(t["index"]) for t in interp.get_tensor_details()
                  if interp.is_constant(t["index"]))
    where = blobs["softmax_i8"].find(weight.tobytes())
    assert where > 0, "the int8 bias is stored verbatim in the file"
    changed = bytearray(blobs["softmax_i8"])
    changed[where] ^= 0x01
    blobs["softmax_i8_changed"] = bytes(changed)
    paths = {}
    for name, blob in blobs.items():
        paths[name] = work / f"{name}.ember"
        paths[name].write_bytes(blob)
    return paths


def _int8_input(model: Path, x: np.ndarray) -> np.ndarray:
    interp = Interpreter(model_path=str(model))
    scale, zero_point = interp.get_input_details()[0]["quantization"]
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


def _binding_output(model: Path, q: np.ndarray, verify_hash: bool = True) -> np.ndarray:
    """The Python binding's (default build's) int8 output for input q."""
    interp = Interpreter(model_content=model.read_bytes(), verify_hash=verify_hash)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], q)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


@pytest.fixture(scope="module")
def host(cmake: str, work: Path) -> Install:
    return Install(cmake, work / "host")


@pytest.fixture(scope="module")
def host_consumer(host: Install, work: Path) -> Path:
    # Asks for this major.minor: the version file must accept it.
    return host.consumer(work / "host", wants=f"{VERSION[0]}.{VERSION[1]}")


@pytest.fixture(scope="module")
def toolchain_builds(cmake: str, work: Path):
    """toolchain name -> its Install (the library built with -Werror, or only configured),
    made on first use."""
    built: dict[str, Install] = {}

    def get(toolchain: str) -> Install:
        if toolchain not in built:
            require_tool(TOOLCHAIN_TARGETS[toolchain][0])
            built[toolchain] = Install(cmake, work / toolchain, "-DEMBER_WERROR=ON",
                                       toolchain=toolchain,
                                       build=TOOLCHAIN_TARGETS[toolchain][3])
        return built[toolchain]
    return get


@pytest.fixture(scope="module")
def ops_build(cmake: str, work: Path, models: dict[str, Path]) -> tuple[Install, Path]:
    """The library with only the softmax model's ops, listed by `ember export-c --ops-header`."""
    out = work / "ops-export" / "softmax"
    out.parent.mkdir()
    assert main(["export-c", str(models["softmax"]), "-o", str(out), "--ops-header"]) == 0
    header = out.with_name("softmax_ops.h")
    listed = set(re.findall(r"^#define EMBER_USE_OP_(\w+) 1$", header.read_text(), re.M))
    assert listed == {op.name for op in SELECTED_OPS}
    # Debug (-O0) compiles fastest; the linker leaves out the unlisted ops at any level.
    install = Install(cmake, work / "ops", f"-DEMBER_OPS_HEADER={header}", build_type="Debug")
    return install, install.consumer(work / "ops")


@pytest.fixture(scope="module")
def no_float_build(cmake: str, work: Path) -> tuple[Install, Path]:
    # -Os, as for the firmware these options are for (and the SHA-256 code is left unlinked
    # only where the compiler drops the branch that would call it).
    install = Install(cmake, work / "no-float", "-DEMBER_NO_FLOAT=ON", "-DEMBER_NO_HASH=ON",
                      build_type="MinSizeRel")
    return install, install.consumer(work / "no-float")


def test_package_version_is_the_headers(host: Install, host_consumer: Path,
                                        models: dict[str, Path], x: np.ndarray) -> None:
    version = ".".join(map(str, VERSION))
    config = next(host.prefix.glob("lib*/cmake/emberlite/emberliteConfigVersion.cmake"))
    assert f'set(PACKAGE_VERSION "{version}")' in config.read_text()
    result = _consume(host_consumer, models["softmax"], x)
    assert result.package == result.header == version


def test_find_package_refuses_a_newer_version(host: Install, work: Path) -> None:
    wants = f"{VERSION[0]}.{VERSION[1] + 1}"
    proc = host.consumer(work / "host-wants-newer", wants=wants, check=False)
    assert isinstance(proc, subprocess.CompletedProcess) and proc.returncode != 0
    assert wants in proc.stdout + proc.stderr


@pytest.mark.parametrize("threads", [1, 2])
def test_host_consumer_runs_float_models(host_consumer: Path, models: dict[str, Path],
                                         x: np.ndarray, threads: int) -> None:
    result = _consume(host_consumer, models["softmax"], x, threads)
    assert result.status == STATUS["OK"], result.text
    assert len(result.outputs) == 1 and result.outputs[0].size == x.size
    assert max_rel_diff(result.outputs[0].reshape(x.shape), biased_softmax(x)) <= 1e-5
    result = _consume(host_consumer, models["abs"], x, threads)
    assert result.status == STATUS["OK"], result.text
    np.testing.assert_array_equal(result.outputs[0].reshape(x.shape),
                                  np.abs(x + BIAS).astype(np.float32))


def test_host_consumer_runs_int8_and_checks_the_hash(host_consumer: Path,
                                                     models: dict[str, Path],
                                                     x: np.ndarray) -> None:
    q = _int8_input(models["softmax_i8"], x)
    result = _consume(host_consumer, models["softmax_i8"], q)
    assert result.status == STATUS["OK"], result.text
    np.testing.assert_array_equal(result.outputs[0].reshape(x.shape),
                                  _binding_output(models["softmax_i8"], q))
    result = _consume(host_consumer, models["softmax_i8_changed"], q)
    assert result.status == STATUS["HASH_MISMATCH"], result.text


def test_host_library_has_its_isa_kernels_and_threads(host: Install) -> None:
    targets = next(host.prefix.glob("lib*/cmake/emberlite/emberliteTargets.cmake")).read_text()
    assert "Threads::Threads" in targets
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return
    members = host.members()
    for isa in ("avx2", "avx512f", "avx512vnni", "avx512vbmi", "shani"):
        for source in (ROOT / "csrc" / "ukernels" / isa).glob("*.c"):
            assert f"{source.name}.o" in members, f"{isa}/{source.name} is not in the library"


def test_cortex_m4_consumer_builds(toolchain_builds, work: Path) -> None:
    cortex_m4 = toolchain_builds("cortex-m4")
    binary = cortex_m4.consumer(work / "cortex-m4", wants=f"{VERSION[0]}.{VERSION[1]}")
    header = binary.read_bytes()[:52]
    assert header[:4] == b"\x7fELF" and header[4] == 1, "not a 32-bit ELF file"
    assert int.from_bytes(header[18:20], "little") == 40, "e_machine is not EM_ARM"
    assert int.from_bytes(header[36:40], "little") & 0x400, "not the hard-float ABI"
    targets = next(cortex_m4.prefix.glob("lib*/cmake/emberlite/emberliteTargets.cmake"))
    assert "Threads" not in targets.read_text()
    members = cortex_m4.members()
    for source in (ROOT / "csrc" / "ukernels" / "armdsp").glob("*.c"):
        assert f"{source.name}.obj" in members, f"armdsp/{source.name} is not in the library"
    assert not any(s.startswith("pthread_") for s in _symbols(cortex_m4.archive))


def test_ops_header_keeps_only_the_listed_ops(ops_build: tuple[Install, Path],
                                              host_consumer: Path,
                                              models: dict[str, Path], x: np.ndarray) -> None:
    _, consumer = ops_build
    result = _consume(consumer, models["softmax"], x)
    assert result.status == STATUS["OK"], result.text
    assert max_rel_diff(result.outputs[0].reshape(x.shape), biased_softmax(x)) <= 1e-5
    result = _consume(consumer, models["abs"], x)  # ABS is left out
    assert result.status == STATUS["UNSUPPORTED"], result.text
    # The linked program holds the selected kernels only; the default build's holds all.
    kept, everything = _symbols(consumer), _symbols(host_consumer)
    for op in OpType:
        name = f"ember_kernel_{op.name.lower()}"
        if name in everything:
            assert (name in kept) == (op in SELECTED_OPS), name


def test_no_float_no_hash_build(no_float_build: tuple[Install, Path], host_consumer: Path,
                                models: dict[str, Path], x: np.ndarray) -> None:
    _, consumer = no_float_build
    result = _consume(consumer, models["softmax"], x)
    assert result.status == STATUS["UNSUPPORTED"], result.text
    q = _int8_input(models["softmax_i8"], x)
    result = _consume(consumer, models["softmax_i8"], q)
    assert result.status == STATUS["OK"], result.text
    want = _binding_output(models["softmax_i8"], q)
    np.testing.assert_array_equal(result.outputs[0].reshape(x.shape), want)
    # int8 softmax within two output steps of the float one.
    interp = Interpreter(model_path=str(models["softmax_i8"]))
    scale, zero_point = interp.get_output_details()[0]["quantization"]
    scale_in, zero_in = interp.get_input_details()[0]["quantization"]
    expected = biased_softmax((q.astype(np.float64) - zero_in) * scale_in)
    assert np.max(np.abs((want.astype(np.float64) - zero_point) * scale - expected)) <= 2 * scale
    # No hash check: the changed weight byte goes unnoticed (the output is the binding's with
    # verify_hash off), and no SHA-256 code is linked.
    result = _consume(consumer, models["softmax_i8_changed"], q)
    assert result.status == STATUS["OK"], result.text
    np.testing.assert_array_equal(result.outputs[0].reshape(x.shape),
                                  _binding_output(models["softmax_i8_changed"], q, False))
    assert not any(s.startswith("ember_sha256") for s in _symbols(consumer))
    assert any(s.startswith("ember_sha256") for s in _symbols(host_consumer))


@pytest.mark.parametrize("toolchain", sorted(TOOLCHAIN_TARGETS))
def test_toolchain_file(toolchain_builds, toolchain: str) -> None:
    _, isa_dirs, threads, built = TOOLCHAIN_TARGETS[toolchain]
    install = toolchain_builds(toolchain)
    line = re.search(r"ISA directories: ([^;]*); threads: (\w+);", install.log)
    assert line, install.log
    assert line[1].split() == (isa_dirs or ["none"])
    assert (line[2] == "ON") == threads
    if not built:
        return
    members = install.members()
    for isa in isa_dirs:
        for source in (ROOT / "csrc" / "ukernels" / isa).glob("*.c"):
            assert {f"{source.name}.obj", f"{source.name}.o"} & members, \
                f"{isa}/{source.name} is not in the {toolchain} library"
