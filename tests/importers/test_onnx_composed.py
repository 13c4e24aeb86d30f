"""ONNX ops that the importer composes of other IR ops (converter/importers/
onnx_composed_ops.py) against ONNX Runtime: the normalisations on real shapes (after a
convolution, with and without bias, every axis), the variadic Sum/Mean/Max/Min with
broadcasting, Softsign, Celu, ThresholdedRelu, Shrink, Expand and Tile of float32, int64 and
bool tensors, DepthToSpace and SpaceToDepth in both modes, Einsum of one or two operands,
ArgMax and ArgMin with ties and either select_last_index, Clip and BatchNormalization with
run-time inputs, the hyperbolic and inverse hyperbolic formulas, Tan, Swish, PRelu and
RotaryEmbedding;
malformed attributes refused with the node and the reason."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from emberlite.converter import ModelImportError, UnsupportedOpsError
from tests.helpers import assert_matches_ort, convert_onnx, run_ember, run_ort

RNG = np.random.default_rng(11)
ELEM = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64, np.bool_: TensorProto.BOOL}


def _model(nodes: list[onnx.NodeProto], inputs: dict[str, tuple], outputs: dict[str, tuple],
           inits: dict[str, np.ndarray] | None = None, opset: int = 21) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "composed",
        [helper.make_tensor_value_info(n, ELEM[t], s) for n, (t, s) in inputs.items()],
        [helper.make_tensor_value_info(n, ELEM[t], s) for n, (t, s) in outputs.items()],
        [numpy_helper.from_array(v, n) for n, v in (inits or {}).items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _x(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32) * 2


@pytest.mark.parametrize("shape,axis", [((2, 5, 8), -1), ((2, 5, 8), 1), ((3, 4, 5, 6), 2),
                                        ((6, 7), 0)])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_normalization(shape: tuple[int, ...], axis: int, bias: bool) -> None:
    tail = shape[axis % len(shape):]
    inits = {"s": _x(*tail), **({"b": _x(*tail)} if bias else {})}
    node = helper.make_node("LayerNormalization", ["x", "s", *(["b"] if bias else [])],
                            ["y", "mean", "inv"], axis=axis, epsilon=1e-3)
    keep = tuple(1 if i >= axis % len(shape) else d for i, d in enumerate(shape))
    model = _model([node], {"x": (np.float32, shape)},
                   {"y": (np.float32, shape), "mean": (np.float32, keep),
                    "inv": (np.float32, keep)}, inits, opset=17)
    assert_matches_ort(model, [_x(*shape)], tol=1e-5)


def test_instance_normalization_after_a_convolution() -> None:
    inits = {"w": _x(6, 3, 3, 3), "s": _x(6), "b": _x(6)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("InstanceNormalization", ["c", "s", "b"], ["y"], epsilon=1e-4)]
    model = _model(nodes, {"x": (np.float32, (2, 3, 7, 5))}, {"y": (np.float32, (2, 6, 7, 5))},
                   inits, opset=17)
    assert_matches_ort(model, [_x(2, 3, 7, 5)], tol=1e-5)


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_group_normalization(groups: int) -> None:
    inits = {"s": _x(6), "b": _x(6)}
    node = helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=groups,
                            epsilon=1e-4)
    model = _model([node], {"x": (np.float32, (2, 6, 4, 3))}, {"y": (np.float32, (2, 6, 4, 3))},
                   inits)
    x = _x(2, 6, 4, 3)
    got, = run_ember(convert_onnx(model), [x])
    want, = ReferenceEvaluator(model).run(None, {"x": x})  # ONNX's own implementation
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("op", ["Sum", "Mean", "Max", "Min"])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_variadic(op: str, count: int) -> None:
    shapes = [(2, 3, 4), (4,), (3, 1)][:count]
    names = [f"x{i}" for i in range(count)]
    out = np.broadcast_shapes(*shapes)
    model = _model([helper.make_node(op, names, ["y"])],
                   {n: (np.float32, s) for n, s in zip(names, shapes)}, {"y": (np.float32, out)},
                   opset=13)
    assert_matches_ort(model, [_x(*s) for s in shapes], tol=1e-6)


@pytest.mark.parametrize("op,attrs", [("Softsign", {}), ("Celu", {}), ("Celu", {"alpha": 0.4}),
                                      ("ThresholdedRelu", {}),
                                      ("ThresholdedRelu", {"alpha": -0.5}), ("Shrink", {}),
                                      ("Shrink", {"bias": 0.3, "lambd": 1.0})])
def test_formula_activations(op: str, attrs: dict) -> None:
    model = _model([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": (np.float32, (3, 11))},
                   {"y": (np.float32, (3, 11))}, opset=13)
    x = _x(3, 11)
    x[0, :4] = [0.5, -0.5, 1.0, -1.0]  # the thresholds themselves
    assert_matches_ort(model, [x], tol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_], ids=lambda t: t.__name__)
@pytest.mark.parametrize("shape,target", [((3, 1), (2, 3, 4)), ((1, 4), (3, 1)),
                                          ((2, 3), (2, 3))], ids=str)
def test_expand(dtype: type, shape: tuple, target: tuple) -> None:
    out = np.broadcast_shapes(shape, target)
    model = _model([helper.make_node("Expand", ["x", "shape"], ["y"])], {"x": (dtype, shape)},
                   {"y": (dtype, out)}, {"shape": np.array(target, np.int64)}, opset=13)
    x = np.asarray(RNG.integers(-5, 5, shape)).astype(dtype)
    got, = run_ember(convert_onnx(model), [x])
    np.testing.assert_array_equal(got, np.broadcast_to(x, out))
    if dtype != np.bool_:  # ONNX Runtime has no bool Expand
        np.testing.assert_array_equal(got, run_ort(model, [x])[0])


@pytest.mark.parametrize("repeats", [(1, 1, 1), (2, 1, 3), (1, 4, 1)], ids=str)
def test_tile(repeats: tuple) -> None:
    out = tuple(d * r for d, r in zip((2, 3, 4), repeats))
    model = _model([helper.make_node("Tile", ["x", "r"], ["y"])], {"x": (np.float32, (2, 3, 4))},
                   {"y": (np.float32, out)}, {"r": np.array(repeats, np.int64)}, opset=13)
    assert_matches_ort(model, [_x(2, 3, 4)], tol=0.0)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space_and_back(mode: str) -> None:
    nodes = [helper.make_node("DepthToSpace", ["x"], ["d"], blocksize=2, mode=mode),
             helper.make_node("Relu", ["d"], ["y"])]
    model = _model(nodes, {"x": (np.float32, (1, 8, 3, 5))}, {"y": (np.float32, (1, 2, 6, 10))},
                   opset=13)
    assert_matches_ort(model, [_x(1, 8, 3, 5)], tol=0.0)
    back = _model([helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)],
                  {"x": (np.float32, (1, 3, 6, 4))}, {"y": (np.float32, (1, 12, 3, 2))},
                  opset=13)
    assert_matches_ort(back, [_x(1, 3, 6, 4)], tol=0.0)


@pytest.mark.parametrize("node,shape,message", [
    (helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=3), (1, 8, 2, 2),
     "not a multiple of 9"),
    (helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2), (1, 2, 3, 4),
     "does not divide the spatial size 3x4"),
    (helper.make_node("GroupNormalization", ["x", "s", "s"], ["y"], num_groups=4),
     (1, 6, 2, 2), "num_groups 4 does not divide the 6 channels"),
    (helper.make_node("Celu", ["x"], ["y"], alpha=0.0), (1, 6, 2, 2), "alpha must not be 0"),
])
def test_malformed_attributes_name_node_and_reason(node: onnx.NodeProto, shape: tuple,
                                                   message: str) -> None:
    inits = {"s": np.ones(6, np.float32)} if "s" in node.input else {}
    graph = helper.make_graph([node], "bad", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, shape)], [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(v, n) for n, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    with pytest.raises((UnsupportedOpsError, ModelImportError), match=message):
        convert_onnx(model)


def test_token_ids_and_masks_through_the_data_movement_ops() -> None:
    """int64 token ids and a bool mask moved by Unsqueeze, Reshape, Transpose, Concat, Slice,
    Split, Squeeze and Flatten before a Gather and a Where, as attention masks are built."""
    emb = _x(10, 4)
    nodes = [
        helper.make_node("Unsqueeze", ["ids", "ax0"], ["u"]),                    # [1,2,5]
        helper.make_node("Transpose", ["u"], ["t"], perm=[1, 0, 2]),            # [2,1,5]
        helper.make_node("Concat", ["t", "pad"], ["c"], axis=2),                # [2,1,7]
        helper.make_node("Slice", ["c", "s0", "s1", "ax2"], ["sl"]),            # [2,1,6]
        helper.make_node("Split", ["sl"], ["h0", "h1"], axis=2, num_outputs=2),  # [2,1,3] x2
        helper.make_node("Squeeze", ["h1", "ax1"], ["sq"]),                     # [2,3]
        helper.make_node("Gather", ["emb", "sq"], ["g"], axis=0),              # [2,3,4]
        helper.make_node("Equal", ["sq", "zero"], ["m"]),                       # [2,3] bool
        helper.make_node("Reshape", ["m", "shape"], ["mr"]),                    # [2,3,1]
        helper.make_node("Where", ["mr", "fill", "g"], ["y"]),                  # [2,3,4]
        helper.make_node("Flatten", ["h0"], ["f"], axis=1),                     # [2,3] int64
    ]
    inits = {"emb": emb, "ax0": np.array([0], np.int64), "ax1": np.array([1], np.int64),
             "ax2": np.array([2], np.int64), "pad": np.array([[[0, 3]], [[1, 9]]], np.int64),
             "s0": np.array([1], np.int64), "s1": np.array([7], np.int64),
             "zero": np.array(0, np.int64), "shape": np.array([2, 3, 1], np.int64),
             "fill": np.array(-1.0, np.float32)}
    model = _model(nodes, {"ids": (np.int64, (2, 5))},
                   {"y": (np.float32, (2, 3, 4)), "f": (np.int64, (2, 3))}, inits, opset=18)
    ids = np.array([[3, 0, 7, 0, 9], [1, 2, 0, 5, 6]], np.int64)
    got = run_ember(convert_onnx(model), [ids])
    want = run_ort(model, [ids])
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("axis", [-1, 1])
def test_rms_normalization(axis: int) -> None:
    shape = (2, 5, 8)
    scale = _x(*shape[axis % 3:])
    node = helper.make_node("RMSNormalization", ["x", "s"], ["y"], axis=axis, epsilon=1e-4)
    model = _model([node], {"x": (np.float32, shape)}, {"y": (np.float32, shape)}, {"s": scale},
                   opset=23)
    x = _x(*shape)
    got, = run_ember(convert_onnx(model), [x])
    want, = ReferenceEvaluator(model).run(None, {"x": x})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.int64], ids=lambda t: t.__name__)
@pytest.mark.parametrize("upper,k", [(1, 0), (1, 2), (0, -1), (0, 4)])
def test_trilu(dtype: type, upper: int, k: int) -> None:
    shape = (2, 4, 5)
    model = _model([helper.make_node("Trilu", ["x", "k"], ["y"], upper=upper)],
                   {"x": (dtype, shape)}, {"y": (dtype, shape)}, {"k": np.array(k, np.int64)},
                   opset=14)
    x = RNG.integers(1, 9, shape).astype(dtype)
    got, = run_ember(convert_onnx(model), [x])
    np.testing.assert_array_equal(got, run_ort(model, [x])[0])


@pytest.mark.parametrize("causal,mask,past,softcap,kv_heads", [
    (0, None, 0, 0.0, 4), (1, None, 0, 0.0, 2), (0, "bool", 0, 0.0, 4),
    (1, "float", 3, 0.0, 4), (0, "bool", 2, 5.0, 1)])
def test_attention_matches_onnx_runtime(causal: int, mask: str | None, past: int,
                                        softcap: float, kv_heads: int) -> None:
    """3-D Q/K/V with 4 query heads of 8: causal, bool and float masks, a key/value cache,
    softcap and grouped key/value heads; all four outputs."""
    batch, q_len, kv_len, size = 2, 5, 6, 8
    inputs = {"q": (np.float32, (batch, q_len, 4 * size)),
              "k": (np.float32, (batch, kv_len, kv_heads * size)),
              "v": (np.float32, (batch, kv_len, kv_heads * size))}
    names = ["q", "k", "v", "", "", ""]
    if mask:
        inputs["m"] = (np.bool_ if mask == "bool" else np.float32, (q_len, kv_len + past))
        names[3] = "m"
    if past:
        for n in ("pk", "pv"):
            inputs[n] = (np.float32, (batch, kv_heads, past, size))
        names[4:6] = ["pk", "pv"]
    total = kv_len + past
    outputs = {"y": (np.float32, (batch, q_len, 4 * size)),
               "present_k": (np.float32, (batch, kv_heads, total, size)),
               "present_v": (np.float32, (batch, kv_heads, total, size)),
               "qk": (np.float32, (batch, 4, q_len, total))}
    node = helper.make_node("Attention", [n for n in names if n] if not past else names,
                            list(outputs), is_causal=causal, q_num_heads=4,
                            kv_num_heads=kv_heads, softcap=softcap, qk_matmul_output_mode=1)
    model = _model([node], inputs, outputs, opset=23)
    feeds = []
    for n, (dtype, shape) in inputs.items():
        if dtype == np.bool_:
            feeds.append(RNG.random(shape) > 0.3)
        elif n == "m":
            feeds.append(np.where(RNG.random(shape) > 0.3, 0.0, -np.inf).astype(np.float32))
        else:
            feeds.append(_x(*shape))
    assert_matches_ort(model, feeds, tol=1e-5)


def test_attention_heads_must_divide() -> None:
    node = helper.make_node("Attention", ["q", "k", "v"], ["y"], q_num_heads=3, kv_num_heads=3)
    model = _model([node], {n: (np.float32, (1, 4, 8)) for n in "qkv"},
                   {"y": (np.float32, (1, 4, 8))}, opset=23)
    with pytest.raises((UnsupportedOpsError, ModelImportError), match="3 heads do not divide"):
        convert_onnx(model)


@pytest.mark.parametrize("node,shape", [
    (helper.make_node("Hardmax", ["x"], ["y"], axis=1), (3, 5, 2)),
    (helper.make_node("Hardmax", ["x"], ["y"]), (4, 6)),
    (helper.make_node("LpNormalization", ["x"], ["y"], axis=1, p=1), (3, 5, 2)),
    (helper.make_node("LpNormalization", ["x"], ["y"], axis=-1, p=2), (3, 5, 2)),
    (helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 3], p=3, strides=[1, 2],
                      pads=[1, 0, 0, 1]), (1, 2, 6, 7)),
    (helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[3], auto_pad="SAME_UPPER"),
     (2, 3, 8)),
    (helper.make_node("GlobalLpPool", ["x"], ["y"], p=2), (1, 3, 4, 5)),
    (helper.make_node("GlobalLpPool", ["x"], ["y"], p=1), (2, 3, 7)),
])
def test_formula_ops_match_onnx_runtime(node: onnx.NodeProto, shape: tuple) -> None:
    x = np.round(_x(*shape) * 2) / 2  # ties for Hardmax (the first index wins)
    x[0, 0] = 0.0  # an all-zero row for LpNormalization
    model = _model([node], {"x": (np.float32, shape)}, {}, opset=18)
    model.graph.output.append(helper.make_empty_tensor_value_info("y"))
    assert_matches_ort(model, [x], tol=1e-5)


EINSUMS = [("ij->ji", [(3, 4)]), ("ij->i", [(3, 4)]), ("ij->", [(3, 4)]), ("i,i", [(5,), (5,)]),
           ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
           ("bhqd,bhkd->bhqk", [(2, 3, 4, 8), (2, 3, 5, 8)]), ("ij,jk", [(3, 4), (4, 5)]), ("ik,jk->ij", [(3, 4), (5, 4)]),
           ("bij,jk->bik", [(2, 3, 4), (4, 5)]), ("ij,kl->ijkl", [(2, 3), (4, 2)]),
           ("abc,cd->da", [(2, 3, 4), (4, 5)])]


def _einsum_model(equation: str, shapes: list[tuple]) -> onnx.ModelProto:
    names = [f"x{i}" for i in range(len(shapes))]
    model = _model([helper.make_node("Einsum", names, ["y"], equation=equation)],
                   {n: (np.float32, s) for n, s in zip(names, shapes)}, {}, opset=13)
    model.graph.output.append(helper.make_empty_tensor_value_info("y"))
    return model


@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_onnx_runtime(equation: str, shapes: list[tuple]) -> None:
    assert_matches_ort(_einsum_model(equation, shapes), [_x(*s) for s in shapes], tol=1e-5)


@pytest.mark.parametrize("equation,shapes,message", [
    ("...ii->...i", [(3, 5, 5)], "ellipsis"),
    ("ii->i", [(5, 5)], "a repeated letter"),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], "3 operands"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "differs in size"),
])
def test_einsum_refusals_say_why(equation: str, shapes: list[tuple], message: str) -> None:
    with pytest.raises((UnsupportedOpsError, ModelImportError), match=message):
        convert_onnx(_einsum_model(equation, shapes))


# --- ArgMax / ArgMin with select_last_index -----------------------------------------------
@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis,keepdims", [(0, 1), (1, 0), (-1, 1), (2, 0)])
@pytest.mark.parametrize("last", [0, 1])
def test_arg_with_ties_matches_onnx_runtime(op: str, axis: int, keepdims: int,
                                            last: int) -> None:
    """Values from {-1, 0, 1}: most rows hold ties, so the first and the last tied index
    differ."""
    shape = (3, 4, 5)
    x = RNG.integers(-1, 2, shape).astype(np.float32)
    node = helper.make_node(op, ["x"], ["y"], axis=axis, keepdims=keepdims,
                            select_last_index=last)
    graph = helper.make_graph([node], "arg", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, shape)], [helper.make_empty_tensor_value_info("y")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    assert_matches_ort(model, [x])


def test_arg_with_select_last_index_out_of_range() -> None:
    node = helper.make_node("ArgMax", ["x"], ["y"], select_last_index=2)
    graph = helper.make_graph([node], "arg", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, (2, 3))], [helper.make_empty_tensor_value_info("y")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    with pytest.raises(UnsupportedOpsError, match="ArgMax_0.*select_last_index=2 is not"):
        convert_onnx(model)


# --- Clip and BatchNormalization with run-time inputs --------------------------------------
@pytest.mark.parametrize("given", [("min", "max"), ("min",), ("max",), ("min_const", "max"),
                                   ("min", "max_const")], ids="-".join)
def test_clip_with_run_time_bounds(given: tuple[str, ...]) -> None:
    """A bound given at run time (a graph input) is MAXIMUM / MINIMUM, a constant one with
    it joins them; a min above the max included (ONNX Runtime gives the max)."""
    shape = (2, 3, 4)
    inputs = {"x": (np.float32, shape)}
    inits: dict[str, np.ndarray] = {}
    feeds = [_x(*shape)]
    names = []
    for bound, value in (("min", -0.7), ("max", 1.1)):
        if bound in given:
            inputs[bound] = (np.float32, ())
            feeds.append(np.array(value, np.float32))
            names.append(bound)
        elif f"{bound}_const" in given:
            inits[bound] = np.array(value, np.float32)
            names.append(bound)
        else:
            names.append("")
    node = helper.make_node("Clip", ["x", *names], ["y"])
    model = _model([node], inputs, {"y": (np.float32, shape)}, inits, opset=13)
    assert_matches_ort(model, feeds, tol=0.0)
    moved = [feeds[0], *(np.array(1.5 - f, np.float32) for f in feeds[1:])]  # min 2.2, max 0.4
    assert_matches_ort(model, moved, tol=0.0)


@pytest.mark.parametrize("constant", [(), ("scale", "bias"), ("mean", "var")], ids=str)
def test_batch_normalization_with_run_time_statistics(constant: tuple[str, ...]) -> None:
    shape = (2, 3, 4, 5)
    stats = {"scale": _x(3), "bias": _x(3), "mean": _x(3), "var": RNG.uniform(0.1, 2, 3)
             .astype(np.float32)}
    inputs = {"x": (np.float32, shape), **{n: (np.float32, (3,)) for n in stats
                                           if n not in constant}}
    node = helper.make_node("BatchNormalization", ["x", *stats], ["y"], epsilon=1e-3)
    model = _model([node], inputs, {"y": (np.float32, shape)},
                   {n: stats[n] for n in constant}, opset=15)
    assert_matches_ort(model, [_x(*shape), *(stats[n] for n in stats if n not in constant)])


@pytest.mark.parametrize("node,inputs,message", [
    (helper.make_node("Clip", ["x", "lo"], ["y"]), {"lo": (3,)},
     r"Clip_0.*min must be a scalar, got shape \[3\]"),
    (helper.make_node("BatchNormalization", ["x", "s", "s", "s", "v"], ["y"]), {"v": (4,)},
     r"BatchNormalization_0.*scale, B, mean and var must be \[C\]"),
    (helper.make_node("BatchNormalization", ["x", "s", "s", "s", "v"], ["y"], training_mode=1),
     {"v": (3,)}, "BatchNormalization_0.*training_mode=1 is not supported"),
], ids=["clip", "batch_normalization", "training"])
def test_run_time_inputs_of_the_wrong_shape(node: onnx.NodeProto, inputs: dict[str, tuple],
                                            message: str) -> None:
    model = _model([node], {"x": (np.float32, (2, 3, 4)),
                            **{n: (np.float32, s) for n, s in inputs.items()}},
                   {"y": (np.float32, None)}, {"s": np.ones(3, np.float32)}, opset=15)
    with pytest.raises((UnsupportedOpsError, ModelImportError), match=message):
        convert_onnx(model)


# --- formula unary ops and PRelu ----------------------------------------------------------
@pytest.mark.parametrize("op,low,high", [("Sinh", -6, 6), ("Cosh", -6, 6), ("Tan", -1.4, 1.4),
                                         ("Asinh", -300, 300), ("Acosh", 1, 300),
                                         ("Atanh", -0.99, 0.99)])
def test_formula_unary_ops_match_onnx_runtime(op: str, low: float, high: float) -> None:
    shape = (3, 4, 5)
    model = _model([helper.make_node(op, ["x"], ["y"])], {"x": (np.float32, shape)},
                   {"y": (np.float32, shape)}, opset=13)
    assert_matches_ort(model, [RNG.uniform(low, high, shape).astype(np.float32)], tol=1e-5)


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_swish_matches_the_onnx_reference(alpha: float) -> None:
    """Opset 24 (ONNX Runtime may not read it): compared with ONNX's own evaluator."""
    model = _model([helper.make_node("Swish", ["x"], ["y"], alpha=alpha)],
                   {"x": (np.float32, (3, 7))}, {"y": (np.float32, (3, 7))}, opset=24)
    x = _x(3, 7)
    got, = run_ember(convert_onnx(model), [x])
    want, = ReferenceEvaluator(model).run(None, {"x": x})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("slope", [(3, 4, 5), (5,), (4, 1), ()], ids=str)
