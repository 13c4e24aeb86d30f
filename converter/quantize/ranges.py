"""Range methods for calibration: each observes a tensor sample by sample and picks (lo, hi).

Every method is a small class with `update(array)` and `range() -> (lo, hi)`. Ranges always
contain 0, because asymmetric int8 must represent 0 exactly (zero padding, ReLU outputs).
The histogram-based methods never keep the values themselves: they fold each sample into a
fixed number of bins whose range grows, by exact re-binning, when a sample falls outside it.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import QuantizationError

HISTOGRAM_BINS = 2048
INT8_MIN = -128
INT8_MAX = 127
MAX_CLIPPED = 0.01


def _finite(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).ravel()
    if not np.all(np.isfinite(x)):
        raise QuantizationError("calibration data produced a non-finite value (inf or nan); "
                                "ranges cannot be computed from it")
    return x


class MinMax:
    """The smallest and largest value seen (widened to contain 0)."""

    def __init__(self) -> None:
        self.lo = 0.0
        self.hi = 0.0

    def update(self, x: np.ndarray) -> None:
        x = _finite(x)
        if x.size:
            self.lo = min(self.lo, float(x.min()))
            self.hi = max(self.hi, float(x.max()))

    def range(self) -> tuple[float, float]:
        return self.lo, self.hi


class Histogram:
    """Counts over `bins` equal bins on [lo, lo + bins * width], a range that always holds 0.

    Growing the range merges k adjacent old bins into one new bin, with the old edges kept on
    new edges, so the counts equal those of a histogram built in one shot on the final range
    (up to values lying exactly on an edge).
    """

    def __init__(self, bins: int = HISTOGRAM_BINS):
        self.bins = bins
        self.counts = np.zeros(bins, dtype=np.int64)
        self.lo = 0.0
        self.width = 0.0                    # 0 until a non-zero value has been seen
        self.zeros = 0                      # zeros seen while width was 0, not yet binned
        self.seen = MinMax()                # the data's own range, within the bins' range

    @property
    def hi(self) -> float:
        return self.lo + self.bins * self.width

    def edges(self) -> np.ndarray:
        return self.lo + self.width * np.arange(self.bins + 1)

    def update(self, x: np.ndarray) -> None:
        x = _finite(x)
        if x.size == 0:
            return
        self.seen.update(x)
        xmin, xmax = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
        if self.width == 0.0:
            if xmin == xmax:                # only zeros so far: nothing to size the bins by
                self.zeros += x.size
                return
            self.lo, self.width = xmin, (xmax - xmin) / self.bins
            self.counts[self._index(np.zeros(1))] += self.zeros
            self.zeros = 0
        elif xmin < self.lo or xmax > self.hi:
            self._grow(xmin, xmax)
        self.counts += np.bincount(self._index(x), minlength=self.bins)

    def _index(self, x: np.ndarray) -> np.ndarray:
        idx = np.floor((x - self.lo) / self.width).astype(np.int64)
        return np.clip(idx, 0, self.bins - 1)

    def _grow(self, xmin: float, xmax: float) -> None:
        xmin, xmax = min(xmin, self.lo), max(xmax, self.hi)
        n, w = self.bins, self.width
        k = max(2, math.ceil((xmax - xmin) / (n * w)))
        while True:
            # New lo = lo - j*k*w keeps every old edge on a new edge; j as small as possible.
            j = math.ceil((self.lo - xmin) / (k * w))
            if j * k <= n * (k - 1) and self.lo - j * k * w + n * k * w >= xmax:
                break
            k += 1
        merged = np.bincount((j * k + np.arange(n)) // k, weights=self.counts, minlength=n)
        self.counts = merged[:n].astype(np.int64)
        self.lo, self.width = self.lo - j * k * w, k * w


class Percentile:
    """Clips each side at a percentile of the signed histogram: lo at (100 - p)%, hi at p%."""

    def __init__(self, percentile: float = 99.99, bins: int = HISTOGRAM_BINS):
        if not 50.0 < percentile <= 100.0:
            raise QuantizationError(f"percentile must be in (50, 100], got {percentile}")
        self.percentile = percentile
        self.hist = Histogram(bins)

    def update(self, x: np.ndarray) -> None:
        self.hist.update(x)

    def range(self) -> tuple[float, float]:
        h = self.hist
        if h.width == 0.0:
            return 0.0, 0.0
        cdf = np.concatenate([[0.0], np.cumsum(h.counts)]) / h.counts.sum()
        edges = h.edges()
        # Linear interpolation inside the bin, as if its values were spread evenly.
        lo = float(np.interp(1.0 - self.percentile / 100.0, cdf, edges))
        hi = float(np.interp(self.percentile / 100.0, cdf, edges))
        seen_lo, seen_hi = h.seen.range()
        return min(max(lo, seen_lo), 0.0), max(min(hi, seen_hi), 0.0)


class Entropy:
    """KL-divergence calibration (TensorRT's entropy calibrator) on a histogram of |x|.

    For each candidate threshold t (a bin edge from `levels` bins up), the reference P is the
    histogram up to t with everything beyond folded into the last bin; Q merges the unclipped
    bins up to t into `levels` quantization levels and spreads each level back evenly over the
    bins that were non-zero. The t minimising KL(P || Q) wins. Signed data gets 128 levels per
    side, non-negative data all 256 levels of asymmetric int8. KL compares only the shapes of
    P and Q, so a threshold folding nearly all values into one bin would look perfect (data
    far from 0, such as all in [2, 5]): thresholds clipping more than MAX_CLIPPED of the
    values are not candidates.
    """

    def __init__(self, bins: int = HISTOGRAM_BINS):
        self.hist = Histogram(bins)
        self.minmax = MinMax()

    def update(self, x: np.ndarray) -> None:
        x = _finite(x)
        self.minmax.update(x)
        self.hist.update(np.abs(x))

    def range(self) -> tuple[float, float]:
        lo, hi = self.minmax.range()
        if self.hist.width == 0.0:
            return lo, hi
        levels = 128 if lo < 0.0 else 256
        t = (best_kl_bin(self.hist.counts, levels) + 1) * self.hist.width
        return max(lo, -t), min(hi, t)


def best_kl_bin(counts: np.ndarray, levels: int) -> int:
    """Index of the last bin kept by the threshold minimising KL(P || Q)."""
    counts = counts.astype(np.float64)
    n = counts.size
    if n <= levels:
        return n - 1
    suffix = np.append(np.cumsum(counts[::-1])[::-1], 0.0)     # suffix[i] = counts[i:].sum()
    best, best_kl = n - 1, math.inf
    for i in range(levels, n + 1):
        if suffix[i] > MAX_CLIPPED * suffix[0]:
            continue
        p = counts[:i].copy()
        if i < n:
            p[-1] += suffix[i]
        nonzero = counts[:i] != 0
        starts = (np.arange(levels) * i) // levels
        chunk_sum = np.add.reduceat(counts[:i], starts)
        chunk_nonzero = np.add.reduceat(nonzero.astype(np.float64), starts)
        which = np.repeat(np.arange(levels), np.diff(np.append(starts, i)))
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(nonzero, chunk_sum[which] / chunk_nonzero[which], 0.0)
        kl = _kl(p, q)
        if kl < best_kl:
            best, best_kl = i - 1, kl
    return best


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    p_total, q_total = p.sum(), q.sum()
    if p_total == 0 or q_total == 0:
        return math.inf
    p, q = p / p_total, q / q_total
    mask = p > 0
    if np.any(q[mask] == 0):
        return math.inf
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


class Mse:
    """Picks the clipping range minimising the expected squared error of int8 quantization.

    Candidates shrink each end of the histogram's range towards 0 independently (`steps` per
    side). A bin's values are taken at its centre: outside the clip range they cost their
    squared distance to the range's end; inside, uniform rounding noise costs scale^2 / 12.
    """

    def __init__(self, bins: int = HISTOGRAM_BINS, steps: int = 256):
        self.hist = Histogram(bins)
        self.steps = steps

    def update(self, x: np.ndarray) -> None:
        self.hist.update(x)

    def range(self) -> tuple[float, float]:
        h = self.hist
        if h.width == 0.0:
            return 0.0, 0.0
        edges = h.edges()
        centres = (edges[:-1] + edges[1:]) / 2
        counts = h.counts.astype(np.float64)
        frac = np.arange(1, self.steps + 1) / self.steps
        seen_lo, seen_hi = h.seen.range()
        los, his = seen_lo * frac, seen_hi * frac
        below = centres[None, :] < los[:, None]                 # [steps, bins]
        above = centres[None, :] > his[:, None]
        err_lo = (below * counts * (centres[None, :] - los[:, None]) ** 2).sum(axis=1)
        err_hi = (above * counts * (centres[None, :] - his[:, None]) ** 2).sum(axis=1)
        n_lo, n_hi = (below * counts).sum(axis=1), (above * counts).sum(axis=1)
        inside = counts.sum() - n_lo[:, None] - n_hi[None, :]
        scale = (his[None, :] - los[:, None]) / (INT8_MAX - INT8_MIN)
        total = err_lo[:, None] + err_hi[None, :] + inside * scale ** 2 / 12
        i, j = np.unravel_index(int(np.argmin(total)), total.shape)
        return float(min(los[i], 0.0)), float(max(his[j], 0.0))


def make_observer(method: str, percentile: float = 99.99) -> MinMax | Percentile | Entropy | Mse:
    if method == "minmax":
        return MinMax()
    if method == "percentile":
        return Percentile(percentile)
    if method == "entropy":
        return Entropy()
    if method == "mse":
        return Mse()
    raise QuantizationError(f"unknown calibration method {method!r}; expected one of "
                            f"minmax, percentile, entropy, mse")


def asymmetric_int8_params(lo: float, hi: float) -> tuple[float, int]:
    """(scale, zero_point) for asymmetric int8 from a range, as TFLite's post-training quantizer
    computes them (GetAsymmetricQuantizationParams in tensorflow/lite/tools/optimize):

    - the range is first widened to contain 0, all arithmetic is in float32;
    - scale = (hi - lo) / 255;
    - zero_point = qmin - lo / scale, then "nudged" to an integer: clamped to [-128, 127] and
      otherwise rounded half away from zero (C's round()), so real 0 maps exactly to an
      integer and dequantizes to exactly 0.0.
    An all-zero range (lo == hi == 0) would give scale 0, which no kernel accepts; like
    TFLite's MLIR quantizer, it gets scale 1.0 and zero point 0 (every value quantizes to 0).
    """
    f32 = np.float32
    lo, hi = min(f32(lo), f32(0.0)), max(f32(hi), f32(0.0))
    if lo == hi:
        return 1.0, 0
    qmin, qmax = f32(INT8_MIN), f32(INT8_MAX)
    scale = f32((hi - lo) / (qmax - qmin))
    zero_from_min = f32(qmin - lo / scale)
    if zero_from_min < qmin:
        zero_point = INT8_MIN
    elif zero_from_min > qmax:
        zero_point = INT8_MAX
    else:
        zero_point = int(math.copysign(math.floor(abs(float(zero_from_min)) + 0.5),
                                       float(zero_from_min)))
    return float(scale), zero_point


INT16_MAX = 32767


def symmetric_int16_params(lo: float, hi: float) -> tuple[float, int]:
    """(scale, 0) for the int16 activations of 16x8 quantization, symmetric as TFLite's 16x8
    quantizer makes them: scale = max(|lo|, |hi|) / 32767 in float32, so -32767..32767 spans
    the range and real 0 is exactly 0. An all-zero range gets scale 1.0, as for int8."""
    f32 = np.float32
    amax = max(abs(f32(lo)), abs(f32(hi)))
    if amax == 0:
        return 1.0, 0
    return float(f32(amax / f32(INT16_MAX))), 0
