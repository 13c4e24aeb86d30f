"""ONNX DFT (opsets 17 and 20) and STFT as constant-matrix products (spectral.py), in the
conventions of onnx_ops.py (annotations are the contract the importer's pre-scan reads). The
length, axis, frame step, frame length and window must be constant: they fix the matrix."""
from __future__ import annotations

import numpy as np

from ..ir import DType
from ..ops import OpType
from ..ops.gather import GatherParams
from .graph_builder import Builder, Invalid, Unsupported, axis_index
from .spectral import MAX_LENGTH, Transform, transform_axis

# Frames one STFT cuts from its signal (each a row of the gathered matrix).
MAX_FRAMES = 65536


def _scalar(value: np.ndarray | None, what: str, default: int) -> int:
    if value is None:
        return default
    if value.size != 1 or not np.issubdtype(value.dtype, np.integer):
        raise Invalid(f"{what} must be one integer, got {value.dtype} of shape "
                      f"{list(value.shape)}")
    return int(value.reshape(-1)[0])


def _signal(b: Builder, x: str, what: str) -> tuple[int, ...]:
    shape = b.shape(x)
    if b.dtype(x) != DType.FLOAT32:
        raise Unsupported(f"{what} of type {b.dtype(x).name.lower()}: float32 is supported")
    if len(shape) < 2 or shape[-1] not in (1, 2):
        raise Invalid(f"{what} must end in a dimension of 1 (real) or 2 (complex), got "
                      f"{list(shape)}")
    return shape


def _dft(b: Builder, x: str, length: np.ndarray | None, axis: int, inverse: int,
         onesided: int) -> str:
    shape = _signal(b, x, "input")
    rank = len(shape)
    a = axis_index(axis, rank)
    if a == rank - 1:
        raise Invalid(f"axis {axis} is the (real, imaginary) dimension")
    if onesided and shape[-1] == 2 and not inverse:
        raise Invalid("onesided needs a real input")
    default = 2 * (shape[a] - 1) if inverse and onesided else shape[a]
    n = _scalar(length, "dft_length", default)
    if not 1 <= n <= MAX_LENGTH:
        raise Unsupported(f"dft_length {n}: 1 to {MAX_LENGTH} are supported")
    return transform_axis(b, x, a, Transform(n, bool(inverse), bool(onesided)))


def dft_17(b: Builder, x: str, dft_length: np.ndarray | None = None, *, axis: int = 1,
           inverse: int = 0, onesided: int = 0) -> str:
    return _dft(b, x, dft_length, axis, inverse, onesided)


def dft_20(b: Builder, x: str, dft_length: np.ndarray | None = None,
           axis: np.ndarray | None = None, *, inverse: int = 0, onesided: int = 0) -> str:
    return _dft(b, x, dft_length, _scalar(axis, "axis", -2), inverse, onesided)


def stft(b: Builder, signal: str, frame_step: np.ndarray, window: np.ndarray | None = None,
         frame_length: np.ndarray | None = None, *, onesided: int = 1) -> str:
    """[batch, length, parts] -> [batch, frames, bins, 2]: the frames gathered at once by
    constant indices, each windowed and transformed by one matrix."""
    shape = _signal(b, signal, "signal")
    if len(shape) != 3:
        raise Invalid(f"signal must be [batch, length, 1 or 2], got {list(shape)}")
    batch, length, parts = shape
    if window is not None and window.ndim != 1:
        raise Invalid(f"window must be 1-D, got shape {list(window.shape)}")
    size = _scalar(frame_length, "frame_length", window.size if window is not None else 0)
    step = _scalar(frame_step, "frame_step", 0)
    if size < 1 or step < 1 or size > length:
        raise Invalid(f"frame_length {size} and frame_step {step} must be positive, the "
                      f"frame no longer than the signal ({length})")
    if window is not None and window.size != size:
        raise Invalid(f"window has {window.size} points, the frame {size}")
    if onesided and parts == 2:
        raise Invalid("onesided needs a real signal")
    frames = (length - size) // step + 1
    if frames > MAX_FRAMES:
        raise Unsupported(f"{frames} frames: at most {MAX_FRAMES} are supported")
    starts = np.arange(frames, dtype=np.int32)[:, None] * step
    index = b.const(starts + np.arange(size, dtype=np.int32), name="frame_index")
    cut = b.op(OpType.GATHER, [signal, index], GatherParams(1), dtype=DType.FLOAT32)
    weights = None if window is None else np.asarray(window, np.float64)
    return transform_axis(b, cut, 2, Transform(size, onesided=bool(onesided)), weights)


SPECTRAL_OPS = {
    ("DFT", 17): dft_17,
    ("DFT", 20): dft_20,
    ("STFT", 17): stft,
}