def test_prelu_broadcasts_its_slope(slope: tuple[int, ...]) -> None:
    model = _model([helper.make_node("PRelu", ["x", "s"], ["y"])],
                   {"x": (np.float32, (3, 4, 5)), "s": (np.float32, slope)},
                   {"y": (np.float32, (3, 4, 5))}, opset=16)
    assert_matches_ort(model, [_x(3, 4, 5), np.asarray(_x(*slope), np.float32)], tol=0.0)


def test_prelu_slope_that_does_not_broadcast() -> None:
    model = _model([helper.make_node("PRelu", ["x", "s"], ["y"])],
                   {"x": (np.float32, (3, 4)), "s": (np.float32, (3,))}, {"y": (np.float32, None)},
                   opset=16)
    with pytest.raises((UnsupportedOpsError, ModelImportError),
                       match=r"PRelu_0.*slope \[3\] does not broadcast to the input's \[3, 4\]"):
        convert_onnx(model)


# --- RotaryEmbedding ----------------------------------------------------------------------
@pytest.mark.parametrize("rank", [3, 4])
@pytest.mark.parametrize("interleaved", [0, 1])
@pytest.mark.parametrize("rotary_dim", [0, 4])
@pytest.mark.parametrize("positions", [True, False], ids=["position_ids", "per_token"])
def test_rotary_embedding_matches_onnx_runtime(rank: int, interleaved: int, rotary_dim: int,
                                               positions: bool) -> None:
    batch, heads, length, size = 2, 3, 5, 8
    half = (rotary_dim or size) // 2
    shape = (batch, heads, length, size) if rank == 4 else (batch, length, heads * size)
    caches = (11, half) if positions else (batch, length, half)
    inputs = {"x": (np.float32, shape), "cos": (np.float32, caches),
              "sin": (np.float32, caches)}
    feeds = [_x(*shape), _x(*caches), _x(*caches)]
    if positions:
        inputs["pos"] = (np.int64, (batch, length))
        feeds.append(RNG.integers(0, 11, (batch, length)))
    attrs = {"num_heads": heads} if rank == 3 else {}
    node = helper.make_node("RotaryEmbedding", list(inputs), ["y"], interleaved=interleaved,
                            rotary_embedding_dim=rotary_dim, **attrs)
    model = _model([node], inputs, {"y": (np.float32, shape)}, opset=23)
    assert_matches_ort(model, feeds, tol=1e-5)


@pytest.mark.parametrize("shape,attrs,message", [
    ((2, 5, 24), {}, r"num_heads \(0\) dividing hidden"),
    ((2, 3, 5, 8), {"rotary_embedding_dim": 5}, "rotary_embedding_dim 5 must be even"),
], ids=["no_heads", "odd_dim"])
def test_rotary_embedding_refusals(shape: tuple, attrs: dict, message: str) -> None:
    node = helper.make_node("RotaryEmbedding", ["x", "c", "c"], ["y"], **attrs)
    model = _model([node], {"x": (np.float32, shape), "c": (np.float32, (2, 5, 4))},
                   {"y": (np.float32, None)}, opset=23)
    with pytest.raises((UnsupportedOpsError, ModelImportError),
                       match=f"RotaryEmbedding_0.*{message}"):
        convert_onnx(model)
