"""ONNX Resize and Upsample as RESIZE on NHWC (converter/ops/resize.py).

Scales, sizes and roi may be constants or run-time tensors. A constant gives the output shape
here; a run-time one needs the output shape known at conversion (the declared output type or
ONNX shape inference), and the kernel reads the values at invoke, maps coordinates with the
given scales (ONNX's rule, not output / input) and checks they give the stored shape.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import replace
from typing import Callable, Literal

import numpy as np

from ..ir import TO_NCHW, TO_NHWC
from ..ops import OpType
from ..ops.resize import (AspectPolicy, CoordinateTransform, NearestRounding, ResizeMode,
                          ResizeOperand, ResizeParams)
from .graph_builder import Builder, Invalid, Unsupported, axis_index, runtime_output_shape
from .onnx_signature import Operand

Coordinates = Literal["half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel",
                      "half_pixel_symmetric", "tf_crop_and_resize"]
Rounding = Literal["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
Policy = Literal["stretch", "not_larger", "not_smaller"]
NHWC_AXIS = (0, 3, 1, 2)  # NCHW axis -> NHWC axis
_SIZES_TYPES = ("INT64", "INT32")


def _resize(b: Builder, x: str, out: list[int], scales: list[float], params: ResizeParams,
            extra: list[str]) -> str:
    """RESIZE of NCHW `x` to `out`; `scales` (per NCHW axis) map output to input coordinates;
    `extra`: the run-time operand and roi tensors the params name."""
    dims = b.shape(x)
    if out[:2] != list(dims[:2]) or scales[0] != 1 or scales[1] != 1:
        raise Unsupported(f"only H and W can be resized (N and C must keep scale 1), "
                          f"got output {out} from {list(dims)} (scales {scales})")
    params = replace(params, scale_h=scales[2], scale_w=scales[3])
    nhwc = (out[0], out[2], out[3], out[1])
    y = b.op(OpType.RESIZE, [b.transpose(x, TO_NHWC), *extra], params, shapes=[nhwc])
    return b.transpose(y, TO_NCHW)


def _check_4d(b: Builder, x: str) -> None:
    if b.rank(x) != 4:
        raise Unsupported(f"only 4D NCHW input is supported, got shape {b.shape(x)}")


def _check_positive(values: list[float], what: str) -> None:
    # A constant of a complex (or string) type lists values that are no real numbers.
    if not all(isinstance(v, numbers.Real) and math.isfinite(v) and v > 0 for v in values):
        raise Invalid(f"{what} must be finite and positive, got {values}")


def _present(b: Builder, value: np.ndarray | str | None) -> bool:
    """An input given and not empty (opset 11-12 pass an empty scales with sizes)."""
    if value is None:
        return False
    return (value.size if isinstance(value, np.ndarray) else math.prod(b.shape(value))) > 0


def _roi(b: Builder, roi: np.ndarray | str | None, picked: list[int],
         params: ResizeParams) -> tuple[ResizeParams, list[str]]:
    """tf_crop_and_resize's region: a constant into the params, a run-time one as an input."""
    k = len(picked)
    if not _present(b, roi):
        raise Invalid("coordinate_transformation_mode 'tf_crop_and_resize' needs roi")
    if isinstance(roi, str):
        if b.shape(roi) != (2 * k,) or b.dtype(roi).name != "FLOAT32":
            raise Unsupported(f"roi must be a float32 vector of {2 * k} values, got "
                              f"{b.dtype(roi).name.lower()} {list(b.shape(roi))}")
        return replace(params, runtime_roi=True), [roi]
    values = np.asarray(roi, np.float64).reshape(-1)
    if values.size != 2 * k or not np.all(np.isfinite(values)):
        raise Invalid(f"roi must hold {2 * k} finite values (starts, ends), got {values.tolist()}")
    spans = {a: (float(values[i]), float(values[k + i])) for i, a in enumerate(picked)}
    if any(spans.get(a, (0.0, 1.0)) != (0.0, 1.0) for a in (0, 1)):
        raise Unsupported(f"roi may crop only H and W, got {values.tolist()}")
    h, w = spans.get(2, (0.0, 1.0)), spans.get(3, (0.0, 1.0))
    return replace(params, roi_h_start=h[0], roi_h_end=h[1], roi_w_start=w[0],
                   roi_w_end=w[1]), []


def _constant_size(dims: tuple[int, ...], picked: list[int], given: np.ndarray, is_sizes: bool,
                   params: ResizeParams) -> tuple[list[int], list[float]]:
    """Output shape and coordinate scales (per NCHW axis) of constant scales or sizes."""
    out, scales = list(dims), [1.0] * 4
    values = given.reshape(-1).tolist()
    _check_positive(values, "sizes" if is_sizes else "scales")
    if is_sizes and params.aspect_policy != AspectPolicy.STRETCH:
        ratios = [np.float32(v) / np.float32(dims[a]) for a, v in zip(picked, values)]
        pick = min(ratios) if params.aspect_policy == AspectPolicy.NOT_LARGER else max(ratios)
        for a in picked:
            out[a], scales[a] = int(float(pick) * dims[a] + 0.5), float(pick)
        return out, scales
    for a, v in zip(picked, values):
        if is_sizes:
            out[a], scales[a] = int(v), float(np.float32(v) / np.float32(dims[a]))
        else:  # floor(in x scale) whatever the roi, as ONNX Runtime and ONNX's reference do
            out[a], scales[a] = math.floor(dims[a] * v + 1e-4), float(v)
    return out, scales


