"""TFLite WHILE and IF inlined at conversion (converter/importers/tflite_control_flow.py):
Keras 3 LSTMs (all steps and the last; two stacked, the first backwards), a Bidirectional
LSTM, a GRU and a SimpleRNN, which TF 2.21's converter turns into WHILE loops, and
tf.while_loops of a fixed trip count (one with an IF on the counter in its body, one nested
in another) run by Emberlite and LiteRT on the same inputs, within 1e-4 x max |output|; a
loop of a run-time trip count, an IF of a run-time condition, a loop past the step limit and
malformed WHILEs (a body or cond subgraph with the wrong number of outputs) refused with the
operator and the reason."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from emberlite.converter import Converter, ModelImportError, UnsupportedOpsError
from emberlite.converter.importers import tflite_control_flow
from emberlite.converter.importers.tflite_reader import read_tflite
from conftest import require_module
from helpers import max_rel_diff, run_ember
from tests.importers.tflite_files import litert

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
TOL = 1e-4
SHAPE = (2, 6, 3)      # batch, steps, features of the Keras models
LOOP_SHAPE = (2, 3)    # the tf.while_loop functions' input


@pytest.fixture(scope="module")
def tf() -> Any:
    require_module("ai_edge_litert")
    return require_module("tensorflow")


def _keras(tf: Any, *layers: Any) -> bytes:
    inp = tf.keras.Input(SHAPE[1:], batch_size=SHAPE[0])
    y = inp
    for layer in layers:
        y = layer(y)
    model = tf.keras.Model(inp, y)
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def _from_fn(tf: Any, fn: Callable) -> bytes:
    concrete = tf.function(fn).get_concrete_function(tf.TensorSpec(LOOP_SHAPE, tf.float32))
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()


@pytest.fixture(scope="module")
def keras_files(tf: Any) -> dict[str, bytes]:
    """Built once: each conversion takes seconds."""
    tf.keras.utils.set_random_seed(3)
    layers = tf.keras.layers
    return {
        "lstm_sequences": _keras(tf, layers.LSTM(5, return_sequences=True)),
        "lstm_last": _keras(tf, layers.LSTM(4)),
        "bidirectional_lstm": _keras(tf, layers.Bidirectional(
            layers.LSTM(3, return_sequences=True))),
        "gru": _keras(tf, layers.GRU(4, return_sequences=True)),
        "backwards_stacked_lstms": _keras(tf, layers.LSTM(5, return_sequences=True,
                                                       go_backwards=True), layers.LSTM(4)),
        "simple_rnn": _keras(tf, layers.SimpleRNN(6, return_sequences=True)),
    }


def _loop_fns(tf: Any) -> dict[str, Callable]:
    def fixed(x: Any) -> Any:
        return tf.while_loop(lambda i, x: i < 6, lambda i, x: (i + 1, x * 0.9 + tf.sin(x)),
                             (tf.constant(0), x))[1]

    def if_on_counter(x: Any) -> Any:
        def body(i: Any, x: Any) -> Any:
            return i + 1, tf.cond(i % 2 == 0, lambda: x * 2.0, lambda: tf.tanh(x) + 1.0)
        return tf.while_loop(lambda i, x: i < 5, body, (tf.constant(0), x))[1]

    def nested(x: Any) -> Any:
        def inner(x: Any) -> Any:
            return tf.while_loop(lambda j, x: j < 3, lambda j, x: (j + 1, tf.tanh(x) * 1.5),
                                 (tf.constant(0), x))[1]
        return tf.while_loop(lambda i, x: i < 4, lambda i, x: (i + 1, inner(x) + x),
                             (tf.constant(0), x))[1]

    def run_time_count(x: Any) -> Any:
        n = tf.cast(tf.reduce_sum(tf.abs(x)), tf.int32)
        return tf.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, x * 0.5),
                             (tf.constant(0), x))[1]

    def run_time_if(x: Any) -> Any:
        return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)

    return {f.__name__: f for f in (fixed, if_on_counter, nested, run_time_count, run_time_if)}


@pytest.fixture(scope="module")
def loop_files(tf: Any) -> dict[str, bytes]:
    return {name: _from_fn(tf, fn) for name, fn in _loop_fns(tf).items()}


def _ops(data: bytes) -> list[set[str]]:
    """The operator names of each subgraph."""
    return [{op.op_name for op in sub.operators} for sub in read_tflite(data).subgraphs]


def _assert_matches_litert(data: bytes, x: np.ndarray) -> None:
    got, want = run_ember(Converter.from_tflite(data).convert(), [x]), litert(data, [x])
    assert len(got) == len(want) == 1
    assert got[0].shape == want[0].shape
    assert np.abs(want[0]).max() > 1e-3, "the reference output is all but zero"
    err = max_rel_diff(got[0], want[0])
    assert err <= TOL, f"max|diff| / max|ref| = {err:.3g} > {TOL}"


@pytest.mark.parametrize("name", ["lstm_sequences", "lstm_last", "bidirectional_lstm", "gru",
                                  "backwards_stacked_lstms", "simple_rnn"])
def test_keras_recurrent_layers_match_litert(keras_files: dict[str, bytes], name: str) -> None:
    data = keras_files[name]
    assert "WHILE" in _ops(data)[0]
    _assert_matches_litert(data, np.random.default_rng(7).standard_normal(SHAPE)
                           .astype(np.float32))


@pytest.mark.parametrize("name, inner_op", [("fixed", None), ("if_on_counter", "IF"),
                                            ("nested", "WHILE")])
def test_fixed_count_loops_match_litert(loop_files: dict[str, bytes], name: str,
                                        inner_op: str | None) -> None:
    data = loop_files[name]
    ops = _ops(data)
    assert "WHILE" in ops[0]
    assert inner_op is None or any(inner_op in sub for sub in ops[1:]), ops
    _assert_matches_litert(data, np.random.default_rng(8).standard_normal(LOOP_SHAPE)
                           .astype(np.float32))


@pytest.mark.parametrize("name, op, reason", [
    ("run_time_count", "WHILE", r"loop condition \(cond subgraph \d\) depends on run-time "
                                r"values at step 0"),
    ("run_time_if", "IF", "IF with a run-time condition"),
])
def test_run_time_conditions_are_refused(loop_files: dict[str, bytes], name: str, op: str,
                                         reason: str) -> None:
    with pytest.raises(UnsupportedOpsError, match=reason) as info:
        Converter.from_tflite(loop_files[name]).convert()
    [(label, op_name, _)] = info.value.problems
    assert label.startswith("operator ") and op_name == op


def test_a_loop_past_the_step_limit_is_refused(loop_files: dict[str, bytes],
                                               monkeypatch: Any) -> None:
    """The 6 steps of `fixed` under a limit of 5 (the limit is 4,096: a loop that long takes
    seconds to unroll)."""
    monkeypatch.setattr(tflite_control_flow, "MAX_STEPS", 5)
    with pytest.raises(UnsupportedOpsError, match="more than 5 steps") as info:
        Converter.from_tflite(loop_files["fixed"]).convert()
    assert info.value.problems[0][:2] == ("operator 0", "WHILE")


# Subgraph table slots: inputs 6, outputs 8; a vector's length sits 4 bytes before it.
def _patched(data: bytes, pos: int, value: int) -> bytes:
    out = bytearray(data)
    out[pos:pos + 4] = int(value).to_bytes(4, "little")
    return bytes(out)


def _outputs_length(data: bytes, subgraph: int) -> tuple[int, int]:
    """The file position of a subgraph's output count, and the count."""
    import tflite

    sg = tflite.Model.GetRootAs(data, 0).Subgraphs(subgraph)
    return sg._tab.Vector(sg._tab.Offset(8)) - 4, sg.OutputsLength()


@pytest.mark.parametrize("which, match", [
    ("body", r"body subgraph \d's outputs \(1\) must be as many"),
    ("cond", r"cond subgraph \d must have 1 output \(it has 0\)"),
])
def test_malformed_while_is_refused(loop_files: dict[str, bytes], which: str,
                                    match: str) -> None:
    """A body that returns fewer values than the loop carries, a cond that returns none."""
    data = loop_files["fixed"]
    model = read_tflite(data)
    [loop] = model.operators
    index = (loop.options.BodySubgraphIndex() if which == "body"
             else loop.options.CondSubgraphIndex())
    pos, count = _outputs_length(data, index)
    assert count == (2 if which == "body" else 1)
    with pytest.raises(ModelImportError, match=match) as info:
        Converter.from_tflite(_patched(data, pos, count - 1)).convert()
    assert str(info.value).startswith("operator 0 (WHILE): ")
