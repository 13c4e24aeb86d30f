"""TFLite UNIDIRECTIONAL_SEQUENCE_LSTM and BIDIRECTIONAL_SEQUENCE_LSTM, unrolled at conversion:
files built in the test with every option (CIFG, peepholes, projection with and without bias,
layer norm, cell and projection clip, the fused activations but NONE, both layouts, merged
and separate bidirectional outputs; states other than variable tensors refused, as LiteRT
refuses them) checked against
LiteRT within 1e-4 x max |output|; a Keras LSTM and GRU, which TF 2.21's converter lowers to a
WHILE loop rather than a sequence op (unrolled at conversion, and by Keras with unroll=True),
checked the same way;
LSTM functions marked as Keras 2 marks its layer's, which TF's converter fuses into
UNIDIRECTIONAL_SEQUENCE_LSTM (batch- and time-major, the last output, stacked, a
bidirectional pair), against LiteRT; malformed operators refused by operator index and
reason."""
from __future__ import annotations

import os
import uuid
from typing import Any

import numpy as np
import pytest

from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.errors import EmberError, ModelImportError
from helpers import max_rel_diff, run_ember

from conftest import require_module
from tests.importers.tflite_files import NONE, RELU, RELU6, RELU_N1_TO_1, TFLiteFile, \
    litert, lstm_file, random_array, schema

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
TOL = 1e-4


@pytest.fixture(scope="module", autouse=True)
def _tf() -> Any:
    require_module("ai_edge_litert")
    return require_module("tensorflow")


def _assert_matches_litert(data: bytes, feeds: list[np.ndarray],
                           want: list[np.ndarray] | None = None) -> None:
    got = run_ember(Converter.from_tflite(data).convert(), feeds)
    want = want or litert(data, feeds)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, f"output {i}: {g.shape} != {w.shape}"
        assert np.abs(w).max() > 1e-3, "the reference output is all but zero"
        err = max_rel_diff(g, w)
        assert err <= TOL, f"output {i}: max|diff| / max|ref| = {err:.3g} > {TOL}"


CASES = {
    "plain": {},
    "time_major": dict(time_major=True),
    "one_step_batch_one": dict(steps=1, batch=1),
    "long": dict(steps=40, hidden=8, size=6),
    "cifg": dict(cifg=True),
    "peephole": dict(peephole=True),
    "cifg_peephole": dict(cifg=True, peephole=True),
    "projection": dict(out=3),
    "projection_no_bias_clipped": dict(out=2, proj_bias=False, proj_clip=0.3),
    "cell_clip": dict(cell_clip=0.2, seed=3),
    "layer_norm": dict(layer_norm=True),
    "layer_norm_cifg_peephole_projection": dict(layer_norm=True, cifg=True, peephole=True,
                                                out=3),
    "norm_slots_absent": dict(norm_slots=True),
    "relu": dict(act=RELU),
    "relu6": dict(act=RELU6),
    "relu_n1_to_1": dict(act=RELU_N1_TO_1),
    "bidirectional": dict(bidi=True),
    "bidirectional_time_major_merged": dict(bidi=True, merge=True, time_major=True),
    "bidirectional_merged": dict(bidi=True, merge=True),
    "bidirectional_peephole_projection_merged": dict(bidi=True, peephole=True, out=3,
                                                     cell_clip=0.5, merge=True),
    "bidirectional_cifg_time_major": dict(bidi=True, cifg=True, time_major=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_lstm_matches_litert(name: str) -> None:
    case = CASES[name]
    data, feeds = lstm_file(**case)
    want = None
    if case.get("merge") and not case.get("time_major"):
        # LiteRT's merged batch-major output has one direction's half overwritten by
        # whatever its memory held (a different half from one process to the next): the
        # reference is its two separate outputs of the same weights, side by side.
        want = [np.concatenate(litert(lstm_file(**{**case, "merge": False})[0], feeds), -1)]
    _assert_matches_litert(data, feeds, want)


# --- TF's converter fusing an LSTM function ---------------------------------------------------
def _fusable_lstm(tf: Any, time_major: bool, go_backwards: bool) -> Any:
    """An LSTM tf.function marked as Keras 2's layer marks its own (an `api_implements` of
    "lstm_<id>" with time_major and go_backwards): TF's converter replaces its body by one
    UNIDIRECTIONAL_SEQUENCE_LSTM, as it does for a tf_keras LSTM. The body computes the same
    (gates i, f, c, o), so TF runs the model too."""
    attributes = {"api_implements": f"lstm_{uuid.uuid4()}", "api_preferred_device": "CPU",
                  "time_major": time_major, "go_backwards": go_backwards}

    @tf.function(experimental_attributes=attributes)
    def lstm(inputs: Any, init_h: Any, init_c: Any, kernel: Any, recurrent_kernel: Any,
             bias: Any) -> tuple:
        steps = inputs if time_major else tf.transpose(inputs, [1, 0, 2])
        if go_backwards:
            steps = tf.reverse(steps, [0])

        def step(state: tuple, x: Any) -> tuple:
            h, c = state
            z = tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel) + bias
            i, f, g, o = tf.split(z, 4, axis=1)
            c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
            return tf.sigmoid(o) * tf.tanh(c), c

        hs, cs = tf.scan(step, steps, initializer=(init_h, init_c))
        outputs = hs if time_major else tf.transpose(hs, [1, 0, 2])
        return hs[-1], outputs, hs[-1], cs[-1], tf.constant(0.0)
    return lstm


def _fused_model(tf: Any, tmp: Any, case: str) -> tuple[bytes, Any, tuple[int, ...]]:
    rng = np.random.default_rng(len(case))
    batch, steps, size, hidden = 2, 6, 3, 5
    time_major = case == "time_major"
    shape = (steps, batch, size) if time_major else (batch, steps, size)

    def weights(inputs: int) -> list[Any]:
        return [tf.constant(random_array(rng, *dims)) for dims in
                ((inputs, 4 * hidden), (hidden, 4 * hidden), (4 * hidden,))]

    layers = {"sequences": [(False, size)], "time_major": [(False, size)],
              "last": [(False, size)], "stacked": [(False, size), (False, hidden)],
              "bidirectional": [(False, size), (True, size)]}[case]
    cells = [(_fusable_lstm(tf, time_major, backwards), weights(inputs))
             for backwards, inputs in layers]

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)])
    def model(x: Any) -> Any:
        zeros = tf.zeros((batch, hidden))
        if case == "bidirectional":
            (fw, wf), (bw, wb) = cells
            forward = fw(x, zeros, zeros, *wf)[1]
            backward = tf.reverse(bw(x, zeros, zeros, *wb)[1], [1])
            return tf.concat([forward, backward], -1)
        y = x
        for lstm, w in cells:
            last, y, _, _, _ = lstm(y, zeros, zeros, *w)
        return last if case == "last" else y

    module = tf.Module()
    module.model = model
    tf.saved_model.save(module, str(tmp), signatures=model.get_concrete_function())
    return tf.lite.TFLiteConverter.from_saved_model(str(tmp)).convert(), model, shape


