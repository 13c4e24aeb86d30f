"""CAST between every pair of element types (csrc/kernels/cast.c, float_convert.c): float16
and bfloat16 exhaustively (all 65,536 bit patterns, and every rounding boundary of float32
and float64 inputs) and the four float8 types (all 256 patterns; saturating) against numpy
and ml_dtypes; integer and float pairs against numpy where numpy defines the value and against
the reference evaluator everywhere; ONNX's Cast to and from the new types against ONNX Runtime
(float16, float64) and ml_dtypes (bfloat16, float8); the sub-byte types (INT4, UINT4, INT2,
UINT2, FLOAT4E2M1: one element per byte) exhaustively against ml_dtypes, whose casts ONNX's
reference uses, every byte of an input and every float16 and int8 value to them; a stored
sub-byte constant with other bits set refused; malformed casts refused by name."""
from __future__ import annotations

import itertools

import ml_dtypes
import numpy as np
import pytest
from onnx import TensorProto, helper

from emberlite.converter import UnsupportedOpsError
from emberlite.converter.ir import DType, Graph, Node, Tensor
from emberlite.converter.ops import OpType
from emberlite.converter.ops.cast import CastParams
from emberlite.converter.planner import plan_memory
from emberlite.converter.writer import serialize
from tests.helpers import convert_onnx, run_ember, run_ort
from tests.kernels.single_node import run_node

RNG = np.random.default_rng(23)
# numpy warns of the NaN and overflowing casts these tests make on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
FLOAT8 = [DType.FLOAT8E4M3FN, DType.FLOAT8E4M3FNUZ, DType.FLOAT8E5M2, DType.FLOAT8E5M2FNUZ]
NARROW = [DType.FLOAT16, DType.BFLOAT16, *FLOAT8]
FLOATS = [DType.FLOAT32, DType.FLOAT64, *NARROW]
SUB_BYTE = [DType.INT4, DType.UINT4, DType.INT2, DType.UINT2, DType.FLOAT4E2M1]
INTEGERS = [DType.INT8, DType.UINT8, DType.INT16, DType.UINT16, DType.INT32, DType.UINT32,
            DType.INT64, DType.UINT64]


def bits(x: np.ndarray) -> np.ndarray:
    return x.view(f"u{x.dtype.itemsize}")


def assert_same_floats(got: np.ndarray, want: np.ndarray) -> None:
    """Same type and the same bits, except that any NaN matches any NaN (payloads differ
    between libraries) as long as the sign agrees where the type has one."""
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    g, w = got.astype(np.float64), want.astype(np.float64)
    nan = np.isnan(w)
    np.testing.assert_array_equal(np.isnan(g), nan)
    bad = np.flatnonzero((bits(got) != bits(want)) & ~nan)
    assert bad.size == 0, f"{bad.size} differ, e.g. at {bad[:5]}: {g.flat[bad[:5]]} vs " \
                          f"{w.flat[bad[:5]]}"


def cast(x: np.ndarray, to: DType) -> tuple[np.ndarray, np.ndarray]:
    return run_node(OpType.CAST, [x], x.shape, to)


def every(dtype: DType) -> np.ndarray:
    """Every bit pattern of a 16- or 8-bit type."""
    return np.arange(1 << (8 * dtype.numpy.itemsize), dtype=np.uint64).astype(
        f"u{dtype.numpy.itemsize}").view(dtype.numpy)


def boundaries(dtype: DType, wide: type) -> np.ndarray:
    """Every finite value of `dtype` and, in `wide`, the midpoints between neighbours (the
    ties) and the values one `wide` step either side of them: every rounding boundary."""
    v = np.unique(every(dtype).astype(np.float64))
    v = v[np.isfinite(v)]
    mid = ((v[:-1] + v[1:]) / 2).astype(wide)
    steps = [mid, np.nextafter(mid, wide(np.inf)), np.nextafter(mid, wide(-np.inf))]
    top = float(ml_dtypes.finfo(dtype.numpy).max)
    edges = np.array([top * 1.5, -top * 1.5, np.inf, -np.inf, np.nan, -0.0, 1e-45], wide)
    return np.concatenate([v.astype(wide), *steps, edges])


