"""LSTM, GRU and RNN, unrolled over the sequence at conversion (converter/importers/
onnx_recurrent_ops.py), against ONNX Runtime: torch's bidirectional two-layer LSTM with
run-time initial states (a CRNN's recogniser), a GRU keyword spotter after a Conv1d, and
single ONNX nodes for what torch does not emit (clip, layout 1, peepholes, a GRU without
linear_before_reset, Relu RNN), with constant and with run-time weights; malformed weights and
sequence lengths refused."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from conftest import require_module
from emberlite.converter import ModelImportError, UnsupportedOpsError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember

RNG = np.random.default_rng(17)


def _export(net: object, args: tuple, path: Path, names: list[str]) -> onnx.ModelProto:
    torch = require_module("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
        torch.onnx.export(net, args, str(path), input_names=names, opset_version=17,
                          dynamo=False)
    return onnx.load(str(path))


def test_torch_bidirectional_lstm_with_initial_states(tmp_path: Path) -> None:
    torch = require_module("torch")
    torch.manual_seed(0)

    class Recogniser(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(8, 16, num_layers=2, bidirectional=True,
                                      batch_first=True)
            self.head = torch.nn.Linear(32, 11)

        def forward(self, x, h0, c0):
            y, _ = self.lstm(x, (h0, c0))
            return self.head(y)

    shapes = [(2, 12, 8), (4, 2, 16), (4, 2, 16)]
    model = _export(Recogniser().eval(), tuple(torch.zeros(s) for s in shapes),
                    tmp_path / "lstm.onnx", ["x", "h0", "c0"])
    assert "LSTM" in {n.op_type for n in model.graph.node}
    feeds = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    assert_matches_ort(model, feeds, tol=1e-5)


def test_torch_gru_keyword_spotter(tmp_path: Path) -> None:
    """MFCC frames -> Conv1d along time -> MaxPool1d -> GRU -> its last state -> 12 keyword
    scores."""
    torch = require_module("torch")
    torch.manual_seed(1)

    class Spotter(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv1d(10, 16, 3, padding=1)
            self.pool = torch.nn.MaxPool1d(2)
            self.gru = torch.nn.GRU(16, 24, batch_first=True)
            self.head = torch.nn.Linear(24, 12)

        def forward(self, mfcc):
            features = self.pool(torch.relu(self.conv(mfcc))).transpose(1, 2)
            _, h = self.gru(features)
            return self.head(h[-1])

    model = _export(Spotter().eval(), (torch.zeros(1, 10, 20),), tmp_path / "kws.onnx",
                    ["mfcc"])
    assert {"GRU", "Conv", "MaxPool"} <= {n.op_type for n in model.graph.node}
    x = RNG.standard_normal((1, 10, 20)).astype(np.float32)
    assert_matches_ort(model, [x], tol=1e-5)


def _node_model(op: str, gates: int, hidden: int, attrs: dict, peepholes: bool = False,
                layout: int = 0, run_time: bool = False
                ) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    """One recurrent node; its weights, biases and peepholes initializers, or graph inputs
    fed after X and the states when `run_time`."""
    length, batch, size = 5, 3, 4
    directions = 2 if attrs.get("direction") == "bidirectional" else 1
    inits = {"W": RNG.standard_normal((directions, gates * hidden, size)) * 0.5,
             "R": RNG.standard_normal((directions, gates * hidden, hidden)) * 0.5,
             "B": RNG.standard_normal((directions, 2 * gates * hidden)) * 0.1}
    names = ["X", "W", "R", "B", "", "h0"]
    if op == "LSTM":
        names.append("c0")
        if peepholes:
            names.append("P")
            inits["P"] = RNG.standard_normal((directions, 3 * hidden)) * 0.3
    x_shape = (batch, length, size) if layout else (length, batch, size)
    state = (batch, directions, hidden) if layout else (directions, batch, hidden)
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, state)
               for n in ("h0", "c0") if n in names]
    if run_time:
        inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, v.shape)
                   for n, v in inits.items()]
    node = helper.make_node(op, names, ["Y", "Y_h"], hidden_size=hidden, layout=layout, **attrs)
    graph = helper.make_graph(
        [node], "recurrent", inputs,
        [helper.make_empty_tensor_value_info("Y"), helper.make_empty_tensor_value_info("Y_h")],
        [] if run_time else
        [numpy_helper.from_array(v.astype(np.float32), n) for n, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    feeds = [RNG.standard_normal(x_shape).astype(np.float32)]
    feeds += [RNG.standard_normal(state).astype(np.float32) for n in ("h0", "c0") if n in names]
    if run_time:
        feeds += [v.astype(np.float32) for v in inits.values()]
    return model, feeds


@pytest.mark.parametrize("run_time", [False, True], ids=["constant", "run-time-weights"])
@pytest.mark.parametrize("op,gates,attrs,peepholes,layout", [
    ("LSTM", 4, {"clip": 0.8}, False, 0),
    ("LSTM", 4, {"direction": "bidirectional"}, True, 1),
    ("LSTM", 4, {"direction": "reverse"}, True, 0),
    ("GRU", 3, {"linear_before_reset": 0}, False, 0),
    ("GRU", 3, {"linear_before_reset": 1, "direction": "bidirectional"}, False, 1),
    ("RNN", 1, {"activations": ["Relu"]}, False, 0),
    ("RNN", 1, {"direction": "bidirectional", "clip": 0.5}, False, 0),
    ("RNN", 1, {"direction": "reverse"}, False, 1),
])
def test_onnx_nodes_match_onnx_runtime(op: str, gates: int, attrs: dict, peepholes: bool,
                                       layout: int, run_time: bool) -> None:
    model, feeds = _node_model(op, gates, 6, attrs, peepholes, layout, run_time)
    if not layout:
        assert_matches_ort(model, feeds, tol=1e-5)
        return
    # ONNX Runtime runs no batch-first recurrent op: ONNX's reference evaluator instead
    # (which ignores clip, so no case here clips).
    got = run_ember(convert_onnx(model), feeds)
    names = [i.name for i in model.graph.input]
    want = ReferenceEvaluator(model).run(None, dict(zip(names, feeds)))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_padded_batches_and_bad_weights_are_refused() -> None:
    model, _ = _node_model("GRU", 3, 6, {})
    model.graph.initializer.append(numpy_helper.from_array(np.array([5, 3, 5], np.int32), "L"))
    model.graph.node[0].input[4] = "L"
    with pytest.raises(UnsupportedOpsError, match="sequence_lens shorter than the sequence"):
        convert_onnx(model)
    model, _ = _node_model("LSTM", 4, 6, {})
    model.graph.node[0].attribute[0].i = 5  # hidden_size no longer matches W
    with pytest.raises((UnsupportedOpsError, ModelImportError), match="W has shape"):
        convert_onnx(model)
    model, _ = _node_model("GRU", 3, 6, {}, run_time=True)
    model.graph.node[0].attribute[0].i = 5  # run-time R no longer fits hidden_size
    with pytest.raises((UnsupportedOpsError, ModelImportError), match="W has shape"):
        convert_onnx(model)
