"""ONNX Attention's later inputs and attributes (onnx_composed_ops.attention): the sliding
window (left_window_size, right_window_size; opset 25) with and without the causal mask, a
past cache, GQA and masks, and the external cache's valid lengths nonpad_kv_seqlen (opset 24,
a run-time input: one converted model answers every set of lengths) against ONNX Runtime on
random shapes; softmax_precision of float16/bfloat16 (run in float32); the refusals; and
Dropout's mask output (opset 12 on: all true in inference) against ONNX Runtime, and its
refusal before opset 12, where ONNX Runtime (all false) and ONNX's reference (all true)
disagree; MaxPool's indices output (strides, pads, dilations, ceil_mode, storage_order)
against ONNX Runtime and its refusal for a 3D window."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from tests.helpers import convert_onnx, run_ember, run_ort


def _model(batch: int, q_heads: int, kv_heads: int, q_len: int, kv_len: int, size: int, *,
           past: int = 0, mask: tuple[int, ...] | None = None, nonpad: bool = False,
           opset: int = 25, **attrs) -> onnx.ModelProto:
    f = TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("Q", f, (batch, q_heads, q_len, size)),
              helper.make_tensor_value_info("K", f, (batch, kv_heads, kv_len, size)),
              helper.make_tensor_value_info("V", f, (batch, kv_heads, kv_len, size))]
    names = ["Q", "K", "V", "", "", "", ""]
    if mask is not None:
        inputs.append(helper.make_tensor_value_info("attn_mask", TensorProto.BOOL, mask))
        names[3] = "attn_mask"
    if past:
        for name in ("past_key", "past_value"):
            inputs.append(helper.make_tensor_value_info(name, f,
                                                        (batch, kv_heads, past, size)))
        names[4:6] = ["past_key", "past_value"]
    if nonpad:
        inputs.append(helper.make_tensor_value_info("nonpad_kv_seqlen", TensorProto.INT64,
                                                    (batch,)))
        names[6] = "nonpad_kv_seqlen"
    while not names[-1]:
        names.pop()
    node = helper.make_node("Attention", names, ["Y"], name="attention_node", **attrs)
    y = helper.make_tensor_value_info("Y", f, (batch, q_heads, q_len, size))
    graph = helper.make_graph([node], "g", inputs, [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _feeds(model: onnx.ModelProto, rng: np.random.Generator, lengths=None) -> list[np.ndarray]:
    feeds = []
    for value in model.graph.input:
        shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
        if value.name == "nonpad_kv_seqlen":
            feeds.append(np.asarray(lengths, np.int64))
        elif value.type.tensor_type.elem_type == TensorProto.BOOL:
            feeds.append(rng.random(shape) < 0.8)
        else:
            feeds.append(rng.standard_normal(shape).astype(np.float32))
    return feeds


def _compare(model: onnx.ModelProto, feeds_list: list[list[np.ndarray]]) -> None:
    data = convert_onnx(model)
    for feeds in feeds_list:
        got = run_ember(data, feeds)[0]
        np.testing.assert_allclose(got, run_ort(model, feeds)[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("seed", range(12))
def test_sliding_window_matches_onnxruntime(seed: int) -> None:
    rng = np.random.default_rng(seed)
    batch, kv_heads, q_len, size = (int(rng.integers(1, 3)), int(rng.integers(1, 3)),
                                    int(rng.integers(1, 6)), 8)
    q_heads = kv_heads * int(rng.integers(1, 3))
    kv_len = q_len + int(rng.integers(0, 4))
    attrs = {"left_window_size": int(rng.integers(-1, 4)),
             "right_window_size": int(rng.integers(-1, 3)) if seed % 3 else -1,
             "is_causal": int(seed % 2)}
    past = int(rng.integers(1, 4)) if seed % 4 == 1 else 0
    mask = (q_len, kv_len + past) if seed % 3 == 2 else None
    model = _model(batch, q_heads, kv_heads, q_len, kv_len, size, past=past, mask=mask,
                   **attrs)
    _compare(model, [_feeds(model, rng)])


@pytest.mark.parametrize("seed", range(10))
def test_nonpad_kv_seqlen_matches_onnxruntime_at_every_length(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    batch, kv_heads, size = int(rng.integers(1, 4)), int(rng.integers(1, 3)), 8
    q_heads = kv_heads * int(rng.integers(1, 3))
    q_len = int(rng.integers(1, 4))
    kv_len = q_len + int(rng.integers(1, 6))
    attrs = {"is_causal": int(seed % 2)}
    opset = 24
    if seed % 3 == 0:
        attrs["left_window_size"], opset = int(rng.integers(0, 4)), 25
    mask = (batch, 1, q_len, kv_len) if seed % 4 == 3 else None
    model = _model(batch, q_heads, kv_heads, q_len, kv_len, size, mask=mask, nonpad=True,
                   opset=opset, **attrs)
    # lengths from q_len (the whole block valid) up to the cache's size: one file runs all
    feeds = [_feeds(model, rng, rng.integers(q_len, kv_len + 1, batch)) for _ in range(3)]
    _compare(model, feeds)


def test_softmax_precision_of_narrow_floats_runs_in_float32() -> None:
    rng = np.random.default_rng(7)
    for precision in (TensorProto.FLOAT16, TensorProto.BFLOAT16):
        model = _model(1, 2, 2, 3, 5, 8, softmax_precision=precision, opset=24)
        _compare(model, [_feeds(model, rng)])


@pytest.mark.parametrize("change,error,why", [
    (dict(nonpad=True, past=2), ModelImportError, "nonpad_kv_seqlen cannot be combined"),
    (dict(left_window_size=-2), ModelImportError, "left_window_size and right_window_size"),
    (dict(softmax_precision=TensorProto.DOUBLE), UnsupportedOpsError, "softmax_precision=11"),
])
def test_refusals_name_the_node(change: dict, error: type, why: str) -> None:
    model = _model(1, 2, 2, 3, 5, 8, **change)
    with pytest.raises(error, match=f"attention_node.*{why}"):
        convert_onnx(model)


def test_nonpad_kv_seqlen_must_be_int64_of_the_batch() -> None:
    model = _model(2, 2, 2, 3, 5, 8, nonpad=True)
    model.graph.input[3].type.tensor_type.shape.dim[0].dim_value = 3
    with pytest.raises(ModelImportError, match="attention_node.*nonpad_kv_seqlen must be int64"):
        convert_onnx(model)


@pytest.mark.parametrize("opset", [12, 13])
def test_dropout_mask_is_all_true(opset: int) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, (2, 3, 4))
    node = helper.make_node("Dropout", ["x"], ["y", "mask"], name="dropout_node")
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, (2, 3, 4)),
               helper.make_tensor_value_info("mask", TensorProto.BOOL, (2, 3, 4))]
    model = helper.make_model(helper.make_graph([node], "g", [x], outputs),
                              opset_imports=[helper.make_opsetid("", opset)])
    feed = np.random.default_rng(opset).standard_normal((2, 3, 4)).astype(np.float32)
    got, want = run_ember(convert_onnx(model), [feed]), run_ort(model, [feed])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_dropout_mask_before_opset_12_is_refused() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, (2, 3))
    node = helper.make_node("Dropout", ["x"], ["y", "mask"], name="dropout_node")
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, (2, 3)),
               helper.make_tensor_value_info("mask", TensorProto.BOOL, (2, 3))]
    model = helper.make_model(helper.make_graph([node], "g", [x], outputs),
                              opset_imports=[helper.make_opsetid("", 11)])
    with pytest.raises(UnsupportedOpsError, match="dropout_node.*only the first output"):
        convert_onnx(model)


@pytest.mark.parametrize("seed", range(16))
def test_max_pool_indices_match_onnxruntime(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(4, 10)),
             int(rng.integers(4, 10)))
    kernel = [int(rng.integers(1, 4)), int(rng.integers(1, 4))]
    attrs = {"kernel_shape": kernel, "strides": [int(rng.integers(1, 3)) for _ in range(2)],
             "pads": [int(rng.integers(0, k)) for k in kernel * 2],
             "dilations": [int(rng.integers(1, 3)) for _ in range(2)],
             "ceil_mode": int(seed % 2), "storage_order": int(seed % 4 >= 2)}
    node = helper.make_node("MaxPool", ["x"], ["y", "i"], name="pool_node", **attrs)
    x = rng.standard_normal(shape).astype(np.float32)
    probe = helper.make_model(helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("i", TensorProto.INT64, None)]),
        opset_imports=[helper.make_opsetid("", 12)])
    want = run_ort(probe, [x])
    model = helper.make_model(helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, want[0].shape),
         helper.make_tensor_value_info("i", TensorProto.INT64, want[1].shape)]),
        opset_imports=[helper.make_opsetid("", 12)])
    got = run_ember(convert_onnx(model), [x])
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1], err_msg=str(attrs))


def test_max_pool_indices_of_a_3d_window_are_refused() -> None:
    node = helper.make_node("MaxPool", ["x"], ["y", "i"], name="pool_node",
                            kernel_shape=[2, 2, 2])
    model = helper.make_model(helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 1, 4, 4, 4))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, (1, 1, 3, 3, 3)),
         helper.make_tensor_value_info("i", TensorProto.INT64, (1, 1, 3, 3, 3))]),
        opset_imports=[helper.make_opsetid("", 12)])
    with pytest.raises(UnsupportedOpsError, match="pool_node.*indices output is supported for "
                                                  "2D pooling only"):
        convert_onnx(model)
