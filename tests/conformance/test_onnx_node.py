"""ONNX's own node test cases (generated in-process from the onnx wheel) for every op the
importer claims: convert, run in Emberlite, compare with the case's expected outputs.

A case Emberlite cannot support must fail conversion with UnsupportedOpsError or
ModelImportError; those are listed in XFAIL with the reason. Many cases feed an input that
real models hold as a constant (Reshape's shape, Clip's bounds, BatchNormalization's
statistics) as a graph input; they are also run as a "frozen" variant where every graph
input but the first is baked in as an initializer, which Emberlite must then convert.
"""
from __future__ import annotations

import copy
import warnings

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from emberlite.converter import ModelImportError, UnsupportedOpsError
from emberlite.converter.importers.onnx import ONNX_OPS
from emberlite.converter.importers.onnx_control_flow import CONTROL_FLOW_OPS
from helpers import convert_onnx, run_ember, run_ort

# Constant nodes are folded by the importer rather than looked up in the table, If, Loop and
# Scan inlined, and these ops inlined as the function bodies ONNX defines them by
# (onnx_functions.py; the others ONNX so defines need what Emberlite lacks, such as a run-time
# Range's Loop).
FUNCTIONS = {"LinearAttention", "SwiGLU", "MeanVarianceNormalization", "CausalConvWithState"}
CLAIMED = ({key if isinstance(key, str) else key[0] for key in ONNX_OPS} | {"Constant"}
           | set(CONTROL_FLOW_OPS) | FUNCTIONS)

CONST_INPUT = "an input Emberlite needs constant is a graph input (see the frozen variant)"
INT_TYPES = "run-time tensors of string elements"
WIDE_QUANTIZED = ("int16/uint16 (De)QuantizeLinear, blocked scales, or a scale or TopK's k "
                  "computed at run time")
OLD_OPSET = "opset 1, older than the oldest Emberlite reads (7)"
OTHER_ELEMENTS = ("a tensor of strings or another element type Emberlite does not have (it has "
                  "the floats of 4 to 64 bits, the integer types of 2 to 64 bits and bool)")
ATTENTION_LATER = "Attention's float64 softmax precision"
NOT_2D = "3D transposed convolution: only 1D and 2D windows are supported"
TRAINING = "training mode"
EXTRA_OUTPUT = "second output (dropout mask / max-pool indices) is not supported"
NOT_TENSOR = "sequence/optional inputs are not tensors"
PAD_WRAP = "pad mode 'wrap' is not supported"
EXPANDED_WINDOW = ("an expanded window function: ONNX shape inference leaves the length of its "
                   "run-time Range open (HannWindow and the others convert unexpanded)")
EXPANDED_GRID = ("AffineGrid's function body: its grid's shape is computed at run time "
                 "(ConstantOfShape and Range of run-time sizes whose output ONNX shape "
                 "inference leaves open)")
RUN_TIME_CONTROL = ("Loop of a run-time trip count: loops are unrolled at conversion "
                    "(onnx_control_flow.py)")
SEQUENCE_LENS = ("a recurrent op's sequence_lens given at run time: padded batches need "
                 "per-batch lengths the converter unrolls for")
EINSUM_ELLIPSIS = "Einsum with an ellipsis ('...')"
REDUCE_SHAPE = ("LogSumExp over run-time axes without keepdims whose declared output leaves open "
                "which of equal-size axes go (the maximum it subtracts keeps them)")
# The quantized ops, whose cases may read and write int8 and uint8 tensors; their scales and
# zero points are graph inputs, so they run frozen (tests/importers/test_onnx_qdq.py).
QUANTIZED_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul",
                 "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"}


def _names(prefix: str, suffixes: str) -> list[str]:
    return [f"test_{prefix}{s}" for s in suffixes.split()]


