"""Properties every pass shares: it returns a new graph, leaves its argument untouched, and
the pipeline lists every pass once in a working order."""
from __future__ import annotations

import numpy as np
import pytest

from emberlite.converter.passes import PIPELINE
from emberlite.converter.passes.fold_batchnorm import fold_batchnorm
from emberlite.converter.passes.fold_constants import fold_constants
from emberlite.converter.passes.fold_pad import fold_pad
from emberlite.converter.passes.fuse_activations import fuse_activations
from emberlite.converter.passes.infer_shapes import infer_shapes
from emberlite.converter.passes.remove_dead import remove_dead
from emberlite.converter.passes.split_wide_nodes import split_wide_nodes
from emberlite.converter.passes.to_nhwc import to_nhwc
from tests.converter.ir_builder import snapshot
from tests.converter.nhwc_graphs import torchvision_like_cnn


def test_pipeline_order():
    assert PIPELINE == [infer_shapes, fold_constants, to_nhwc, fold_pad, fold_batchnorm,
                        fuse_activations, remove_dead, split_wide_nodes]


@pytest.mark.parametrize("run", PIPELINE, ids=lambda f: f.__name__)
def test_pass_returns_new_graph_and_keeps_argument(run):
    graph = torchvision_like_cnn().build()
    graph.tensors["fc_w"].data.flags.writeable is False or pytest.fail("constants read-only")
    frozen = snapshot(graph)
    result = run(graph)
    assert result is not graph
    assert snapshot(graph) == frozen
    assert all(not t.is_constant or not t.data.flags.writeable for t in result.tensors.values())
    assert isinstance(result.tensors["image"].shape, tuple)
    np.testing.assert_array_equal(result.tensors["fc_w"].data, graph.tensors["fc_w"].data)
