"""ONNX NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, composed of IR ops
(converter/importers/onnx_composed_ops.py), against ONNX Runtime on random scores and targets:
every reduction, class weights as a constant and as a graph input, ignore_index inside and
outside the classes (where the weights cannot be indexed), int32 and int64 targets, the
optional log_prob output; malformed nodes refused with the node and the reason."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from tests.helpers import assert_matches_ort, convert_onnx

RNG = np.random.default_rng(13)
CLASSES = 5


def _model(op: str, shape: tuple[int, ...], *, weight: str | None, index_type: int,
           outputs: int = 1, **attrs: object) -> onnx.ModelProto:
    """op(x, target[, w]); weight: None, "const" (an initializer) or "input"."""
    labels = shape[:1] + shape[2:]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape),
              helper.make_tensor_value_info("t", index_type, labels)]
    inits = []
    if weight == "input":
        inputs.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, [shape[1]]))
    elif weight == "const":
        inits.append(numpy_helper.from_array(_weights(shape[1]), "w"))
    names = ["loss", "log_prob"][:outputs]
    node = helper.make_node(op, ["x", "t", *(["w"] if weight else [])], names, **attrs)
    graph = helper.make_graph([node], "loss", inputs,
                              [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
                               for n in names], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _weights(classes: int) -> np.ndarray:
    return RNG.uniform(0.2, 2.0, classes).astype(np.float32)


def _feeds(shape: tuple[int, ...], index_type: int, weight: str | None,
           ignore_index: int | None) -> list[np.ndarray]:
    labels = shape[:1] + shape[2:]
    target = RNG.integers(0, shape[1], labels)
    if ignore_index is not None:
        target[RNG.random(labels) < 0.3] = ignore_index
    dtype = np.int32 if index_type == TensorProto.INT32 else np.int64
    feeds = [RNG.standard_normal(shape).astype(np.float32) * 2, target.astype(dtype)]
    return feeds + ([_weights(shape[1])] if weight == "input" else [])


@pytest.mark.parametrize("op", ["NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("weight", [None, "const", "input"])
@pytest.mark.parametrize("ignore_index", [None, 2, -1, 9])
def test_loss_matches_onnxruntime(op: str, reduction: str, weight: str | None,
                                  ignore_index: int | None) -> None:
    shape = (4, CLASSES, 3)
    attrs = {} if ignore_index is None else {"ignore_index": ignore_index}
    model = _model(op, shape, weight=weight, index_type=TensorProto.INT64, reduction=reduction,
                   **attrs)
    assert_matches_ort(model, _feeds(shape, TensorProto.INT64, weight, ignore_index))


@pytest.mark.parametrize("shape", [(6, CLASSES), (2, CLASSES, 3, 4), (2, CLASSES, 2, 3, 2)])
@pytest.mark.parametrize("index_type", [TensorProto.INT32, TensorProto.INT64])
def test_cross_entropy_shapes_and_log_prob(shape: tuple[int, ...], index_type: int) -> None:
    model = _model("SoftmaxCrossEntropyLoss", shape, weight="const", index_type=index_type,
                   outputs=2, reduction="mean", ignore_index=1)
    assert_matches_ort(model, _feeds(shape, index_type, "const", 1))


def test_cross_entropy_of_a_classifier_head() -> None:
    """Logits of a Gemm, the loss of a batch against its labels: what an exported training
    graph's forward pass ends in."""
    inits = [numpy_helper.from_array(RNG.standard_normal((8, CLASSES)).astype(np.float32), "k")]
    nodes = [helper.make_node("MatMul", ["x", "k"], ["logits"]),
             helper.make_node("SoftmaxCrossEntropyLoss", ["logits", "t"], ["loss"])]
    graph = helper.make_graph(
        nodes, "head", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 8]),
                        helper.make_tensor_value_info("t", TensorProto.INT64, [6])],
        [helper.make_tensor_value_info("loss", TensorProto.FLOAT, [])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    assert_matches_ort(model, [RNG.standard_normal((6, 8)).astype(np.float32),
                               RNG.integers(0, CLASSES, 6)])


# --- malformed nodes ----------------------------------------------------------------------
def _refused(model: onnx.ModelProto, match: str) -> None:
    with pytest.raises((UnsupportedOpsError, ModelImportError), match=match):
        convert_onnx(model)


@pytest.mark.parametrize("op", ["NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"])
def test_target_of_the_wrong_shape(op: str) -> None:
    model = _model(op, (4, CLASSES, 3), weight=None, index_type=TensorProto.INT64)
    model.graph.input[1].type.tensor_type.shape.dim[1].dim_value = 2
    _refused(model, rf"{op}_0.*target \[4, 2\] must be the input's shape \[4, 5, 3\]")


def test_weights_of_the_wrong_length() -> None:
    model = _model("NegativeLogLikelihoodLoss", (4, CLASSES), weight="input",
                   index_type=TensorProto.INT64)
    model.graph.input[2].type.tensor_type.shape.dim[0].dim_value = CLASSES + 1
    _refused(model, r"NegativeLogLikelihoodLoss_0.*weight \[6\] must have one value per class")


def test_float_target() -> None:
    model = _model("SoftmaxCrossEntropyLoss", (4, CLASSES), weight=None,
                   index_type=TensorProto.FLOAT)
    _refused(model, r"SoftmaxCrossEntropyLoss_0.*input 1 \('t'\) has type FLOAT; int32 or int64")


def test_unknown_reduction() -> None:
    model = _model("NegativeLogLikelihoodLoss", (4, CLASSES), weight=None,
                   index_type=TensorProto.INT64, reduction="max")
    _refused(model, r"NegativeLogLikelihoodLoss_0.*reduction='max' is not supported")


def test_scores_of_rank_one() -> None:
    model = _model("SoftmaxCrossEntropyLoss", (4, CLASSES), weight=None,
                   index_type=TensorProto.INT64)
    model.graph.input[0].type.tensor_type.shape.ClearField("dim")
    model.graph.input[0].type.tensor_type.shape.dim.add().dim_value = CLASSES
    _refused(model, r"SoftmaxCrossEntropyLoss_0.*scores must have rank >= 2")