def _xfail() -> dict[str, str]:
    table: dict[str, str] = {}
    groups = [
        (INT_TYPES, ["test_equal_string", "test_equal_string_broadcast"]),
        (WIDE_QUANTIZED, ["test_top_k_uint64"]),
        (EINSUM_ELLIPSIS, ["test_einsum_batch_diagonal"]),
        (NOT_2D, ["test_convtranspose_3d"]),
        (TRAINING, ["test_batchnorm_example_training_mode",
                    "test_batchnorm_epsilon_training_mode", "test_training_dropout",
                    "test_training_dropout_default", "test_training_dropout_zero_ratio"]),
        (EXTRA_OUTPUT, ["test_training_dropout_mask", "test_training_dropout_default_mask",
                        "test_training_dropout_zero_ratio_mask"]),
        (NOT_TENSOR, ["test_identity_sequence", "test_identity_opt", "test_loop13_seq",
                      "test_loop16_seq_none"]),
        (NOT_TENSOR, ["test_if_seq", "test_if_opt"]),
        (SEQUENCE_LENS, ["test_lstm_with_peepholes"]),
        (RUN_TIME_CONTROL, ["test_loop11", "test_range_float16_type_positive_delta_expanded",
                            "test_range_bfloat16_type_positive_delta_expanded",
                            "test_range_float_type_positive_delta_expanded",
                            "test_range_int32_type_negative_delta_expanded"]),
        (EXPANDED_WINDOW, [f"test_{kind}window{variant}_expanded"
                           for kind in ("hann", "hamming", "blackman")
                           for variant in ("", "_symmetric")]),
        (EXPANDED_GRID, [f"test_affine_grid_{d}{a}_expanded" for d in ("2d", "3d")
                         for a in ("", "_align_corners")]),
        (OLD_OPSET, ["test_not_2d", "test_not_3d", "test_not_4d"]),
        (PAD_WRAP, ["test_wrap_pad"]),
        (CONST_INPUT, ["test_dft", *_names("dft_", "axis inverse irfft rfft"),
                       "test_stft", "test_stft_with_window"]),
        (CONST_INPUT, [
            "test_reshape_allowzero_reordered",
            "test_expand_dim_changed", "test_expand_dim_unchanged", "test_tile",
            "test_tile_precomputed",
            *_names("center_crop_pad_", "crop_and_pad_expanded crop_axes_chw_expanded "
                    "crop_axes_hwc_expanded crop_expanded crop_negative_axes_hwc_expanded "
                    "pad_expanded")]),
        (REDUCE_SHAPE, _names("reduce_log_sum_exp_", "do_not_keepdims_example "
                              "do_not_keepdims_random")),
    ]
    for reason, names in groups:
        for name in names:
            table.setdefault(name, reason)
    return table


XFAIL = _xfail()
_RUN_ELEMENTS = {onnx.TensorProto.FLOAT, onnx.TensorProto.INT32, onnx.TensorProto.INT64,
                 onnx.TensorProto.BOOL, onnx.TensorProto.INT8, onnx.TensorProto.UINT8,
                 onnx.TensorProto.INT16, onnx.TensorProto.UINT16, onnx.TensorProto.UINT32,
                 onnx.TensorProto.UINT64, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                 onnx.TensorProto.BFLOAT16, onnx.TensorProto.FLOAT8E4M3FN,
                 onnx.TensorProto.FLOAT8E4M3FNUZ, onnx.TensorProto.FLOAT8E5M2,
                 onnx.TensorProto.FLOAT8E5M2FNUZ, onnx.TensorProto.INT4,
                 onnx.TensorProto.UINT4, onnx.TensorProto.INT2, onnx.TensorProto.UINT2,
                 onnx.TensorProto.FLOAT4E2M1, onnx.TensorProto.FLOAT8E8M0}


def _static_reason(model: onnx.ModelProto) -> str | None:
    """Why a case cannot run, read from the model alone: an element type Emberlite has no
    run-time tensors of (in the graph's inputs, outputs or a Cast's target), Attention's
    later-opset options, or Trilu's diagonal or a recurrent op's weights given as a graph
    input."""
    graph = model.graph
    values = [*graph.input, *graph.output, *graph.value_info]
    elements = {v.type.tensor_type.elem_type for v in values}
    elements |= {a.i for n in graph.node for a in n.attribute if n.op_type == "Cast"
                 and a.name == "to"}
    quantized = {n.op_type for n in graph.node} <= QUANTIZED_OPS
    narrow = {onnx.TensorProto.INT8, onnx.TensorProto.UINT8} if quantized else set()
    if elements - _RUN_ELEMENTS - narrow - {0}:
        return OTHER_ELEMENTS
    if any(n.op_type == "Attention" and any(
            a.name == "softmax_precision" and a.i == onnx.TensorProto.DOUBLE
            for a in n.attribute) for n in graph.node):
        return ATTENTION_LATER
    graph_inputs = {v.name for v in graph.input}
    held = ("Col2Im",)
    if any(n.op_type in held
           and len(n.input) > 1 and n.input[1] in graph_inputs for n in graph.node):
        return CONST_INPUT  # the axes, the diagonal, the weights, k, the depth
    return None
# Frozen variants that still cannot convert, with the reason.
XFAIL_FROZEN = {"test_col2im_5d": "Col2Im of 3-D images (composed for 1-D and 2-D only)"}
# Cases whose stored expected output disagrees with ONNX Runtime; they are compared with ONNX
# Runtime instead. align_corners with a scale whose output length is not whole: ONNX's
# generator maps coordinates with the unrounded length (input x scale), ONNX Runtime (and
# Emberlite) with the actual output length.
ORT_ORACLE = {"test_resize_downsample_scales_linear_align_corners",
              "test_resize_downsample_scales_cubic_align_corners"}


