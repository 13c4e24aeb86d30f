"""Evaluating an ONNX node whose inputs are all constant, at import time, with ONNX's
reference evaluator. Before it runs, the budget is charged for what the evaluator will
allocate, as far as ONNX's shape inference tells it beforehand: the outputs, the padded
input of a window op and the im2col columns of a convolution; an output whose size only the
evaluation tells is charged once it exists, and refused beforehand where its size comes
from input values.
"""
from __future__ import annotations

import fractions
import math

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..limits import Budget
from .graph_builder import Unsupported

__all__ = ["fold_node"]


def fold_node(node: onnx.NodeProto, feeds: dict[str, np.ndarray], source: onnx.ModelProto,
              budget: Budget, where: str) -> list[np.ndarray]:
    """The values of the outputs of `node` (an empty array for an unnamed one) given the
    values of its inputs, `feeds`; `source` is the model it comes from (its opsets and IR
    version), `where` names it in the budget's and the evaluator's complaints."""
    from onnx.reference import ReferenceEvaluator  # slow to import: only on first use

    if node.op_type == "Cast" and any(a.name == "to" and a.i == onnx.TensorProto.STRING
                                      for a in node.attribute):
        # No budget can tell the size of text before making it (8 million numbers as text
        # took seconds), and no Emberlite tensor holds text.
        raise Unsupported("Cast to STRING: Emberlite has no string tensors")
    graph_inputs = [helper.make_tensor_value_info(
        name, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape) for name, v in feeds.items()]
    graph_outputs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
    model = helper.make_model(
        helper.make_graph([node], "fold", graph_inputs, graph_outputs),
        opset_imports=list(source.opset_import), ir_version=source.ir_version)
    known = _folded_shapes(model, feeds)
    if node.op_type == "Range" and node.output and node.output[0] in known:
        # ONNX's inference computes the length in wrapping int64 (start -2^63 gives a
        # few elements where numpy makes 2^32): counted again exactly.
        known[node.output[0]] = ((_range_length(feeds, node),), known[node.output[0]][1])
    unknown = [o for o in node.output if o and o not in known]
    if unknown:
        # Shape inference could not tell the size before evaluation, which may then
        # take any amount of memory (a 1-D Range limit of 2^40, a TopK k of 2^31):
        # evaluated only if ONNX finds nothing wrong with the node and its output size
        # is not read from its input values.
        error = _inference_error(model, feeds)
        if error or node.op_type in _SIZE_FROM_VALUES:
            raise Unsupported(f"cannot evaluate constant node: ONNX shape inference "
                              f"cannot tell the size of {unknown} before computing it"
                              f"{f' ({error})' if error else ''}")
    for name in node.output:
        if name in known:
            budget.charge(where, *known[name])
    padded = _padded_input(node, feeds)
    if padded is not None:
        # The reference evaluator pads the input of a window op first, whatever the
        # output's size (2^32 pads with a stride as large made 480 GiB of padding).
        budget.charge(f"{where} (its padded input)", *padded)
    columns = _conv_columns(node, feeds, known)
    if columns is not None:
        # ... and unrolls a convolution's windows into columns, with an int64 index per
        # spatial dim for each element: a 64x64 kernel is 4096 times its padded input.
        budget.charge(f"{where} (its im2col columns)", *columns)
    try:
        own = _NUMPY_FOLDS.get(node.op_type)
        results = iter(own(node, feeds) if own else ReferenceEvaluator(model).run(None, feeds))
        values = [np.asarray(next(results)) if o else np.zeros(0) for o in node.output]
    except MemoryError:
        raise
    except Exception as e:  # the reference evaluator raises anything on bad input
        raise Unsupported(f"cannot evaluate constant node: {type(e).__name__}: {e}") from None
    for name, value in zip(node.output, values):
        if name and name not in known:
            # Shape inference could not tell its size: counted once it exists.
            budget.charge(where, value.shape, value.dtype)
    return values