def _runtime_size(b: Builder, x: str, picked: list[int], given: str,
                  is_sizes: bool) -> tuple[list[int], list[float], list[str]]:
    """Output shape (declared, NCHW) and nominal scales (output / input) of a run-time
    operand."""
    want = _SIZES_TYPES if is_sizes else ("FLOAT32",)
    if b.shape(given) != (len(picked),) or b.dtype(given).name not in want:
        raise Unsupported(f"{'sizes' if is_sizes else 'scales'} must be a "
                          f"{' or '.join(w.lower() for w in want)} vector of {len(picked)} "
                          f"values, got {b.dtype(given).name.lower()} {list(b.shape(given))}")
    dims = b.shape(x)
    out = list(runtime_output_shape(b, "sizes" if is_sizes else "scales"))
    if len(out) != 4:
        raise Invalid(f"the output must be 4D, is declared {out}")
    scales = [1.0, 1.0] + [o / d if d > 0 and o > 0 else 1.0 for o, d in zip(out[2:], dims[2:])]
    return out, scales, [given]


def resize_11(b: Builder, x: str, roi: Operand | None = None, scales: Operand | None = None,
              sizes: Operand | None = None, *, antialias: Literal[0, 1] = 0,
              axes: list[int] | None = None,
              coordinate_transformation_mode: Coordinates = "half_pixel",
              cubic_coeff_a: float = -0.75, exclude_outside: Literal[0, 1] = 0,
              extrapolation_value: float = 0.0, keep_aspect_ratio_policy: Policy = "stretch",
              mode: Literal["nearest", "linear", "cubic"] = "nearest",
              nearest_mode: Rounding = "round_prefer_floor") -> str:
    _check_4d(b, x)
    dims = b.shape(x)
    picked = list(range(4)) if axes is None else [axis_index(a, 4) for a in axes]
    if len(set(picked)) != len(picked):
        raise Invalid(f"axes must be distinct, got {axes}")
    if _present(b, scales) == _present(b, sizes):
        raise Invalid("exactly one of scales and sizes must be given (and not empty)")
    if antialias and mode == "nearest":
        raise Invalid("antialias needs mode 'linear' or 'cubic'")
    is_sizes = _present(b, sizes)
    given = sizes if is_sizes else scales
    params = ResizeParams(ResizeMode[mode.upper()],
                          CoordinateTransform[coordinate_transformation_mode.upper()],
                          NearestRounding[nearest_mode.upper()],
                          cubic_coeff_a=float(cubic_coeff_a),
                          exclude_outside=bool(exclude_outside), antialias=bool(antialias),
                          extrapolation_value=float(extrapolation_value),
                          aspect_policy=AspectPolicy[keep_aspect_ratio_policy.upper()],
                          axes=tuple(NHWC_AXIS[a] for a in picked))
    extra: list[str] = []
    if params.coordinate_transform == CoordinateTransform.TF_CROP_AND_RESIZE:
        params, extra = _roi(b, roi, picked, params)
    if isinstance(given, str):
        out, full_scales, operand = _runtime_size(b, x, picked, given, is_sizes)
        params = replace(params, operand=ResizeOperand.SIZES if is_sizes
                         else ResizeOperand.SCALES)
        extra = operand + extra
        if out[:2] != list(dims[:2]):
            raise Unsupported(f"only H and W can be resized, the output is declared {out} "
                              f"from {list(dims)}")
    else:
        if given.size != len(picked):
            raise Invalid(f"scales or sizes must give one value per axis {picked}")
        out, full_scales = _constant_size(dims, picked, np.asarray(given), is_sizes, params)
    if not extra:
        params = replace(params, axes=())
    return _resize(b, x, out, full_scales, params, extra)


def _resize_asymmetric(b: Builder, x: str, scales: np.ndarray | str, mode: str) -> str:
    """Upsample and Resize-10: asymmetric coordinates, nearest rounds down."""
    _check_4d(b, x)
    params = ResizeParams(ResizeMode[mode.upper()], CoordinateTransform.ASYMMETRIC,
                          NearestRounding.FLOOR)
    if isinstance(scales, str):
        out, full, extra = _runtime_size(b, x, [0, 1, 2, 3], scales, False)
        if mode == "nearest" and any(o < d for o, d in zip(out[2:], b.shape(x)[2:])):
            raise Unsupported("nearest downsampling before opset 11 (its rounding is "
                              "unspecified)")
        params = replace(params, operand=ResizeOperand.SCALES, axes=NHWC_AXIS)
        return _resize(b, x, out, full, params, extra)
    values = np.asarray(scales).reshape(-1).tolist()
    if len(values) != 4:
        raise Invalid(f"scales must have 4 values, got {values}")
    _check_positive(values, "scales")
    if mode == "nearest" and min(values) < 1:
        raise Unsupported("nearest downsampling before opset 11 (its rounding is unspecified)")
    out = [math.floor(d * s) for d, s in zip(b.shape(x), values)]
    return _resize(b, x, out, [float(s) for s in values], params, [])


def upsample_7(b: Builder, x: str, *, scales: list[float],
               mode: Literal["nearest", "linear"] = "nearest") -> str:
    return _resize_asymmetric(b, x, np.asarray(scales, np.float64), mode)


def upsample_9(b: Builder, x: str, scales: Operand, *,
               mode: Literal["nearest", "linear"] = "nearest") -> str:
    return _resize_asymmetric(b, x, scales, mode)


RESIZE_OPS: dict[str | tuple[str, int], Callable[..., object]] = {
    "Upsample": upsample_7,
    ("Upsample", 9): upsample_9,
    ("Resize", 10): upsample_9,
    ("Resize", 11): resize_11,
}