@pytest.mark.parametrize("case", ["sequences", "time_major", "last", "stacked",
                                  "bidirectional"])
def test_converter_fused_lstm_matches_litert(_tf: Any, tmp_path: Any, case: str) -> None:
    data, model, shape = _fused_model(_tf, tmp_path / "saved", case)
    ops = _op_names(data)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in ops and "WHILE" not in ops, ops
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    want = litert(data, [x])
    assert max_rel_diff(want[0], model(x).numpy()) <= TOL  # LiteRT runs what TF computes
    _assert_matches_litert(data, [x], want)


# --- Keras ----------------------------------------------------------------------------------
def _keras_tflite(tf: Any, layers: list[Any], shape: tuple[int, ...]) -> bytes:
    inp = tf.keras.Input(shape[1:], batch_size=shape[0])
    y = inp
    for layer in layers:
        y = layer(y)
    converter = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, y))
    return converter.convert()


def _op_names(data: bytes) -> set[str]:
    from emberlite.converter.importers.tflite_reader import read_tflite

    return {op.op_name for op in read_tflite(data).operators}


def test_keras_lstm_emits_a_while_loop(_tf: Any) -> None:
    """What TF 2.21 makes of a Keras 3 LSTM: a WHILE loop (not a sequence op), unrolled at
    conversion (test_tflite_control_flow.py tests the loops further)."""
    tf = _tf
    data = _keras_tflite(tf, [tf.keras.layers.LSTM(4, return_sequences=True)], (2, 5, 3))
    assert "WHILE" in _op_names(data)
    _assert_matches_litert(data, [np.random.default_rng(2).standard_normal((2, 5, 3))
                                  .astype(np.float32)])


@pytest.mark.parametrize("name", ["lstm_sequences", "lstm_last", "bidirectional_stacked",
                                  "gru"])
