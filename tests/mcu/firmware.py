"""Building the Cortex-M firmware with make (mk/mcu.mk) and running it under qemu-system-arm,
for the tests of tests/mcu."""
from __future__ import annotations

import fcntl
import os
import subprocess
from pathlib import Path

from conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
# The build directory of `make test` unless told otherwise; the firmware lives under its mcu/.
C_BUILD = os.environ.get("EMBER_C_BUILD", "build")
BOARDS = {"cortex-m4": "mps2-an386", "cortex-m55": "mps3-an547"}
# The kernels each CPU's build must use where a fast path exists.
KERNEL_TAG = {"cortex-m4": "armdsp", "cortex-m55": "mve"}


def require_toolchain() -> None:
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "make"):
        require_tool(tool)


def make(*targets: str, **variables: str) -> None:
    """Runs make in the repository (one at a time across processes: the build is shared)."""
    args = ["make", "-s", f"C_BUILD={C_BUILD}", *targets,
            *(f"{k}={v}" for k, v in variables.items())]
    with open(ROOT / ".mcu-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def firmware_path(cpu: str, name: str) -> Path:
    return ROOT / C_BUILD / "mcu" / cpu / f"{name}.elf"


def run_qemu(cpu: str, elf: Path, cwd: Path, timeout: float = 300) -> tuple[int, str]:
    """Runs the firmware on CPU's board with semihosting (files relative to cwd); returns its
    exit status and what it printed."""
    args = ["qemu-system-arm", "-M", BOARDS[cpu], "-cpu", cpu, "-nographic", "-monitor", "none",
            "-serial", "none", "-semihosting-config", "enable=on,target=native", "-kernel",
            str(elf)]
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr
