"""The Cortex-M kernels on the boards, under qemu-system-arm: every case of the
tests/mcu/cases_*.py modules runs on mps2-an386 (Cortex-M4, DSP extension) and mps3-an547
(Cortex-M55, Helium) through tests/mcu/run_cases.c, and must give the bytes the host's reference
kernels give, need the arena the host computed, and run the Cortex-M kernel on the case's op."""
from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from emberlite import Interpreter
from tests.mcu.cases import McuCase
from tests.mcu.firmware import (BOARDS, KERNEL_TAG, firmware_path, make, require_toolchain,
                                run_qemu)

CASE_MODULES = sorted(p.stem.removeprefix("cases_")
                      for p in Path(__file__).parent.glob("cases_*.py"))


def host_reference(case: McuCase) -> tuple[list[bytes], int]:
    """The outputs of the host's reference kernels and the arena they need."""
    interp = Interpreter(model_content=case.model, isa_mask=0, num_threads=1)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), case.inputs, strict=True):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    outputs = [np.ascontiguousarray(interp.get_tensor(d["index"])).tobytes()
               for d in interp.get_output_details()]
    return outputs, interp.arena_size


def write_cases(cases: list[McuCase], where: Path) -> None:
    lines = []
    for case in cases:
        outputs, arena = host_reference(case)
        (where / f"{case.name}.ember").write_bytes(case.model)
        for i, value in enumerate(case.inputs):
            (where / f"{case.name}.in{i}").write_bytes(np.ascontiguousarray(value).tobytes())
        for i, data in enumerate(outputs):
            (where / f"{case.name}.out{i}").write_bytes(data)
        lines.append(f"{case.name} {len(case.inputs)} {len(outputs)} {arena}\n")
    (where / "cases.txt").write_text("".join(lines))


def parse_variants(line: str) -> list[tuple[str, str]]:
    """`ok NAME op=variant,op=variant` -> [(op, variant), ...]."""
    return [tuple(pair.split("=", 1)) for pair in line.split(" ", 2)[2].split(",")]


@pytest.fixture(scope="module")
def runners() -> None:
    require_toolchain()
    make("mcu-runner")


@pytest.mark.parametrize("cpu", sorted(BOARDS))
@pytest.mark.parametrize("module", CASE_MODULES)
def test_cases_on_board(module: str, cpu: str, runners: None, tmp_path: Path) -> None:
    cases = importlib.import_module(f"tests.mcu.cases_{module}").cases()
    assert cases, f"cases_{module}.py has no case"
    write_cases(cases, tmp_path)
    status, log = run_qemu(cpu, firmware_path(cpu, "run_cases"), tmp_path)
    assert status == 0, log
    fast_op = {case.name: case.fast_op for case in cases}
    ok_lines = [line for line in log.splitlines() if line.startswith("ok ")]
    assert len(ok_lines) == len(cases), log
    for line in ok_lines:
        name = line.split(" ", 2)[1]
        if fast_op[name] is None:
            continue
        variants = [v for op, v in parse_variants(line) if op == fast_op[name]]
        assert variants and all(KERNEL_TAG[cpu] in v for v in variants), (
            f"{name} on {cpu}: {fast_op[name]} ran {variants}, not a {KERNEL_TAG[cpu]} kernel")
