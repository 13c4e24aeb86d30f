"""torch.topk, torch.cumsum, F.one_hot, torch.remainder and torch.fmod exported by torch.onnx
(TopK, CumSum, OneHot, Mod with both fmod values) convert and match ONNX Runtime exactly."""
from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import onnx

from conftest import require_module
from helpers import convert_onnx, run_ember, run_ort


def test_torch_selection_ops_match_onnx_runtime() -> None:
    torch: Any = require_module("torch")

    class Select(torch.nn.Module):
        def forward(self, x: Any, idx: Any) -> tuple:
            values, indices = torch.topk(x, 3, dim=1, largest=False)
            hot = torch.nn.functional.one_hot(idx, 6).float()
            return (values, indices, torch.cumsum(x, dim=2), hot, torch.remainder(idx, -4),
                    torch.fmod(x, 0.7))

    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 5, 4, generator=gen).round(decimals=1)  # ties for topk
    idx = torch.randint(0, 6, (2, 5), generator=gen)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Select(), (x, idx), buf, opset_version=17, dynamo=False)
    model = onnx.load_from_string(buf.getvalue())
    assert {"TopK", "CumSum", "OneHot", "Mod"} <= {n.op_type for n in model.graph.node}
    inputs = [x.numpy(), idx.numpy()]
    got = run_ember(convert_onnx(model), inputs)
    want = run_ort(model, inputs)
    assert len(got) == len(want) == 6
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
