"""Discrete Fourier transforms as one FULLY_CONNECTED against a constant matrix, for the ONNX
DFT and STFT ops and TFLite's RFFT2D.

A transform of fixed length along one axis is linear in the real and imaginary parts of its
input, so it is a matrix: column j of the matrix is the transform of the j-th unit input,
computed at conversion by numpy's FFT in float64 (which also settles zero padding, truncation,
the one-sided forward transform and the Hermitian inverse exactly as numpy defines them; ONNX's
reference defines its DFT by numpy's). At run time the data is moved so the transformed axis and
the (real, imaginary) pair are innermost, multiplied by that matrix, and moved back. Complex
values are float32 pairs in a trailing dimension of 2, as ONNX stores them.

The matrix is (2 x output length) x (2 x input length) floats: MAX_LENGTH bounds a length.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..ops import OpType
from ..ops.fully_connected import FullyConnectedParams
from .graph_builder import Builder, Unsupported

# 2 x 4096 x 2 x 4096 floats = 256 MiB at most for one matrix.
MAX_LENGTH = 4096


@dataclass(frozen=True)
class Transform:
    """Which transform: of `length` points (the input padded or cut to it), inverse or not,
    one-sided (forward: the first length // 2 + 1 frequencies of a real signal; inverse: a
    Hermitian half-spectrum to a real signal)."""
    length: int
    inverse: bool = False
    onesided: bool = False

    def out_size(self) -> tuple[int, int]:
        """(points, 1 for real or 2 for complex) of the output."""
        if self.inverse and self.onesided:
            return self.length, 1
        return (self.length // 2 + 1 if self.onesided else self.length), 2

    def apply(self, signal: np.ndarray) -> np.ndarray:
        """numpy's transform of complex `signal` along its last axis: (points, 2) reals."""
        if self.inverse and self.onesided:
            return np.fft.irfft(signal, n=self.length)[:, None]
        fn = np.fft.ifft if self.inverse else np.fft.fft
        out = fn(signal, n=self.length)[:self.out_size()[0]]
        return np.stack([out.real, out.imag], axis=-1)


def transform_matrix(t: Transform, points: int, parts: int,
                     window: np.ndarray | None = None) -> np.ndarray:
    """The float32 [out_points * out_parts, points * parts] matrix of `t` for an input of
    `points` values of `parts` (1: real, 2: complex) each, scaled by `window` per point."""
    for n in (points, t.length):
        if not 1 <= n <= MAX_LENGTH:
            raise Unsupported(f"a transform of {n} points: 1 to {MAX_LENGTH} are supported")
    basis = np.eye(points * parts).reshape(points * parts, points, parts)
    signals = basis[..., 0] + (1j * basis[..., 1] if parts == 2 else 0)
    if window is not None:
        signals = signals * window
    columns = [t.apply(s).reshape(-1) for s in signals]
    return np.ascontiguousarray(np.stack(columns, axis=1), np.float32)


def transform_axis(b: Builder, x: str, axis: int, t: Transform,
                   window: np.ndarray | None = None) -> str:
    """`t` of [..., N, ..., parts] float32 `x` along `axis` (not the last, which holds the
    parts): the same shape with the axis and the parts of the output."""
    shape = b.shape(x)
    rank = len(shape)
    perm = [d for d in range(rank - 1) if d != axis] + [axis, rank - 1]
    moved = b.transpose(x, tuple(perm)) if perm != list(range(rank)) else x
    outer = [shape[d] for d in perm[:-2]]
    points, parts = shape[axis], shape[-1]
    rows = b.reshape(moved, (math.prod(outer), points * parts))
    matrix = transform_matrix(t, points, parts, window)
    b.reserve(matrix.shape, np.float32)
    product = b.op(OpType.FULLY_CONNECTED, [rows, b.const(matrix, name="dft_matrix")],
                   FullyConnectedParams())
    out_points, out_parts = t.out_size()
    result = b.reshape(product, (*outer, out_points, out_parts))
    back = [perm.index(d) for d in range(rank)]
    return b.transpose(result, tuple(back)) if back != list(range(rank)) else result