def _cases() -> list:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some case generators overflow casts on purpose
        cases = collect_testcases(None)
    picked = {c.name: c for c in cases if c.model is not None
              and {n.op_type for n in c.model.graph.node} <= CLAIMED}
    return [picked[name] for name in sorted(picked)]


# Cases whose output is a constant the converter computes (EyeLike of a known shape): stored
# in its own element type, which no kernel has to run.
CONSTANT_CASES = {"test_eyelike_with_dtype"}
CASES = _cases()
for _case in CASES:
    _reason = _static_reason(_case.model)
    if _reason is not None and _case.name not in CONSTANT_CASES:
        XFAIL.setdefault(_case.name, _reason)
FROZEN = [c for c in CASES if XFAIL.get(c.name) == CONST_INPUT]


def _frozen(case) -> tuple[onnx.ModelProto, list]:
    """The case with every graph input but the first baked in from its first data set."""
    model = copy.deepcopy(case.model)
    inputs, outputs = case.data_sets[0]
    graph_inputs = list(model.graph.input)
    del model.graph.input[1:]
    for value, array in zip(graph_inputs[1:], inputs[1:]):
        model.graph.initializer.append(numpy_helper.from_array(np.asarray(array), value.name))
    return model, [([inputs[0]], outputs)]


def _check(model: onnx.ModelProto, data_sets: list, ort_oracle: bool = False) -> None:
    data = convert_onnx(model)
    for inputs, expected in data_sets:
        inputs = [_array(i) for i in inputs]
        got = run_ember(data, inputs)
        if ort_oracle:
            expected = run_ort(model, inputs)
        assert len(got) == len(expected)
        for g, want in zip(got, expected):
            want = _array(want)
            tol = _tolerance(want.dtype)
            np.testing.assert_allclose(g.astype(np.float64) if tol > 1e-4 else g,
                                       want.astype(np.float64) if tol > 1e-4 else want,
                                       rtol=tol, atol=tol)


def _array(value) -> np.ndarray:
    """A case's input or output: the Cast cases hold theirs as TensorProtos (numpy has no
    bfloat16 or float8)."""
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def _tolerance(dtype: np.dtype) -> float:
    """1e-4, or for a float16, bfloat16 or float8 output one unit in its last place: ONNX
    computed those expected outputs in that type, rounding every step, where Emberlite
    computes in float32 and rounds once."""
    if dtype == np.float16 or dtype.name.startswith(("bfloat16", "float8")):
        return max(1e-4, float(ml_dtypes.finfo(dtype).eps))
    return 1e-4


def _expect_refusal(model: onnx.ModelProto, reason: str) -> None:
    with pytest.raises((UnsupportedOpsError, ModelImportError)):
        convert_onnx(model)
    pytest.xfail(reason)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_node(case) -> None:
    if case.name in XFAIL:
        _expect_refusal(case.model, XFAIL[case.name])
    _check(case.model, case.data_sets, case.name in ORT_ORACLE)


@pytest.mark.parametrize("case", FROZEN, ids=[c.name for c in FROZEN])
def test_node_frozen(case) -> None:
    model, data_sets = _frozen(case)
    if case.name in XFAIL_FROZEN:
        _expect_refusal(model, XFAIL_FROZEN[case.name])
    _check(model, data_sets, case.name in ORT_ORACLE)


def test_xfail_lists_name_real_cases() -> None:
    names = {c.name for c in CASES}
    assert set(XFAIL) <= names, sorted(set(XFAIL) - names)
    assert set(XFAIL_FROZEN) <= {c.name for c in FROZEN}
    assert ORT_ORACLE <= names


def test_every_claimed_op_has_passing_cases() -> None:
    passing = {n.op_type for c in CASES if c.name not in XFAIL for n in c.model.graph.node}
    passing |= {n.op_type for c in FROZEN if c.name not in XFAIL_FROZEN
                for n in c.model.graph.node}
    # Not's cases are opset 1 (tests/kernels/test_logic_family.py runs it); GlobalLpPool has no
    # case (tests/importers/test_onnx_composed.py runs it). If's and Loop's cases take their
    # condition or trip count at run time (tests/importers/test_onnx_control_flow.py runs both
    # inlined).
    untested = CLAIMED - passing - {"Not", "GlobalLpPool", "If", "Loop"}
    assert not untested, f"claimed ops without a passing conformance case: {sorted(untested)}"
