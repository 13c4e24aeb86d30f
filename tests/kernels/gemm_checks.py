"""Shared by the float32 tests of CONV2D, FULLY_CONNECTED and BATCH_MATMUL: their packed GEMM
paths (csrc/kernels/conv_gemm.c) against the reference loops that isa_mask NONE forces, within
1e-5 x sum |a*b| per output, and bit-identical for any thread count."""
from __future__ import annotations

import copy

import numpy as np
import onnx
from onnx import numpy_helper

from emberlite import ISA_ALL, ISA_NONE, Interpreter
from tests.helpers import convert_onnx, run_ember, run_ort

# The error allowed to an optimised float32 kernel: this times sum |a*b| of the output's sum.
REL_BOUND = 1e-5


def _run(model_bytes: bytes, inputs: list[np.ndarray], isa_mask: int,
         num_threads: int) -> tuple[np.ndarray, list[str]]:
    interp = Interpreter(model_content=model_bytes, num_threads=num_threads, isa_mask=isa_mask)
    interp.allocate_tensors()
    out = run_ember(model_bytes, inputs, interpreter=interp)[0].copy()
    # The ONNX layout's edges (transposes, or reshapes where only unit dims move) are not
    # the node under test.
    return out, [v for op, v in zip(interp.node_ops(), interp.node_variants())
                 if op not in ("transpose", "reshape")]


def abs_sums(model: onnx.ModelProto, inputs: list[np.ndarray]) -> np.ndarray:
    """sum |a*b| (+ |bias|) of each output of a one-node model (Conv, Gemm, MatMul), from ONNX
    Runtime on the model with every initializer and input replaced by its absolute value."""
    m = copy.deepcopy(model)
    for init in m.graph.initializer:
        init.CopyFrom(numpy_helper.from_array(np.abs(numpy_helper.to_array(init)), init.name))
    return run_ort(m, [np.abs(x) for x in inputs])[0]


def check_gemm_path(model: onnx.ModelProto, inputs: list[np.ndarray], prefix: str,
                    bound_model: onnx.ModelProto | None = None) -> np.ndarray:
    """check_gemm_bytes on the converted `model`, its sums |a*b| from `bound_model` (the model
    without its fused activation) if given."""
    return check_gemm_bytes(convert_onnx(model), inputs, prefix,
                            abs_sums(bound_model or model, inputs))


def check_gemm_bytes(model_bytes: bytes, inputs: list[np.ndarray], prefix: str,
                     sums: np.ndarray) -> np.ndarray:
    """Runs the model with every ISA allowed on 1 and 2 threads and with ISA_NONE: the
    first node runs a variant whose name starts with `prefix` ("reference" for none), the two
    thread counts agree bit for bit, and the optimised outputs are within REL_BOUND x `sums`
    (sum |a*b| per output, clamping only brings outputs closer) of the reference. Returns the
    optimised output."""
    # ISA_ALL spelt out: the reference_kernels plugin turns a missing mask into ISA_NONE.
    fast, variants = _run(model_bytes, inputs, ISA_ALL, 1)
    fast2, _ = _run(model_bytes, inputs, ISA_ALL, 2)
    ref, ref_variants = _run(model_bytes, inputs, ISA_NONE, 1)
    assert variants[0].startswith(prefix), f"the node runs {variants[0]}, expected {prefix}*"
    assert ref_variants[0] == "reference"
    assert np.array_equal(fast.view(np.uint32), fast2.view(np.uint32)), "1 vs 2 threads differ"
    bound = REL_BOUND * sums
    err = np.abs(fast.astype(np.float64) - ref)
    worst = np.unravel_index(np.argmax(err - bound), err.shape)
    assert np.all(err <= bound), (f"output {worst}: |{fast[worst]} - {ref[worst]}| > "
                                  f"{bound[worst]}")
    return fast