def test_keras_unrolled_recurrent_layers_match_litert(_tf: Any, name: str) -> None:
    tf = _tf
    layers = tf.keras.layers
    rng = np.random.default_rng(5)
    stacks = {
        "lstm_sequences": [layers.LSTM(6, return_sequences=True, unroll=True)],
        "lstm_last": [layers.LSTM(6, unroll=True)],
        "bidirectional_stacked": [
            layers.Bidirectional(layers.LSTM(5, return_sequences=True, unroll=True)),
            layers.LSTM(4, unroll=True, go_backwards=True)],
        "gru": [layers.GRU(6, return_sequences=True, unroll=True)],
    }
    data = _keras_tflite(tf, stacks[name], (2, 7, 3))
    assert "WHILE" not in _op_names(data)
    _assert_matches_litert(data, [rng.standard_normal((2, 7, 3)).astype(np.float32)])


@pytest.mark.parametrize("axes,dtype", [([1], np.float32), ([1, 2], np.float32),
                                         ([-1], np.int32)])
def test_reverse_v2_matches_litert(_tf: Any, axes: list[int], dtype: Any) -> None:
    tf = _tf
    concrete = tf.function(lambda x: tf.reverse(x, axes)).get_concrete_function(
        tf.TensorSpec((2, 3, 4), tf.as_dtype(dtype)))
    data = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()
    assert "REVERSE_V2" in _op_names(data)
    x = (np.arange(24).reshape(2, 3, 4) * 7 % 11).astype(dtype)
    got = run_ember(Converter.from_tflite(data).convert(), [x])[0]
    np.testing.assert_array_equal(got, litert(data, [x])[0])


def test_reverse_v2_axis_out_of_range_refused(_tf: Any) -> None:
    f = TFLiteFile()
    x, y = f.tensor((2, 3), name="x"), f.tensor((2, 3), name="y")
    f.op(105, [x, f.tensor((1,), np.array([2], np.int32))], [y])
    with pytest.raises(ModelImportError, match=r"operator 0 \(REVERSE_V2\): axis 2"):
        Converter.from_tflite(f.bytes([x], [y])).convert()


# --- malformed ------------------------------------------------------------------------------
def _edit(data: bytes, edit: Any) -> bytes:
    from tensorflow.lite.tools import flatbuffer_utils

    m = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
    edit(m, m.subgraphs[0], m.subgraphs[0].operators[0])
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def _drop_input(pos: int) -> Any:
    def edit(m: Any, sg: Any, op: Any) -> None:
        op.inputs = [t if i != pos else -1 for i, t in enumerate(op.inputs)]
    return edit


def _reshape_tensor(pos: int, shape: list[int]) -> Any:
    """Input `pos` declared with another shape (its buffer resized to match)."""
    def edit(m: Any, sg: Any, op: Any) -> None:
        t = sg.tensors[op.inputs[pos]]
        t.shape = shape
        if t.buffer:
            m.buffers[t.buffer].data = np.zeros(4 * int(np.prod(shape)), np.uint8)
    return edit


def _set_option(field: str, value: Any) -> Any:
    def edit(m: Any, sg: Any, op: Any) -> None:
        setattr(op.builtinOptions, field, value)
    return edit


def _give_state_data(m: Any, sg: Any, op: Any) -> None:
    buf = schema().BufferT()
    buf.data = np.zeros(2 * 4 * 4, np.uint8)
    m.buffers.append(buf)
    sg.tensors[op.inputs[18]].buffer = len(m.buffers) - 1


def _variable_input_elsewhere(m: Any, sg: Any, op: Any) -> None:
    sg.tensors[op.inputs[0]].isVariable = True


def _inputs(n: int) -> Any:
    def edit(m: Any, sg: Any, op: Any) -> None:
        op.inputs = op.inputs[:n]
    return edit


def _weights_as_input(m: Any, sg: Any, op: Any) -> None:
    sg.inputs = [*sg.inputs, op.inputs[3]]
    sg.tensors[op.inputs[3]].buffer = 0


def _outputs_add(m: Any, sg: Any, op: Any) -> None:
    t = schema().TensorT()
    t.shape, t.type, t.name, t.buffer = [2, 5, 4], 0, "extra", 0
    sg.tensors.append(t)
    op.outputs = [*op.outputs, len(sg.tensors) - 1]