def _gather_elements(node: onnx.NodeProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """ONNX's reference GatherElements fails once the axis is longer than 64 (numpy's choose
    takes at most 64 arrays), as BERT's token-type ids are."""
    data, indices = (feeds[name] for name in node.input)
    axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
    axis = axis % data.ndim if -data.ndim <= axis < data.ndim else axis
    size = data.shape[axis] if 0 <= axis < data.ndim else 0
    if (indices.ndim != data.ndim or np.any(indices < -size) or np.any(indices >= size)
            or any(i > d for i, d in zip(indices.shape, data.shape))):
        raise ValueError(f"indices of shape {indices.shape} do not fit data of shape "
                         f"{data.shape} along axis {axis}")
    # The other dims of the indices may be shorter than the data's: those of data beyond are
    # never read.
    data = data[tuple(slice(None) if d == axis else slice(0, n)
                      for d, n in enumerate(indices.shape))]
    return [np.take_along_axis(data, np.where(indices < 0, indices + size, indices), axis)]


# Constant nodes evaluated here rather than by ONNX's reference evaluator.
_NUMPY_FOLDS = {"GatherElements": _gather_elements}


# Ops whose output size comes from their input values: folded only once shape inference
# has told that size (and the budget has taken it).
_SIZE_FROM_VALUES = {"Range", "Tile", "Expand", "ConstantOfShape", "Resize", "Upsample", "Pad",
                     "OneHot", "CenterCropPad", "Col2Im"}

# Inputs of a folded node up to this many elements are given to shape inference as
# values, so it can read shapes, repeats, pads and scales; larger ones only by their shape.
_SHAPE_DATA_ELEMENTS = 4096


def _probe(model: onnx.ModelProto, feeds: dict[str, np.ndarray]
           ) -> tuple[onnx.ModelProto, bool]:
    """A copy of the one-node `model` for shape inference, with its small inputs as values,
    and whether ONNX may propagate values through it: only when every input is given as a
    value. Propagating an input known only by its shape spells it out element by element as
    symbolic dims, a protobuf message each, in C++ and outside the budget (an Add of a
    scalar and an 8-million-element Range took 1.1 GB)."""
    small = [numpy_helper.from_array(v, name) for name, v in feeds.items()
             if v.size <= _SHAPE_DATA_ELEMENTS and v.dtype != object]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.initializer.extend(small)
    return probe, len(small) == len(feeds)


def _folded_shapes(model: onnx.ModelProto, feeds: dict[str, np.ndarray]
                   ) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The shapes and types of the outputs of the one-node `model`, where ONNX shape
    inference can tell them from its constant inputs without evaluating it."""
    probe, data_prop = _probe(model, feeds)
    try:
        inferred = onnx.shape_inference.infer_shapes(probe, strict_mode=False,
                                                     data_prop=data_prop)
    except Exception:  # noqa: BLE001  inference is advisory; evaluation reports real errors
        return {}
    known = {}
    for value in inferred.graph.output:
        tt = value.type.tensor_type
        if not tt.HasField("shape") or not tt.elem_type:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        try:
            dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type))
        except (KeyError, ValueError, TypeError):
            continue
        if None not in dims and dtype != object:
            known[value.name] = (tuple(dims), dtype)
    return known


def _padded_input(node: onnx.NodeProto, feeds: dict[str, np.ndarray]
                  ) -> tuple[tuple[int, ...], np.dtype] | None:
    """The shape and type of the first input padded by the node's `pads` attribute (Conv,
    pools), or None."""
    pads = next((list(a.ints) for a in node.attribute if a.name == "pads"), None)
    x = feeds.get(node.input[0]) if node.input else None
    if not pads or x is None or len(pads) % 2 or len(pads) // 2 > x.ndim:
        return None
    k = len(pads) // 2
    spatial = [d + pads[i] + pads[i + k] for i, d in enumerate(x.shape[x.ndim - k:])]
    return (*x.shape[:x.ndim - k], *spatial), x.dtype


def _range_length(feeds: dict[str, np.ndarray], node: onnx.NodeProto) -> int:
    """The number of elements Range makes, in exact arithmetic (0 if its inputs are not three
    scalars: the evaluator then refuses them)."""
    values = [feeds.get(name) for name in node.input]
    if len(values) != 3 or any(v is None or v.size != 1 for v in values):
        return 0
    start, limit, delta = (v.reshape(()).item() for v in values)
    if delta == 0 or not all(math.isfinite(v) for v in (start, limit, delta)):
        return 0
    return max(0, math.ceil(fractions.Fraction(limit - start) / fractions.Fraction(delta)))


# Convolutions the reference evaluator computes through im2col, and where their filter is.
_IM2COL_FILTER = {"Conv": 1, "ConvInteger": 1, "QLinearConv": 3}


def _conv_columns(node: onnx.NodeProto, feeds: dict[str, np.ndarray],
                  known: dict[str, tuple[tuple[int, ...], np.dtype]]
                  ) -> tuple[tuple[int, ...], np.dtype] | None:
    """The size of the reference evaluator's im2col arrays for a convolution, as a shape of
    int64s (the column values and one index array per spatial dim), or None."""
    w_at = _IM2COL_FILTER.get(node.op_type)
    if w_at is None or len(node.input) <= w_at or not node.output or node.output[0] not in known:
        return None
    x, w = feeds.get(node.input[0]), feeds.get(node.input[w_at])
    out_shape = known[node.output[0]][0]
    if x is None or w is None or x.ndim < 3 or w.ndim != x.ndim or len(out_shape) != x.ndim:
        return None
    dilations = next((list(a.ints) for a in node.attribute if a.name == "dilations"),
                     [1] * (x.ndim - 2))
    if len(dilations) != x.ndim - 2:
        return None
    window = math.prod((k - 1) * d + 1 for k, d in zip(w.shape[2:], dilations))
    columns = x.shape[0] * x.shape[1] * window * math.prod(out_shape[2:])
    return (x.ndim - 1, columns), np.dtype(np.int64)


def _inference_error(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> str | None:
    """What ONNX's strict shape inference rejects in the one-node `model` (None if nothing):
    a node it rejects has malformed inputs."""
    probe, data_prop = _probe(model, feeds)
    try:
        onnx.shape_inference.infer_shapes(probe, strict_mode=True, data_prop=data_prop)
    except Exception as e:  # noqa: BLE001  any complaint at all means: do not evaluate
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        return lines[-1][:200] if lines else type(e).__name__
    return None
