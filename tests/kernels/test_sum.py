"""SUM in every type:
- float32: one IR node against numpy written here (independent of converter/reference.py)
  and against the reference evaluator.
- int8 against a numpy model of LiteRT's kernel (int8_oracles.py: float32 rescaling rounded
  half away from zero; alike quantization adds stored values): bit-exact, with hypothesis
  over scales, zero points, shapes and values; a rescale that is not finite is refused.
- the post-training int8 quantizer on a one-node SUM IR graph.
- int8 .tflite files from TFLiteConverter (tests/importers/keras_int8_misc.py): byte for
  byte LiteRT's builtin kernel without delegates (its BUILTIN_REF int8 SUM is broken) and
  within 1 LSB of its default kernels."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.mean import ReduceParams
from emberlite.errors import InvalidModelError
from tests.importers import keras_int8_misc
from tests.importers.tflite_int8_models import (assert_within_one_lsb_of_default, ember_outputs,
                                                tflite_ops)
from tests.kernels.fixed_point import empty_graph, int8_tensor, log_uniform, run_graph, single_op
from tests.kernels.int8_oracles import sum_reference
from tests.kernels.single_node import assert_close, run_node
from tests.quantize.int8_op_checks import check_ir_op_runs_int8_close_to_float, io_params, ir_case

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("axes, keep", [((1,), True), ((0, 2), False), ((0, 1, 2), False),
                                        ((2,), False)])
def test_sum(axes: tuple[int, ...], keep: bool) -> None:
    x = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    want = np.sum(x.astype(np.float64), axis=axes, keepdims=keep).astype(np.float32)
    assert_close(*run_node(OpType.SUM, [x], want.shape, DType.FLOAT32, ReduceParams(axes)),
                 want)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       case=st.sampled_from([((2, 5, 6, 3), (1, 2), False), ((4, 7), (1,), True),
                             ((3, 4, 5), (0, 2), False), ((64, 3), (0,), False)]),
       alike=st.booleans())
def test_sum_i8(seed: int, case, alike: bool) -> None:
    shape, axes, keep = case
    rng = np.random.default_rng(seed)
    n = int(np.prod([shape[a] for a in axes]))
    s_in, zp_in = float(log_uniform(rng, 1e-3, 0.5)), int(rng.integers(-128, 128))
    q = {"s_in": s_in, "zp_in": zp_in, "s_out": s_in * float(log_uniform(rng, 1, 2 * n)),
         "zp_out": int(rng.integers(-128, 128))}
    if alike:
        q["s_out"], q["zp_out"] = q["s_in"], q["zp_in"]
    q = {k: float(np.float32(v)) if k.startswith("s_") else v for k, v in q.items()}
    x = rng.integers(-128, 128, shape).astype(np.int8)
    want = sum_reference(x, axes, q, keep)
    g = empty_graph()
    int8_tensor(g, "x", shape, q["s_in"], q["zp_in"])
    int8_tensor(g, "out", want.shape, q["s_out"], q["zp_out"])
    got = run_graph(single_op(OpType.SUM, ["x"], ReduceParams(axes), g), [x])[0]
    assert np.array_equal(got, want)


def test_sum_i8_refuses_an_infinite_rescale() -> None:
    """A subnormal output scale makes s_in / s_out infinite and the rescaled sums NaN, which
    has no int8 value (converting it was undefined behaviour): refused at allocate."""
    g = empty_graph()
    int8_tensor(g, "x", (2, 3), 0.05, 3)
    int8_tensor(g, "out", (2,), 1e-45, -62)
    with pytest.raises(InvalidModelError, match=r"node 0 \(sum\).*not a finite number"):
        run_graph(single_op(OpType.SUM, ["x"], ReduceParams((1,)), g),
                  [np.ones((2, 3), np.int8)])


# ---- the int8 quantizer on an IR graph (tests/quantize/int8_op_checks.py) ----------------

def _quantized_sum(g, node, x: np.ndarray) -> np.ndarray:
    return sum_reference(x, node.params.axes, io_params(g, node), True)


IR_QUANTIZER_CASES = {
    "sum": (lambda: ir_case(OpType.SUM, None, ReduceParams((2,))), _quantized_sum)}


@pytest.mark.parametrize("name", list(IR_QUANTIZER_CASES))
def test_ir_op_runs_int8_close_to_float(name: str) -> None:
    check_ir_op_runs_int8_close_to_float(*IR_QUANTIZER_CASES[name])


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_misc.py) ----------------
# LiteRT 2.3's BUILTIN_REF int8 SUM returns values unrelated to its input (a constant -1 over
# axes [1, 2], partly garbage over the last axis), so int8 SUM is compared, as the first op of
# its model (an int8 input feeds it directly), with LiteRT's builtin kernel without delegates,
# whose float32 rescaling Emberlite reproduces.

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_misc.litert_results(tmp_path_factory)


SUMS = ["sum_spatial", "sum_last_keepdims"]


@pytest.mark.parametrize("name", SUMS)
def test_int8_sum_identical_to_litert_builtin(results: dict, name: str) -> None:
    from ai_edge_litert.interpreter import Interpreter as LiteRT
    from ai_edge_litert.interpreter import OpResolverType

    case = results[name]
    assert tflite_ops(case["data"]) == {"SUM"}
    litert = LiteRT(model_content=case["data"],
                    experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    litert.allocate_tensors()
    for ours, sample in zip(ember_outputs(case), case["inputs"], strict=True):
        litert.set_tensor(litert.get_input_details()[0]["index"], sample[0])
        litert.invoke()
        want = litert.get_tensor(litert.get_output_details()[0]["index"])
        assert ours[0].dtype == want.dtype and ours[0].shape == want.shape
        assert ours[0].tobytes() == want.tobytes(), \
            f"{np.count_nonzero(ours[0] != want)} of {want.size} elements differ"


@pytest.mark.parametrize("name", SUMS)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)
