"""Range methods on synthetic distributions with known answers, histogram re-binning, and
asymmetric int8 (scale, zero point)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emberlite.converter.quantize import (Entropy, Histogram, MinMax, Mse, Percentile,
                                          asymmetric_int8_params)

METHODS = {"minmax": MinMax, "percentile": lambda: Percentile(99.99), "entropy": Entropy,
           "mse": Mse}


def _observe(observer, x: np.ndarray, chunks: int = 20) -> tuple[float, float]:
    for part in np.array_split(x, chunks):
        observer.update(part)
    return observer.range()


def _fake_quant_mse(x: np.ndarray, lo: float, hi: float) -> float:
    scale, zp = asymmetric_int8_params(lo, hi)
    q = np.clip(np.round(x / scale) + zp, -128, 127)
    return float(np.mean(((q - zp) * scale - x) ** 2))


@pytest.fixture(scope="module")
def gaussian_with_outliers() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1_000_000)
    x[rng.choice(x.size, 2, replace=False)] = [30.0, -25.0]
    return x


def test_minmax_is_exact_and_contains_zero():
    rng = np.random.default_rng(1)
    x = rng.uniform(2.0, 5.0, 10_000)
    assert _observe(MinMax(), x) == (0.0, float(x.max()))
    assert _observe(MinMax(), -x) == (float(-x.max()), 0.0)


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_every_method_includes_zero_for_one_signed_data(method, sign):
    x = sign * np.random.default_rng(2).uniform(2.0, 5.0, 50_000)
    lo, hi = _observe(METHODS[method](), x)
    assert lo <= 0.0 <= hi
    assert (hi if sign > 0 else -lo) > 4.0


def test_percentile_of_uniform_matches_numpy():
    x = np.random.default_rng(3).uniform(-1.0, 3.0, 200_000)
    lo, hi = _observe(Percentile(99.0), x)
    want_lo, want_hi = np.percentile(x, [1.0, 99.0])
    assert abs(lo - want_lo) < 0.01 and abs(hi - want_hi) < 0.01


@pytest.mark.parametrize("method", sorted(METHODS))
def test_outliers_clipped_by_all_but_minmax(method, gaussian_with_outliers):
    lo, hi = _observe(METHODS[method](), gaussian_with_outliers)
    if method == "minmax":
        assert (lo, hi) == (-25.0, 30.0)
    else:
        assert -12.5 < lo < -2.5 and 2.5 < hi < 15.0, (lo, hi)


def test_entropy_of_uniform_keeps_nearly_everything():
    x = np.random.default_rng(4).uniform(0.0, 1.0, 200_000)
    lo, hi = _observe(Entropy(), x)
    assert lo == 0.0 and hi > 0.95


def test_mse_choice_beats_minmax(gaussian_with_outliers):
    x = gaussian_with_outliers
    assert _fake_quant_mse(x, *_observe(Mse(), x)) < 0.5 * _fake_quant_mse(x, -25.0, 30.0)
    heavy = np.random.default_rng(5).standard_t(2, 200_000)
    mse_range, minmax_range = _observe(Mse(), heavy), _observe(MinMax(), heavy)
    assert mse_range[1] < minmax_range[1]
    assert _fake_quant_mse(heavy, *mse_range) < _fake_quant_mse(heavy, *minmax_range)


def test_histogram_rebinning_matches_one_shot():
    rng = np.random.default_rng(6)
    parts = [rng.standard_normal(5_000) * s + m for s, m in [(0.01, 0), (1, 2), (5, -3), (40, 9)]]
    parts.insert(0, np.zeros(100))               # sizes nothing: must be binned later
    h = Histogram()
    for p in parts:
        h.update(p)
    data = np.concatenate(parts)
    assert h.lo <= data.min() and h.hi >= data.max()
    one_shot, _ = np.histogram(data, bins=h.edges())
    assert h.counts.sum() == data.size
    # Values exactly on an edge may fall either side; nothing else may differ.
    assert np.abs(h.counts - one_shot).sum() <= 2


def test_histogram_growth_keeps_old_counts_in_place():
    h = Histogram(bins=8)
    h.update(np.array([-1.0, 0.1, 1.0]))                    # width 0.25, lo -1
    h.update(np.array([2.5]))                               # needs [-1, 2.5]: width 0.5
    assert (h.lo, h.width) == (-1.0, 0.5)
    assert list(h.counts) == [1, 0, 1, 1, 0, 0, 0, 1]


def test_int8_params_known_values():
    scale, zp = asymmetric_int8_params(-1.0, 3.0)
    assert scale == pytest.approx(4 / 255) and zp == -64     # -128 + 63.75
    assert asymmetric_int8_params(0.0, 6.0)[1] == -128
    assert asymmetric_int8_params(-6.0, 0.0)[1] == 127
    # -128 + 1.5 = -126.5 rounds half away from zero (TFLite's round()), not to even.
    assert asymmetric_int8_params(-1.5, 253.5) == (1.0, -127)
    assert asymmetric_int8_params(0.0, 0.0) == (1.0, 0)
    assert asymmetric_int8_params(1.0, 2.0)[1] == -128          # widened to contain 0


@settings(max_examples=300, deadline=None)
@given(st.floats(-1e4, 0.0).filter(lambda v: v == 0.0 or v <= -1e-3),
       st.floats(0.0, 1e4).filter(lambda v: v == 0.0 or v >= 1e-3))
def test_int8_params_properties(lo, hi):
    scale, zp = asymmetric_int8_params(lo, hi)
    assert -128 <= zp <= 127 and isinstance(zp, int)
    if lo == hi:
        assert (scale, zp) == (1.0, 0)
        return
    assert scale > 0.0
    assert scale == float(np.float32(np.float32(hi) - np.float32(lo)) / np.float32(255))

    def roundtrip(x: float) -> float:
        return (float(np.clip(np.round(x / scale) + zp, -128, 127)) - zp) * scale

    assert roundtrip(0.0) == 0.0                              # zero exactly representable
    for x in (lo, hi):                                        # range covered to half a step
        assert abs(roundtrip(x) - x) <= 0.5 * scale * (1 + 1e-5) + 1e-30
