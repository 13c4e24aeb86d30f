"""Sparse TFLite constants (SparsityParameters) densified at conversion and DENSIFY folded
away: files built in the test from random matrices with zeros, encoded in DENSE and
SPARSE_CSR levels (row- and column-major traversal, 1x4 and 2x2 blocks, every index vector
type, a fully pruned weight), checked against LiteRT's DENSIFY, and sparse weights read by
a FULLY_CONNECTED against LiteRT on the same weights stored dense;
malformed sparsity metadata refused naming the tensor and what is wrong."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.errors import ModelImportError
from helpers import run_ember

from conftest import require_module
from tests.importers.tflite_files import ADD, CSR, DENSE, DENSIFY, FULLY_CONNECTED, TFLiteFile, \
    litert, sparsify

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="module", autouse=True)
def _tf() -> Any:
    require_module("ai_edge_litert")
    return require_module("tensorflow")


def _pruned(rng: np.random.Generator, shape: tuple[int, ...], keep: float = 0.4,
            block: tuple[int, ...] | None = None) -> np.ndarray:
    """Random values with most entries (or most blocks of `block`) zero."""
    w = rng.standard_normal(shape).astype(np.float32)
    if block is None:
        return w * (rng.random(shape) < keep)
    grid = tuple(s // b for s, b in zip(shape, block))
    mask = np.kron(rng.random(grid) < keep, np.ones(block))
    return (w * mask).astype(np.float32)


def _sparse_const(f: TFLiteFile, dense: np.ndarray, **encoding: Any) -> int:
    values, sp = sparsify(dense, **encoding)
    t = f.tensor(dense.shape, values, name="sparse")
    f.tensors[t].sparsity = sp
    return t


def densify_file(dense: np.ndarray, **encoding: Any) -> bytes:
    """x + DENSIFY(sparse constant)."""
    f = TFLiteFile()
    x, w, y = f.tensor(dense.shape, name="x"), f.tensor(dense.shape, name="w"), \
        f.tensor(dense.shape, name="y")
    f.op(DENSIFY, [_sparse_const(f, dense, **encoding)], [w])
    f.op(ADD, [x, w], [y])
    return f.bytes([x], [y])


def fc_file(dense: np.ndarray, **encoding: Any) -> bytes:
    """FULLY_CONNECTED with weights [out, in], sparse when an encoding is given."""
    f = TFLiteFile()
    x, y = f.tensor((3, dense.shape[1]), name="x"), f.tensor((3, dense.shape[0]), name="y")
    w = _sparse_const(f, dense, **encoding) if encoding else f.const(dense)
    f.op(FULLY_CONNECTED, [x, w, -1], [y])
    return f.bytes([x], [y])


ENCODINGS: dict[str, tuple[tuple[int, ...], dict, tuple[int, ...] | None]] = {
    "rows_csr": ((4, 6), dict(order=[0, 1], formats=[DENSE, CSR]), None),
    "columns_csr_uint8": ((4, 6), dict(order=[1, 0], formats=[DENSE, CSR],
                                       index_type=np.uint8), None),
    "both_csr_uint16": ((5, 7), dict(order=[0, 1], formats=[CSR, CSR],
                                     index_type=np.uint16), None),
    "blocks_1x4": ((4, 8), dict(order=[0, 1, 2], formats=[DENSE, CSR, DENSE],
                                block_map=(1,), blocks=(4,)), (1, 4)),
    "blocks_2x2_column_major": ((4, 6), dict(order=[1, 0, 2, 3],
                                             formats=[DENSE, CSR, DENSE, DENSE],
                                             block_map=(0, 1), blocks=(2, 2)), (2, 2)),
    "three_d": ((2, 3, 4), dict(order=[2, 0, 1], formats=[CSR, DENSE, CSR]), None),
    "all_dense": ((3, 4), dict(order=[0, 1], formats=[DENSE, DENSE]), None),
}


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_densify_matches_litert(name: str) -> None:
    shape, encoding, block = ENCODINGS[name]
    rng = np.random.default_rng(len(name))
    dense = _pruned(rng, shape, block=block)
    assert 0 < np.count_nonzero(dense) < dense.size
    data = densify_file(dense, **encoding)
    x = rng.standard_normal(shape).astype(np.float32)
    got = run_ember(Converter.from_tflite(data).convert(), [x])[0]
    want = litert(data, [x])[0]
    np.testing.assert_array_equal(got, want)


def test_fully_pruned_weight_is_zeros() -> None:
    dense = np.zeros((3, 4), np.float32)
    data = densify_file(dense, order=[0, 1], formats=[DENSE, CSR])
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    got = run_ember(Converter.from_tflite(data).convert(), [x])[0]
    np.testing.assert_array_equal(got, litert(data, [x])[0])


@pytest.mark.parametrize("name", ["rows_csr", "blocks_1x4"])
def test_sparse_fully_connected_matches_litert_dense(name: str) -> None:
    """Sparse weights read directly by a FULLY_CONNECTED (no DENSIFY). LiteRT 2.3's sparse
    FULLY_CONNECTED gives NaNs on these files, so the reference is LiteRT on the same model
    with the weights stored dense."""
    rng = np.random.default_rng(7)
    shape, encoding, block = ENCODINGS[name]
    dense = _pruned(rng, (8, 8), block=block)
    data = fc_file(dense, **encoding)
    x = rng.standard_normal((3, 8)).astype(np.float32)
    got = run_ember(Converter.from_tflite(data).convert(), [x])[0]
    want = litert(fc_file(dense), [x])[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


# --- malformed ------------------------------------------------------------------------------
def _meta(level: int, **fields: Any) -> Any:
    def edit(sp: Any) -> None:
        for k, v in fields.items():
            setattr(sp.dimMetadata[level], k, v)
    return edit


def _vector_values(level: int, field: str, values: list[int]) -> Any:
    def edit(sp: Any) -> None:
        getattr(sp.dimMetadata[level], field).values = values
    return edit


MALFORMED = {
    "traversal_too_short": (lambda sp: setattr(sp, "traversalOrder", [0]),
                            r"traversal_order has 1 dims, expected 2 \+ 0"),
    "traversal_not_a_permutation": (lambda sp: setattr(sp, "traversalOrder", [1, 1]),
                                    r"traversal_order \[1, 1\] must list the 2 dims"),
    "metadata_missing": (lambda sp: setattr(sp, "dimMetadata", sp.dimMetadata[:1]),
                         r"dim_metadata has 1 entries, expected 2"),
    "dense_size_wrong": (_meta(0, denseSize=5), r"dim_metadata 0 has dense_size 5, "
                                                 r"expected 4"),
    "segments_short": (_vector_values(1, "arraySegments", [0, 1, 2]),
                       r"array_segments has 3 entries, expected 5"),
    "segments_falling": (_vector_values(1, "arraySegments", [0, 3, 2, 4, 6]),
                         r"array_segments must rise from 0"),
    "index_out_of_range": (_vector_values(1, "arrayIndices", [9] * 12),
                           r"array_indices must be in \[0, 6\)"),
    "indices_missing": (_meta(1, arrayIndicesType=0, arrayIndices=None),
                        r"array_indices is missing"),
    "repeated_index": (_vector_values(1, "arrayIndices", [0, 0, 2] + [0, 2, 4] * 3),
                       r"two stored values fall on the same element"),
    "unknown_format": (_meta(1, format=7), r"dim_metadata 1 has format 7"),
    "block_dim_sparse": (None, r"dim_metadata 2 is a block dim: it must be DENSE"),
    "block_not_dividing": (None, r"block size 4 does not divide dim 1 of size 6"),
    "block_map_out_of_range": (None, r"block_map \[2\] must name distinct dims"),
}


def _malformed_file(name: str) -> bytes:
    edit, _ = MALFORMED[name]
    dense = np.zeros((4, 6), np.float32)
    dense[:, ::2] = np.arange(12, dtype=np.float32).reshape(4, 3) + 1  # 3 stored per row
    encoding: dict[str, Any] = dict(order=[0, 1], formats=[DENSE, CSR])
    f = TFLiteFile()
    x, w, y = (f.tensor((4, 6), name=n) for n in ("x", "w", "y"))
    if name.startswith("block"):
        dense = np.ones((4, 8), np.float32)
        encoding = dict(order=[0, 1, 2], formats=[DENSE, CSR, DENSE], block_map=(1,),
                        blocks=(4,))
        x, w, y = (f.tensor((4, 8), name=n) for n in ("x2", "w2", "y2"))
    t = _sparse_const(f, dense, **encoding)
    sp = f.tensors[t].sparsity
    if name == "block_dim_sparse":
        sp.dimMetadata[2].format = CSR
    elif name == "block_not_dividing":
        sp.dimMetadata[2].denseSize = 4
        f.tensors[t].shape = [4, 6]
    elif name == "block_map_out_of_range":
        sp.blockMap = [2]
    else:
        edit(sp)
    f.op(DENSIFY, [t], [w])
    f.op(ADD, [x, w], [y])
    return f.bytes([x], [y])


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_sparsity_refused(name: str) -> None:
    data = _malformed_file(name)
    with pytest.raises(ModelImportError, match=r"tensor \d+ \('sparse'\) is sparse, and "
                       r"malformed: .*" + MALFORMED[name][1]):
        Converter.from_tflite(data).convert()


def test_values_count_mismatch_refused() -> None:
    f = TFLiteFile()
    dense = np.eye(3, dtype=np.float32)
    x, w, y = (f.tensor((3, 3), name=n) for n in ("x", "w", "y"))
    values, sp = sparsify(dense, [0, 1], [DENSE, CSR])
    t = f.tensor((3, 3), np.concatenate([values, values]), name="sparse")
    f.tensors[t].sparsity = sp
    f.op(DENSIFY, [t], [w])
    f.op(ADD, [x, w], [y])
    with pytest.raises(ModelImportError, match=r"describes 3 stored values, the buffer holds 6"):
        Converter.from_tflite(f.bytes([x], [y])).convert()


def test_densify_of_run_time_tensor_refused() -> None:
    f = TFLiteFile()
    x, y = f.tensor((2, 2), name="x"), f.tensor((2, 2), name="y")
    f.op(DENSIFY, [x], [y])
    with pytest.raises(UnsupportedOpsError, match=r"operator 0.*DENSIFY of a run-time tensor"):
        Converter.from_tflite(f.bytes([x], [y])).convert()


def test_densify_output_shape_mismatch_refused() -> None:
    f = TFLiteFile()
    dense = np.eye(3, dtype=np.float32)
    x, w, y = f.tensor((3, 3), name="x"), f.tensor((9,), name="w"), f.tensor((3, 3), name="y")
    f.op(DENSIFY, [_sparse_const(f, dense, order=[0, 1], formats=[DENSE, CSR])], [w])
    f.op(ADD, [x, f.const(np.ones((3, 3), np.float32))], [y])
    with pytest.raises(UnsupportedOpsError, match=r"operator 0.*the output is FLOAT32 \[9\], "
                       r"the input FLOAT32 \[3, 3\]"):
        Converter.from_tflite(f.bytes([x], [y])).convert()


def test_sparse_tensor_without_buffer_refused() -> None:
    f = TFLiteFile()
    x, y = f.tensor((3, 3), name="x"), f.tensor((3, 3), name="y")
    _, sp = sparsify(np.eye(3, dtype=np.float32), [0, 1], [DENSE, CSR])
    f.tensors[x].sparsity = sp
    f.op(ADD, [x, x], [y])
    with pytest.raises(ModelImportError, match=r"tensor 0 \('x'\) is sparse but has no buffer"):
        Converter.from_tflite(f.bytes([x], [y])).convert()


def test_huge_sparse_shape_charged_to_the_budget() -> None:
    from emberlite.converter.errors import EmberError

    f = TFLiteFile()
    values, sp = sparsify(np.eye(3, dtype=np.float32), [0, 1], [DENSE, CSR])
    sp.dimMetadata[0].denseSize = 1 << 20
    t = f.tensor((1 << 20, 1 << 12), values, name="sparse")
    f.tensors[t].sparsity = sp
    x, y = f.tensor((1,), name="x"), f.tensor((1,), name="y")
    f.op(ADD, [x, x], [y])
    with pytest.raises(EmberError, match=r"tensor 0 \('sparse'\) \(sparse\).*budget"):
        Converter.from_tflite(f.bytes([x], [y])).convert()
