"""GRID_SAMPLE (csrc/kernels/grid_sample.c): ONNX GridSample against ONNX Runtime on random
4-D and 5-D images and grids reaching past the image, with every mode (linear, nearest,
cubic; the opset 16 names too), padding mode and align_corners; the C kernel against the
numpy reference (converter/ops/grid_sample.py) through the IR; malformed models refused with
node and reason. TFLite has no such op."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from emberlite.converter.ir import DType
from emberlite.converter.ops import OpType
from emberlite.converter.ops.grid_sample import (GridSampleMode, GridSampleParams,
                                                 GridSamplePadding)
from emberlite.errors import InvalidModelError
from tests.helpers import convert_onnx
from tests.kernels.select_models import check_onnx, onnx_model, run_ir

PADDINGS = ["zeros", "border", "reflection"]
# (X shape, grid shape): batches of 1 and 2, one to four channels, grids smaller and larger
# than the image, a single-pixel dim.
SHAPES_2D = [((1, 1, 4, 5), (1, 3, 6, 2)), ((2, 3, 5, 4), (2, 7, 2, 2)),
             ((1, 4, 1, 6), (1, 2, 5, 2)), ((2, 2, 8, 8), (2, 4, 4, 2))]
SHAPES_3D = [((1, 2, 3, 4, 5), (1, 2, 3, 4, 3)), ((2, 1, 4, 2, 3), (2, 3, 2, 2, 3))]


def _grid_sample(x: np.ndarray, grid: np.ndarray, opset: int = 22, name: str = "",
                 **attrs) -> object:
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], name=name, **attrs)
    return onnx_model(node, {"x": x, "grid": grid}, {}, {"y": np.float32}, opset)


def _inputs(x_shape: tuple, grid_shape: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(np.float32)
    grid = rng.uniform(-1.4, 1.4, grid_shape).astype(np.float32)  # past the edges too
    return x, grid


@pytest.mark.parametrize("align_corners", [0, 1])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("mode", ["linear", "nearest", "cubic"])
@pytest.mark.parametrize("shapes", SHAPES_2D, ids=str)
def test_2d_matches_onnx_runtime(shapes: tuple, mode: str, padding: str,
                                 align_corners: int) -> None:
    x, grid = _inputs(*shapes, seed=len(mode) + 7 * len(padding) + align_corners)
    model = _grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=align_corners)
    check_onnx(model, [x, grid], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("align_corners", [0, 1])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("mode", ["linear", "nearest"])
@pytest.mark.parametrize("shapes", SHAPES_3D, ids=str)
def test_3d_matches_onnx_runtime(shapes: tuple, mode: str, padding: str,
                                 align_corners: int) -> None:
    x, grid = _inputs(*shapes, seed=len(mode) + 7 * len(padding) + align_corners)
    model = _grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=align_corners)
    check_onnx(model, [x, grid], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_opset_16_names_match_onnx_runtime(mode: str) -> None:
    x, grid = _inputs((1, 2, 5, 6), (1, 4, 3, 2), seed=3)
    check_onnx(_grid_sample(x, grid, 16, mode=mode, padding_mode="border"), [x, grid],
               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", list(GridSampleMode))
@pytest.mark.parametrize("padding", list(GridSamplePadding))
@pytest.mark.parametrize("align_corners", [False, True])
def test_kernel_matches_the_numpy_reference(mode: GridSampleMode, padding: GridSamplePadding,
                                            align_corners: bool) -> None:
    """Far outside the image (reflected many times), exact pixel centres and halfway points
    (nearest's ties round to even), on a volume for every mode, cubic included."""
    x, grid = _inputs((2, 3, 3, 4, 5), (2, 2, 3, 4, 3), seed=int(mode) * 6 + int(padding))
    grid[0, 0] = np.float32(7.3)
    grid[0, 1, 0, :2] = [[-1.0, 1.0, 0.0], [-0.5, 0.25, 0.75]]
    (got,), (want,) = run_ir(OpType.GRID_SAMPLE, [x, grid], [((2, 3, 2, 3, 4), DType.FLOAT32)],
                             GridSampleParams(mode, padding, align_corners))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_onnx_malformed_nodes_are_refused_with_node_and_reason() -> None:
    x, grid = _inputs((1, 2, 4, 4), (1, 3, 3, 2), seed=0)
    with pytest.raises(ModelImportError, match=r"'gs' \(GridSample\): grid must be"):
        convert_onnx(_grid_sample(x, grid[..., :1], name="gs"))
    with pytest.raises(ModelImportError, match=r"'gs' \(GridSample\): grid must be"):
        convert_onnx(_grid_sample(x, np.concatenate([grid, grid]), name="gs"))
    with pytest.raises(UnsupportedOpsError, match=r"gs.*rank 3"):
        convert_onnx(_grid_sample(x[0], grid[0], name="gs"))
    with pytest.raises(UnsupportedOpsError, match=r"gs.*mode.*'area'"):
        convert_onnx(_grid_sample(x, grid, name="gs", mode="area"))


@pytest.mark.parametrize("x_shape,grid,out,message", [
    ((1, 2, 4, 4), ((1, 3, 3, 2), DType.FLOAT32), ((1, 2, 3, 4), DType.FLOAT32),
     "output 'y0' must be \\(N, C\\) of X then the grid's middle dims"),
    ((1, 2, 4, 4), ((1, 3, 3, 3), DType.FLOAT32), ((1, 2, 3, 3), DType.FLOAT32),
     "grid 'x1' must be \\(N, ..., 2\\)"),
    ((1, 2, 4, 4), ((2, 3, 3, 2), DType.FLOAT32), ((1, 2, 3, 3), DType.FLOAT32),
     "grid 'x1' must be"),
    ((2, 4, 4), ((2, 3, 2), DType.FLOAT32), ((2, 4, 3), DType.FLOAT32),
     "X 'x0' must be of rank 4 or 5, got 3"),
    ((1, 2, 4, 4), ((1, 3, 3, 2), DType.INT32), ((1, 2, 3, 3), DType.FLOAT32),
     "grid .*float32"),
])
def test_c_check_refuses_malformed_nodes(x_shape: tuple, grid: tuple, out: tuple,
                                         message: str) -> None:
    x = np.zeros(x_shape, np.float32)
    g = np.zeros(grid[0], grid[1].numpy)
    with pytest.raises(InvalidModelError, match=f"node 0 \\(grid_sample\\): {message}"):
        _run_unchecked(x, g, out)


def _run_unchecked(x: np.ndarray, grid: np.ndarray, out: tuple) -> None:
    """Writes the node as given (no converter shape inference) and loads it in C."""
    from emberlite.converter.ir import Graph, Node, Tensor
    from emberlite.converter.planner import plan_memory
    from emberlite.converter.writer import serialize
    from tests.helpers import run_ember

    tensors = {"x0": Tensor("x0", DType.FLOAT32, x.shape),
               "x1": Tensor("x1", DType.from_numpy(grid.dtype), grid.shape),
               "y0": Tensor("y0", out[1], out[0])}
    graph = Graph(tensors, [Node(OpType.GRID_SAMPLE, "grid_sample", ["x0", "x1"], ["y0"],
                                 GridSampleParams())], ["x0", "x1"], ["y0"])
    run_ember(serialize(graph, plan_memory(graph)), [x, grid])
