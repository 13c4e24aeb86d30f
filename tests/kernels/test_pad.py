"""PAD: float32 against ONNX Runtime (constant, reflect and edge modes, negative pads), int8
(the stored bytes move unchanged; the constant is the real value quantized, the zero point for
0; the output keeps the input's scale and zero point) against numpy and the reference
evaluator, on .tflite files (PAD, PADV2) against LiteRT, and the int8 quantizer on a PAD model
with a constant other than 0. PAD on every element size is in test_data_movement_family.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from onnx import helper, numpy_helper

from emberlite.converter import reference
from emberlite.converter.importers.tflite_reader import read_tflite
from emberlite.converter.ops import OpType
from emberlite.converter.ops.pad import PadParams
from emberlite.errors import InvalidModelError
from tests.importers import keras_int8_moves
from tests.importers.tflite_int8_models import (assert_identical_to_reference,
                                                assert_within_one_lsb_of_default)
from tests.kernels import data_movement_models
from tests.kernels.data_movement_models import (SCALE, ZP, X, build, check, i64, int8_cases,
                                                onnx_model, random_array)
from tests.kernels.fixed_point import run_graph
from tests.quantize.int8_op_checks import Case, check_op_runs_int8_close_to_float, const, single


@pytest.mark.parametrize("shape,pads,mode,value", [
    ((3, 4), [1, 2, 0, 1], "constant", 1.5),
    ((2, 3, 4), [0, 1, 1, 0, 2, 1], "constant", 0.0),
    ((1, 2, 5, 6), [0, 0, 1, 2, 0, 0, 2, 1], "constant", -2.0),
    ((1, 2, 5, 6), [0, 0, 1, 2, 0, 0, 2, 1], "reflect", None),
    ((3, 5), [2, 4, 1, 3], "reflect", None),
    ((4,), [3, 1], "reflect", None),
    ((3, 5), [2, 3, 2, 3], "edge", None),
    ((1, 2, 5, 6), [0, 0, 3, 3, 0, 0, 3, 3], "edge", None),
    ((4,), [2, 3], "edge", None),
    ((2, 1, 3), [1, 0, 0, 0, 2, 1], "edge", None),
], ids=str)
def test_pad(shape: tuple[int, ...], pads: list[int], mode: str, value: float | None) -> None:
    x = random_array(shape)
    consts = {"pads": i64(pads)}
    if value is not None:
        consts["value"] = np.array(value, np.float32)
    model = onnx_model([helper.make_node("Pad", ["x", *consts], ["y"], mode=mode)], {"x": x},
                       ["y"], consts)
    check(model, [x], "pad")


def test_negative_pads_crop() -> None:
    x = random_array((4, 6))
    consts = {"pads": i64([-1, 2, 1, -3])}
    model = onnx_model([helper.make_node("Pad", ["x", "pads"], ["y"])], {"x": x}, ["y"], consts)
    check(model, [x], None)


# ---- int8 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("op,params,expect", int8_cases(OpType.PAD))
def test_moves_int8(op: OpType, params: object, expect) -> None:
    data_movement_models.check_moves_int8(op, params, expect)


@pytest.mark.parametrize("op,params,expect", int8_cases(OpType.PAD))
def test_rejects_requantizing_move(op: OpType, params: object, expect) -> None:
    data_movement_models.check_rejects_requantizing_move(op, params, expect)


PAD_WIDTHS = ((0, 0), (1, 0), (0, 2), (1, 1))
PADS = tuple(b for b, _ in PAD_WIDTHS) + tuple(a for _, a in PAD_WIDTHS)


# Real constants: ordinary, negative, halfway between two steps (ties round away from zero,
# as LiteRT's QUANTIZE does), and beyond the int8 range (saturates).
@pytest.mark.parametrize("value", [0.7, -1.3, 2.5 * SCALE, -3.5 * SCALE, 100.0, -100.0])
def test_pad_int8_quantizes_its_real_constant(value: float) -> None:
    ratio = np.float32(value) / np.float32(SCALE)
    fill = int(np.clip(np.sign(ratio) * np.floor(np.abs(np.float64(ratio)) + 0.5) + ZP,
                       -128, 127))
    want = np.pad(X, PAD_WIDTHS, constant_values=fill)
    g = build(OpType.PAD, PadParams(pads=PADS, value=value), {"x": X}, want.shape)
    assert np.array_equal(run_graph(g, [X])[0], want)
    assert np.array_equal(reference.evaluate(g, {"x": X})["out"], want)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_pad_int8_rejects_a_constant_that_is_not_finite(value: float) -> None:
    want = np.pad(X, PAD_WIDTHS)
    g = build(OpType.PAD, PadParams(pads=PADS, value=value), {"x": X}, want.shape)
    with pytest.raises(InvalidModelError, match="must be finite"):
        run_graph(g, [X])


# ---- int8 .tflite files against LiteRT (tests/importers/keras_int8_moves.py) ---------------

@pytest.fixture(scope="module")
def results(tmp_path_factory: Any) -> dict[str, dict[str, Any]]:
    return keras_int8_moves.litert_results(tmp_path_factory)


CASES = ["pad", "padv2_positive", "padv2_negative"]


@pytest.mark.parametrize("name", CASES)
def test_int8_identical_to_litert_reference(results: dict, name: str) -> None:
    assert_identical_to_reference(results[name])


@pytest.mark.parametrize("name", CASES)
def test_int8_within_one_lsb_of_litert_default(results: dict, name: str) -> None:
    assert_within_one_lsb_of_default(results[name], name)


def test_padv2_keeps_its_constant(results: dict) -> None:
    """The PADV2 models' constants are not the zero point, so the comparisons above fail if
    the constant is replaced by real 0."""
    for name in ("padv2_positive", "padv2_negative"):
        model = read_tflite(results[name]["data"])
        op = next(o for o in model.operators if o.op_name == "PADV2")
        value = model.tensors[op.inputs[2]].data.reshape(-1)[0]
        assert value != model.tensors[op.outputs[0]].quant.zero_point[0], name


# ---- the int8 quantizer (tests/quantize/int8_op_checks.py) ---------------------------------

QUANTIZER_CASES = {
    # A constant that is not 0: the int8 kernel quantizes it with the output's params.
    "pad_constant": Case(lambda: single(
        "Pad", [3, 4, 5], [numpy_helper.from_array(np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64),
                                                   "pads"), const("value", 0.7)],
        ["pads", "value"], mode="constant"), (3, 4, 5), OpType.PAD),
}


@pytest.mark.parametrize("name", list(QUANTIZER_CASES))
def test_op_runs_int8_close_to_float(name: str) -> None:
    check_op_runs_int8_close_to_float(name, QUANTIZER_CASES[name])