MALFORMED: dict[str, tuple[dict, Any, type, str]] = {
    "too_few_inputs": ({}, _inputs(19), UnsupportedOpsError, r"19 inputs given"),
    "inputs_21": ({}, lambda m, sg, op: setattr(op, "inputs", [*op.inputs, -1]), ModelImportError,
                  r"21 inputs given, expected 20 or 24"),
    "forget_weights_missing": ({}, _drop_input(2), ModelImportError,
                               r"input 2 \(input of the forget gate\) is missing"),
    "cifg_with_input_bias": ({}, _drop_input(1), ModelImportError, r"absent \(CIFG\)"),
    "peephole_partial": (dict(peephole=True), _drop_input(10), ModelImportError,
                         r"peepholes\) must be all given"),
    "layer_norm_partial": (dict(layer_norm=True), _drop_input(22), ModelImportError,
                           r"layer norm coefficients\) must be all given"),
    "recurrent_weights_wrong_shape": ({}, _reshape_tensor(6, [4, 5]), ModelImportError,
                                      r"input 6 \(recurrent_to_forget weights\) has shape "
                                      r"\[4, 5\], expected \[4, 4\]"),
    "bias_wrong_shape": ({}, _reshape_tensor(13, [3]), ModelImportError,
                         r"input 13 \(forget gate bias\) has shape \[3\]"),
    "projection_bias_alone": (dict(out=3), _drop_input(16), ModelImportError,
                              r"projection bias\) is given without projection weights"),
    "state_wrong_shape": ({}, _reshape_tensor(19, [2, 5]), ModelImportError,
                          r"input 19 \(cell state\) has shape \[2, 5\], expected \[2, 4\]"),
    "input_rank_2": ({}, _reshape_tensor(0, [2, 15]), ModelImportError,
                     r"input 0 must be 3-D"),
    "negative_cell_clip": ({}, _set_option("cellClip", -1.0), ModelImportError,
                           r"cell_clip -1.0 and proj_clip 0.0 must be finite and >= 0"),
    "nan_proj_clip": ({}, _set_option("projClip", float("nan")), ModelImportError,
                      r"must be finite"),
    "no_activation": ({}, _set_option("fusedActivationFunction", NONE), UnsupportedOpsError,
                      r"fused activation NONE is not supported"),
    "constant_state": (dict(state="constant"), None, UnsupportedOpsError,
                       r"input 18 \(output state\) is not a variable tensor"),
    "input_state": (dict(state="input", bidi=True), None, UnsupportedOpsError,
                    r"input 35 \(output state\) is not a variable tensor"),
    "state_absent": ({}, _drop_input(19), ModelImportError,
                     r"input 19 \(cell state\) is missing"),
    "sign_bit_activation": ({}, _set_option("fusedActivationFunction", 5),
                            UnsupportedOpsError, r"fused activation 5 is not supported"),
    "diagonal_recurrent": ({}, _set_option("diagonalRecurrentTensors", True),
                           UnsupportedOpsError, r"diagonal_recurrent_tensors"),
    "variable_state_with_data": ({}, _give_state_data, ModelImportError,
                                 r"tensor 13 \('t13'\) is a variable tensor with data"),
    "variable_tensor_not_a_state": ({}, _variable_input_elsewhere, UnsupportedOpsError,
                                    r"input 0 \('x'\) is a variable tensor; only the state "
                                    r"inputs of a sequence LSTM may be"),
    "run_time_weights": ({}, _weights_as_input, UnsupportedOpsError,
        r"input 3 \('t\d+'\) must be a constant"),
    "bidirectional_output_count": (dict(bidi=True, merge=True), _outputs_add,
                                   ModelImportError, r"2 outputs, expected 1 with "
                                   r"merge_outputs=True"),
    "bidirectional_inputs_47": (dict(bidi=True), _inputs(47), UnsupportedOpsError,
                                r"47 inputs given, at least 48 needed"),
    "bidirectional_aux_input": (dict(bidi=True), lambda m, sg, op: op.inputs.__setitem__(
        39, op.inputs[0]), UnsupportedOpsError, r"auxiliary input"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_lstm_refused_by_operator(name: str) -> None:
    options, edit, error, pattern = MALFORMED[name]
    data = lstm_file(**options)[0]
    data = _edit(data, edit) if edit else data
    with pytest.raises(error, match=pattern) as info:
        Converter.from_tflite(data).convert()
    assert isinstance(info.value, EmberError)
    # The reader refuses a variable tensor with data before any operator is read.
    assert "operator 0" in str(info.value) or name == "variable_state_with_data"


def test_long_sequence_refused() -> None:
    data = lstm_file(steps=4097, batch=1, size=1, hidden=1)[0]
    with pytest.raises(UnsupportedOpsError, match=r"operator 0.*4097 steps: at most 4096"):
        Converter.from_tflite(data).convert()


def test_weights_are_stored_once_for_all_steps() -> None:
    from emberlite.converter.importers.tflite import import_tflite

    def constant_bytes(steps: int) -> int:
        graph = import_tflite(lstm_file(steps=steps, peephole=True, layer_norm=True, out=3,
                                        cifg=True)[0])
        return sum(t.data.nbytes for t in graph.tensors.values() if t.data is not None)

    assert constant_bytes(3) == constant_bytes(30)