@pytest.mark.parametrize("dst", [DType.FLOAT32, DType.FLOAT64], ids=lambda t: t.name)
@pytest.mark.parametrize("src", NARROW, ids=lambda t: t.name)
def test_narrow_floats_widen_exactly(src: DType, dst: DType) -> None:
    x = every(src)
    got, ref = cast(x, dst)
    want = x.astype(dst.numpy)
    assert_same_floats(got, want)
    assert_same_floats(ref, want)


@pytest.mark.parametrize("wide", [np.float32, np.float64], ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("dst", [DType.FLOAT16, DType.BFLOAT16], ids=lambda t: t.name)
def test_float16_and_bfloat16_round_to_nearest_even_once(dst: DType, wide: type) -> None:
    """numpy's float16 and ml_dtypes' bfloat16 conversions round once from float64 too (a
    float64 just above a tie would round to the tie's even side through float32)."""
    x = np.concatenate([boundaries(dst, wide),
                        RNG.integers(0, 1 << 32, 100_000, dtype=np.uint64).astype(
                            np.uint32).view(np.float32).astype(wide)])
    got, ref = cast(x, dst)
    want = x.astype(dst.numpy)
    assert_same_floats(got, want)
    assert_same_floats(ref, want)


def saturated(x: np.ndarray, dst: DType) -> np.ndarray:
    """ONNX's Cast with saturate=1: beyond the largest value (infinities too) gives the
    largest value of the sign; ml_dtypes rounds the rest."""
    top = float(ml_dtypes.finfo(dst.numpy).max)
    return np.clip(x.astype(np.float64), -top, top).astype(dst.numpy)


@pytest.mark.parametrize("wide", [np.float32, np.float64, np.float16],
                         ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("dst", FLOAT8, ids=lambda t: t.name)
def test_float8_rounds_to_nearest_even_and_saturates(dst: DType, wide: type) -> None:
    x = boundaries(dst, np.float64 if wide == np.float16 else wide).astype(wide)
    got, ref = cast(x, dst)
    want = saturated(x, dst)
    assert_same_floats(got, want)
    assert_same_floats(ref, want)
    top = ml_dtypes.finfo(dst.numpy).max
    assert got[x == np.inf][0] == top and got[x == -np.inf][0] == -top
    if dst.name.endswith("FNUZ"):  # no negative zero: -0.0 is 0x00, 0x80 being the NaN
        assert bits(got[np.signbit(x) & (x == 0)]).tolist() == [0]


@pytest.mark.parametrize("wide", [np.float32, np.float64, np.float16],
                         ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("dst", FLOAT8, ids=lambda t: t.name)
def test_float8_without_saturation_overflows_to_inf_or_nan(dst: DType, wide: type) -> None:
    """CastParams(saturate=False), ONNX's saturate=0: beyond the range is infinity for
    FLOAT8E5M2 and NaN for the others, as ml_dtypes' own conversion."""
    x = boundaries(dst, np.float64 if wide == np.float16 else wide).astype(wide)
    got, ref = run_node(OpType.CAST, [x], x.shape, dst, CastParams(saturate=False))
    want = x.astype(np.float64).astype(dst.numpy)
    assert_same_floats(got, want)
    assert_same_floats(ref, want)
    assert np.isnan(got[x == np.inf].astype(np.float32)).all() != (dst == DType.FLOAT8E5M2)


@pytest.mark.parametrize("dst", NARROW, ids=lambda t: t.name)
@pytest.mark.parametrize("src", NARROW, ids=lambda t: t.name)
def test_narrow_floats_between_each_other(src: DType, dst: DType) -> None:
    x = every(src)
    got, ref = cast(x, dst)
    if src == dst:  # a copy: ONNX's Cast to the input's own type is the identity
        want = x
    else:
        want = saturated(x, dst) if dst in FLOAT8 else x.astype(np.float64).astype(dst.numpy)
    assert_same_floats(got, want)
    assert_same_floats(ref, want)


def sample(dtype: DType) -> np.ndarray:
    """Values of `dtype` with its extremes, zero, ones and random ones."""
    if dtype == DType.BOOL:
        return np.array([0, 1, 1, 0], np.bool_)
    if dtype in INTEGERS:
        info = np.iinfo(dtype.numpy)
        fixed = np.array([info.min, info.max, 0, 1, info.max // 2 + 1], dtype.numpy)
        if info.min < 0:
            fixed = np.concatenate([fixed, np.array([-1, info.min + 1], dtype.numpy)])
        rand = RNG.integers(info.min, info.max, 40, dtype=dtype.numpy, endpoint=True)
        return np.concatenate([fixed, rand])
    top = float(ml_dtypes.finfo(dtype.numpy).max)
    x = np.concatenate([[0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 127.9, -128.9, 255.0, 65504.0,
                         3e9, -3e9, 1e19, 2.0 ** 63, 2.0 ** 64, np.inf, -np.inf, np.nan],
                        RNG.uniform(-300, 300, 40)])
    return np.clip(x, -top, top).astype(dtype.numpy)


def in_range(x: np.ndarray, dst: DType) -> np.ndarray:
    """Where numpy's float -> integer conversion is defined: finite, truncating into range."""
    t = np.trunc(np.nan_to_num(x.astype(np.float64), nan=0.0, posinf=1e300, neginf=-1e300))
    info = np.iinfo(dst.numpy)
    # float(info.max) + 1 is 2^bits exactly (float(2^63 - 1) is already 2^63).
    return np.isfinite(x.astype(np.float64)) & (t >= float(info.min)) & (
        t < float(info.max) + 1.0)


TYPES = [*FLOATS, *INTEGERS, DType.BOOL]


@pytest.mark.parametrize("src, dst", [(s, d) for s, d in itertools.product(TYPES, TYPES)],
                         ids=lambda t: t.name)
def test_every_pair_matches_numpy_and_the_reference(src: DType, dst: DType) -> None:
    """Integers narrow by wrapping and reach floats rounded to nearest; floats truncate toward
    zero into integers (compared with numpy where it defines the value, with the reference
    evaluator everywhere, out-of-range saturation included); anything nonzero is true."""
    x = sample(src)
    got, ref = cast(x, dst)
    assert got.dtype == dst.numpy and ref.dtype == dst.numpy
    if dst in FLOATS:
        assert_same_floats(ref, got)
    else:
        np.testing.assert_array_equal(got, ref)
    keep = np.ones(x.shape, bool)
    if src in FLOATS and dst in INTEGERS:
        keep = in_range(x, dst)
    if dst in FLOAT8 and src != dst:
        want = saturated(x, dst)
    elif src in FLOATS and dst in INTEGERS:
        want = np.trunc(x.astype(np.float64)[keep]).astype(dst.numpy)
    else:
        with np.errstate(all="ignore"):
            want = x.astype(np.float64).astype(dst.numpy) if src in FLOAT8 + [
                DType.BFLOAT16] else x.astype(dst.numpy)
    if dst in FLOATS:
        assert_same_floats(got, want)
    else:
        np.testing.assert_array_equal(got[keep], want[keep] if want.shape == x.shape else want)


def test_wide_integers_reach_floats_rounded_once() -> None:
    """A 64-bit integer just above a float32 or bfloat16 tie rounds up, though its nearest
    double is the tie itself (rounding through a plain double would err)."""
    big = np.array([2 ** 62 + 2 ** 38 + 1, -(2 ** 62 + 2 ** 38 + 1), 2 ** 62 + 2 ** 38,
                    2 ** 63 - 1, -(2 ** 63), (1 << 24) + 1], np.int64)
    for dst, ulp_bits in ((DType.FLOAT32, 24), (DType.BFLOAT16, 8)):
        got, _ = cast(big, dst)
        exact = [int(v) for v in big]
        for value, g in zip(exact, got.astype(np.float64)):
            # The nearest representable value: |error| at most half a unit, ties to even.
            unit = 2 ** max(abs(value).bit_length() - ulp_bits, 0)
            assert abs(int(g) - value) <= unit // 2, (dst, value, int(g))
    got, _ = cast(np.array([2 ** 62 + 2 ** 38 + 1], np.int64), DType.FLOAT32)
    assert int(got[0]) == 2 ** 62 + 2 ** 39


def test_cast_with_params_is_refused_by_the_runtime() -> None:
    x = np.zeros(3, np.float16)
    g = Graph({"x": Tensor("x", DType.FLOAT16, (3,)), "y": Tensor("y", DType.BFLOAT16, (3,))},
              [Node(OpType.CAST, "cast", ["x"], ["y"], None)], ["x"], ["y"])
    data = bytearray(serialize(g, plan_memory(g)))
    assert run_ember(bytes(data), [x])[0].dtype == ml_dtypes.bfloat16
    # The shape rule is the same as CAST's any other types: a mismatched shape is refused.
    g.tensors["y"] = Tensor("y", DType.BFLOAT16, (4,))
    with pytest.raises(Exception, match="cast"):
        run_ember(serialize(g, plan_memory(g)), [x])


def onnx_cast(src: int, to: int, shape: tuple[int, ...], **attrs: int):
    graph = helper.make_graph(
        [helper.make_node("Cast", ["x"], ["y"], to=to, **attrs)], "cast",
        [helper.make_tensor_value_info("x", src, shape)],
        [helper.make_tensor_value_info("y", to, shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])


ORT_TYPES = ["FLOAT", "DOUBLE", "FLOAT16", "INT8", "UINT8", "INT32", "INT64", "UINT32", "BOOL"]


@pytest.mark.parametrize("to", ["FLOAT", "DOUBLE", "FLOAT16"])
@pytest.mark.parametrize("src", ORT_TYPES)
def test_onnx_cast_of_float16_and_double_matches_onnx_runtime(src: str, to: str) -> None:
    if src == to:
        pytest.skip("no node")
    model = onnx_cast(getattr(TensorProto, src), getattr(TensorProto, to), (4, 16))
    x = sample(DType.from_numpy(helper.tensor_dtype_to_np_dtype(getattr(TensorProto, src))))
    x = RNG.choice(x[np.isfinite(x.astype(np.float64))], (4, 16))
    got, = run_ember(convert_onnx(model), [x])
    want, = run_ort(model, [x])
    assert_same_floats(got, want)


@pytest.mark.parametrize("saturate", [1, 0])
@pytest.mark.parametrize("to", ["BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
                                "FLOAT8E5M2FNUZ"])
def test_onnx_cast_to_bfloat16_and_float8_matches_ml_dtypes(to: str, saturate: int) -> None:
    """ONNX Runtime's CPU provider lacks most of these casts; ml_dtypes is the oracle (it
    does not saturate: saturate=0)."""
    to_type = getattr(TensorProto, to)
    dst = DType.from_numpy(helper.tensor_dtype_to_np_dtype(to_type))
    x = RNG.normal(0, 100, (3, 7)).astype(np.float32)
    x.flat[:4] = [np.inf, -np.inf, np.nan, 1e6]
    m = onnx_cast(TensorProto.FLOAT, to_type, (3, 7), saturate=saturate)
    got, = run_ember(convert_onnx(m), [x])
    clip = dst in FLOAT8 and saturate
    assert_same_floats(got, saturated(x, dst) if clip else x.astype(dst.numpy))
    back, = run_ember(convert_onnx(onnx_cast(to_type, TensorProto.FLOAT, (3, 7))), [got])
    assert_same_floats(back, got.astype(np.float32))


@pytest.mark.parametrize("to, attrs, match", [
    (TensorProto.STRING, {}, "Cast to STRING: Emberlite has no such tensors"),
    (TensorProto.FLOAT8E8M0, {"round_mode": "nearest"},
     "Cast to FLOAT8E8M0 with round_mode='nearest': only 'up'"),
])
def test_onnx_casts_emberlite_cannot_do_are_refused_by_name(to: int, attrs: dict,
                                                            match: str) -> None:
    model = onnx_cast(TensorProto.FLOAT, to, (2, 3), **attrs)
    model.opset_import[0].version = 25  # round_mode: opset 24
    model.graph.node[0].name = "the_cast"
    with pytest.raises(UnsupportedOpsError, match=match) as info:
        convert_onnx(model)
    assert "the_cast" in str(info.value)


# --- the sub-byte types (format 9) -----------------------------------------------------------
def value_bits(dtype: DType) -> int:
    return 4 if dtype in (DType.INT4, DType.UINT4, DType.FLOAT4E2M1) else 2


def every_byte(dtype: DType) -> np.ndarray:
    """All 256 bytes as `dtype`: the type's 16 or 4 patterns (first), each also with every
    setting of the byte's other bits."""
    return np.arange(256, dtype=np.uint16).astype(np.uint8).view(dtype.numpy)


def canonical(x: np.ndarray) -> np.ndarray:
    """`x` with each byte's other bits cleared: what Emberlite reads (ml_dtypes ignores them
    too for the integers, but takes any of them as FLOAT4E2M1's sign)."""
    mask = (1 << value_bits(DType.from_numpy(x.dtype))) - 1
    return (x.view(np.uint8) & mask).view(x.dtype)


def assert_same_bytes(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    g, w = got.view(np.uint8), want.view(np.uint8)
    bad = np.flatnonzero(g != w)
    assert bad.size == 0, f"{bad.size} differ, e.g. at {bad[:5]}: {g.flat[bad[:5]]} vs " \
                          f"{w.flat[bad[:5]]}"


FROM_SUB_BYTE = [DType.FLOAT32, DType.FLOAT16, DType.FLOAT64, DType.BFLOAT16,
                 DType.FLOAT8E4M3FN, DType.INT8, DType.UINT8, DType.INT32, DType.INT64,
                 DType.BOOL, *SUB_BYTE]


@pytest.mark.parametrize("dst", FROM_SUB_BYTE, ids=lambda t: t.name)
@pytest.mark.parametrize("src", SUB_BYTE, ids=lambda t: t.name)
def test_sub_byte_types_read_every_byte_as_ml_dtypes(src: DType, dst: DType) -> None:
    """Every pattern cast as ml_dtypes casts it, and every byte with other bits set as the
    pattern in its low bits (accepted and defined: the other bits are ignored)."""
    x = every_byte(src)
    c = canonical(x)
    if dst == src:  # ml_dtypes' astype to the same type copies the bytes: go through a double
        want = c.astype(np.float64).astype(dst.numpy)
    elif src == DType.FLOAT4E2M1 and dst in (DType.UINT8, *SUB_BYTE):
        want = c.astype(np.float64).astype(dst.numpy)  # ml_dtypes' float rule via a double
    elif dst == DType.BOOL:
        want = c.astype(np.float64) != 0
    else:
        want = c.astype(dst.numpy)
    got, ref = cast(x, dst)
    # The reference evaluator is ml_dtypes' cast: compared where the bytes are canonical (for
    # the same type it is numpy's copy, other bits kept).
    n = 1 << value_bits(src)
    ref = ref[:n].astype(np.float64).astype(dst.numpy) if dst == src else ref[:n]
    if dst in FLOATS:
        assert_same_floats(got, want)
        assert_same_floats(ref, want[:n])
    else:
        assert_same_bytes(got, want)
        assert_same_bytes(ref, want[:n])
    if dst in SUB_BYTE:  # the byte's other bits are written zero
        assert (got.view(np.uint8) >> value_bits(dst)).max() == 0


def to_sub_byte_sources(src: DType) -> np.ndarray:
    """Every float16 value; every int8; the rounding boundaries of FLOAT4E2M1 and the
    integer ranges' edges in float32 and float64; wide integers' extremes and random ones."""
    if src == DType.FLOAT16:
        return every(src)
    if src in (DType.INT8, DType.UINT8):
        return np.arange(256, dtype=np.uint16).astype(np.uint8).view(src.numpy)
    if src == DType.BOOL:
        return np.array([0, 1, 1, 0], np.bool_)
    if src in INTEGERS:
        return sample(src)
    edges = np.concatenate([boundaries(DType.FLOAT4E2M1, np.float64),
                            np.arange(-20, 20, 0.25), [7.999, 8.0, 15.5, 16.0, -8.5, -9.0,
                                                       3.99, -2.01, 1e10, -1e30]])
    return edges.astype(src.numpy)


@pytest.mark.parametrize("dst", SUB_BYTE, ids=lambda t: t.name)
@pytest.mark.parametrize("src", [DType.FLOAT32, DType.FLOAT64, DType.FLOAT16, DType.BFLOAT16,
                                 DType.FLOAT8E5M2, DType.INT8, DType.UINT8, DType.INT32,
                                 DType.INT64, DType.UINT64, DType.BOOL], ids=lambda t: t.name)
def test_casts_to_sub_byte_types_match_ml_dtypes_bit_for_bit(src: DType, dst: DType) -> None:
    """A float to INT4/UINT4/INT2/UINT2 truncates and gives 0 out of range; an integer wraps;
    FLOAT4E2M1 rounds to nearest even and saturates, NaN giving the zero of the other sign:
    ml_dtypes' casts, which ONNX's node cases hold."""
    x = to_sub_byte_sources(src)
    got, ref = cast(x, dst)
    with np.errstate(all="ignore"):
        want = x.astype(dst.numpy)
    assert_same_bytes(got, want)
    assert_same_bytes(ref, want)


@pytest.mark.parametrize("to", ["INT4", "UINT4", "INT2", "UINT2", "FLOAT4E2M1"])
@pytest.mark.parametrize("src", ["FLOAT", "FLOAT16", "INT8"])
def test_onnx_cast_and_castlike_to_sub_byte_types_match_onnx_reference(src: str,
                                                                      to: str) -> None:
    """ONNX Cast there and CastLike back, against ONNX's reference evaluator (ONNX Runtime's
    CPU provider lacks most of these casts)."""
    from onnx.reference import ReferenceEvaluator

    s, t = getattr(TensorProto, src), getattr(TensorProto, to)
    graph = helper.make_graph(
        [helper.make_node("Cast", ["x"], ["y"], to=t),
         helper.make_node("CastLike", ["y", "x"], ["z"])], "cast",
        [helper.make_tensor_value_info("x", s, (6, 9))],
        [helper.make_tensor_value_info("y", t, (6, 9)),
         helper.make_tensor_value_info("z", s, (6, 9))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 25)])
    dtype = DType.from_numpy(helper.tensor_dtype_to_np_dtype(s))
    x = (RNG.integers(-128, 128, (6, 9)) if dtype == DType.INT8
         else RNG.normal(0, 6, (6, 9))).astype(dtype.numpy)
    x.flat[:3] = [0, -1, 7]
    got = run_ember(convert_onnx(model), [x])
    want = ReferenceEvaluator(model).run(None, {"x": x})
    assert_same_bytes(got[0], np.asarray(want[0]))
    assert_same_bytes(got[1], np.asarray(want[1]))


def sub_byte_constant_model(stored: np.ndarray) -> bytes:
    """y = x + CAST(c) to float32, c a stored constant of `stored`'s type."""
    dtype = DType.from_numpy(stored.dtype)
    n = stored.size
    g = Graph({"x": Tensor("x", DType.FLOAT32, (n,)),
               "c": Tensor("c", dtype, (n,), stored),
               "cf": Tensor("cf", DType.FLOAT32, (n,)),
               "y": Tensor("y", DType.FLOAT32, (n,))},
              [Node(OpType.CAST, "cast", ["c"], ["cf"], None),
               Node(OpType.ADD, "add", ["x", "cf"], ["y"], None)], ["x"], ["y"])
    return serialize(g, plan_memory(g))


@pytest.mark.parametrize("dtype, bad", [(DType.INT4, 0x1F), (DType.UINT4, 0x80),
                                        (DType.INT2, 0x04), (DType.UINT2, 0xFF),
                                        (DType.FLOAT4E2M1, 0x10)], ids=lambda v: str(v))
def test_stored_sub_byte_constant_with_other_bits_set_is_refused(dtype: DType,
                                                                 bad: int) -> None:
    """One value, one encoding in the file: the verifier refuses a byte with bits beyond the
    type's; the same constant written canonically loads and reads as ml_dtypes reads it."""
    raw = np.array([1, bad, 2], np.uint8)
    x = np.zeros(3, np.float32)
    with pytest.raises(Exception, match=r"tensor \d+ 'c': element 1 of this .* constant is "
                                        r"byte 0x.*only its low \d bits"):
        run_ember(sub_byte_constant_model(raw.view(dtype.numpy)), [x])
    good = canonical(raw.view(dtype.numpy))
    got, = run_ember(sub_byte_constant_model(good), [x])
    np.testing.assert_array_equal(got, good.astype(np.float32))


# --- FLOAT8E8M0 (format 9) ---------------------------------------------------------------------
@pytest.mark.parametrize("dst", [DType.FLOAT32, DType.FLOAT16, DType.FLOAT64, DType.BFLOAT16,
                                 DType.INT32, DType.UINT8, DType.BOOL], ids=lambda t: t.name)
def test_float8e8m0_reads_every_code_as_ml_dtypes(dst: DType) -> None:
    """2^(code - 127), 0xFF NaN: every code, to floats as ml_dtypes rounds them."""
    x = every(DType.FLOAT8E8M0)
    got, ref = cast(x, dst)
    f = x.astype(np.float64)
    if dst in FLOATS:
        want = f.astype(dst.numpy)
        assert_same_floats(got, want)
        assert_same_floats(ref, want)
    else:
        keep = in_range(f, dst) if dst != DType.BOOL else np.ones(f.shape, bool)
        want = (f != 0) if dst == DType.BOOL else np.trunc(f[keep]).astype(dst.numpy)
        np.testing.assert_array_equal(got[keep], want[keep] if dst == DType.BOOL else want)


@pytest.mark.parametrize("saturate", [True, False])
@pytest.mark.parametrize("src", [DType.FLOAT32, DType.FLOAT16, DType.FLOAT64, DType.INT32],
                         ids=lambda t: t.name)
def test_casts_to_float8e8m0_round_up_as_onnx(src: DType, saturate: bool) -> None:
    """ONNX's Cast with round_mode "up" (onnx.numpy_helper.to_float8e8m0): every float16, and
    float32 powers of two, their neighbours, subnormals, the top exponent, inf and NaN."""
    from onnx.numpy_helper import to_float8e8m0

    if src == DType.FLOAT16:
        x = every(src)
    elif src == DType.INT32:
        x = sample(src)
    else:
        p = np.ldexp(1.0, np.arange(-149, 128)).astype(np.float32)
        x = np.concatenate([p, np.nextafter(p, np.float32(np.inf)),
                            np.nextafter(p, np.float32(0)), -p,
                            np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3e38, 1e-45],
                                     np.float32),
                            RNG.normal(0, 1e3, 200).astype(np.float32)]).astype(src.numpy)
    got, ref = run_node(OpType.CAST, [x], x.shape, DType.FLOAT8E8M0, CastParams(saturate))
    want = to_float8e8m0(x.astype(np.float32), saturate, "up")
    assert_same_bytes(got, want)
    assert_same_bytes(ref, want)
