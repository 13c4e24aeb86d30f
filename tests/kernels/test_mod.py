"""MOD (csrc/kernels/mod.c): ONNX Mod against ONNX Runtime on int32 and int64 (fmod 0, the
divisor's sign, and fmod 1, the dividend's) and float32 (fmod 1) with numpy broadcasting of
ranks 1 to 4; float32 fmod 0 (the floor remainder, ONNX opset 13's extension of Python's %)
against ONNX's reference evaluator with signed zeros, infinities and NaN; an integer divisor
of 0 gives 0 and INT_MIN mod -1 gives 0 (never a trap); malformed models refused with node
and reason. The TFLite FLOOR_MOD form is in tests/importers/test_tflite_select.py."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from emberlite.converter import EmberError, UnsupportedOpsError
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.mod import ModParams
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx, run_ember
from tests.kernels.select_models import check_onnx, onnx_model, run_ir

SHAPES = [((7,), (7,)), ((3, 5), (5,)), ((2, 3, 4), (2, 1, 4)), ((2, 1, 3, 5), (4, 1, 1)),
          ((1,), (2, 3, 1, 2))]


def _mod(a: np.ndarray, b: np.ndarray, fmod: int, name: str = ""):
    node = helper.make_node("Mod", ["a", "b"], ["y"], fmod=fmod, name=name)
    return onnx_model(node, {"a": a, "b": b}, {}, {"y": a.dtype.type}, 13)


def _operands(dtype: type, shapes: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        a = (rng.standard_normal(shapes[0]) * 10).astype(np.float32)
        b = rng.choice(np.array([-3.5, -1.25, 0.75, 2.0, 7.0], np.float32), shapes[1])
        return a, b
    a = rng.integers(-100, 100, shapes[0]).astype(dtype)
    b = rng.choice(np.array([-7, -3, -1, 1, 2, 5, 13], dtype), shapes[1])
    return a, b


@pytest.mark.parametrize("dtype,fmod", [(np.int32, 0), (np.int32, 1), (np.int64, 0),
                                        (np.int64, 1), (np.float32, 1)],
                         ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_mod_matches_onnx_runtime(shapes: tuple, dtype: type, fmod: int) -> None:
    a, b = _operands(dtype, shapes, len(shapes[0]))
    check_onnx(_mod(a, b, fmod), [a, b])


def test_float_floor_remainder_matches_the_reference_evaluator() -> None:
    from onnx.reference import ReferenceEvaluator

    a = np.array([0.0, -0.0, 0.0, -0.0, -3.0, 3.0, -1.0, 1.0, np.inf, -np.inf, 1.0, 1.0,
                  np.nan, 1.0, -4.3, 7.2, 5.0, -7.25], np.float32)
    b = np.array([-2.0, 2.0, 2.0, -2.0, np.inf, np.inf, -np.inf, -np.inf, 2.0, 2.0, 0.0, -0.0,
                  2.0, np.nan, 2.1, -3.4, 8.0, 3.5], np.float32)
    model = _mod(a, b, 0)
    got, = run_ember(convert_onnx(model), [a, b])
    with np.errstate(invalid="ignore"):  # NaN where numpy's remainder is undefined
        want, = ReferenceEvaluator(model).run(None, {"a": a, "b": b})
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))  # zeros take b's sign


@pytest.mark.parametrize("dtype", [np.int32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("fmod", [0, 1])
def test_integer_zero_divisor_and_int_min_by_minus_one_give_zero(dtype: type, fmod: int) -> None:
    low = np.iinfo(dtype).min
    a = np.array([5, -5, 0, low, low, low], dtype)
    b = np.array([0, 0, 0, 0, -1, 1], dtype)
    got, = run_ember(convert_onnx(_mod(a, b, fmod)), [a, b])
    np.testing.assert_array_equal(got, np.zeros(6, dtype))
    (ir,), (ref,) = run_ir(OpType.MOD, [a, b], [((6,), DType.from_numpy(a.dtype))],
                           ModParams(bool(fmod)))
    np.testing.assert_array_equal(ir, ref)


def test_onnx_malformed_nodes_are_refused_with_node_and_reason() -> None:
    flags = np.zeros(3, bool)
    with pytest.raises(UnsupportedOpsError, match=r"rem.*input A of type bool"):
        convert_onnx(_mod(flags, flags, 0, "rem"))
    with pytest.raises(EmberError, match=r"rem|Mod"):
        convert_onnx(_mod(np.zeros(3, np.int32), np.zeros(3, np.int64), 0, "rem"))
    with pytest.raises(UnsupportedOpsError, match=r"rem.*fmod=2 is not supported"):
        convert_onnx(_mod(np.zeros(3, np.int32), np.zeros(3, np.int32), 2, "rem"))


@pytest.mark.parametrize("a,b,out,message", [
    (np.zeros(3, np.int32), np.zeros(3, np.int64), ((3,), DType.INT32),
     "input 1 'x1' must be int32, got int64"),
    (np.zeros(3, np.int32), np.zeros(3, np.int32), ((3,), DType.FLOAT32),
     "output 'y0' must be int32, got float32"),
    (np.zeros(3, bool), np.zeros(3, bool), ((3,), DType.BOOL),
     "input 0 'x0' must be float32 or a plain integer type, got bool"),
    (np.zeros((2, 3), np.float32), np.zeros(2, np.float32), ((2, 3), DType.FLOAT32),
     "broadcast"),
])
def test_c_check_refuses_malformed_nodes(a: np.ndarray, b: np.ndarray, out: tuple,
                                         message: str) -> None:
    with pytest.raises(InvalidModelError, match=f"node 0 \\(mod\\): .*{message}"):
        run_ir(OpType.MOD, [a, b], [out], ModParams())
