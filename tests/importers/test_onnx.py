"""The ONNX importer and the Converter API: error reporting, constant folding, removal of
inference no-ops, op mappings with constant weights (checked against ONNX Runtime)."""
from __future__ import annotations

import hashlib
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.converter import Converter, ModelImportError, UnsupportedOpsError
from emberlite.converter.errors import EmberError
from emberlite.converter.importers import import_onnx
from emberlite.converter.ops import OpType
from helpers import assert_matches_ort, convert_onnx

RNG = np.random.default_rng(7)


def _model(nodes: list[onnx.NodeProto], inputs: dict[str, list], outputs: list[str],
           initializers: dict[str, np.ndarray] | None = None,
           opset: int = 17) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "test",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v) for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (initializers or {}).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="emberlite-tests", producer_version="1.2")
    model.ir_version = 8
    return model


def _w(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _x(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _ops(data: bytes) -> list[str]:
    return Interpreter(model_content=data).node_ops()


# --- errors ----------------------------------------------------------------------------------
def test_all_unsupported_nodes_are_listed_at_once() -> None:
    nodes = [
        helper.make_node("NonZero", ["x"], ["a"], name="nonzero_1"),
        helper.make_node("Relu", ["x"], ["b"], name="relu_ok"),
        helper.make_node("Unique", ["b"], ["c"], name="unique_1"),
        helper.make_node("Resize", ["c", "", "scales"], ["d"], name="resize_cubic", mode="cubic",
                         keep_aspect_ratio_policy="fill"),
        helper.make_node("Compress", ["d", "keep"], ["y"], name="compress_1"),
    ]
    model = _model(nodes, {"x": [1, 2, 4, 4], "keep": [2]}, ["y"],
                   {"scales": np.array([1, 1, 2, 2], np.float32)}, opset=18)
    model.graph.input[1].type.tensor_type.elem_type = TensorProto.BOOL
    with pytest.raises(UnsupportedOpsError) as info:
        import_onnx(model)
    problems = {name: (op, why) for name, op, why in info.value.problems}
    assert set(problems) == {"nonzero_1", "unique_1", "resize_cubic", "compress_1"}
    assert problems["nonzero_1"][0] == "NonZero" and "not supported" in problems["nonzero_1"][1]
    assert "keep_aspect_ratio_policy='fill'" in problems["resize_cubic"][1]
    for name in problems:
        assert name in str(info.value)


def test_custom_domain_is_unsupported() -> None:
    node = helper.make_node("Gelu", ["x"], ["y"], name="gelu", domain="com.example")
    model = _model([node], {"x": [1, 4]}, ["y"])
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(UnsupportedOpsError, match="gelu.*custom domain"):
        import_onnx(model)


def test_wrong_rank_names_the_node() -> None:
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv_bad_rank")
    model = _model([node], {"x": [1, 3, 8]}, ["y"], {"w": _w(4, 3, 3, 3)})
    with pytest.raises(ModelImportError, match=r"conv_bad_rank.*Conv.*4D"):
        import_onnx(model)


def test_missing_initializer_names_the_node_and_input() -> None:
    node = helper.make_node("Conv", ["x", "w_missing"], ["y"], name="conv_no_weights")
    model = _model([node], {"x": [1, 3, 8, 8]}, ["y"])
    with pytest.raises(ModelImportError, match=r"conv_no_weights.*w_missing"):
        import_onnx(model)


def test_dynamic_dims() -> None:
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    model = _model([node], {"x": ["N", 3, "H", 8]}, ["y"])
    with pytest.raises(ModelImportError, match=r"'x'.*dimension 2.*H.*input_shapes"):
        import_onnx(model)
    graph = import_onnx(model, {"x": [2, 3, 5, 8]})
    assert graph.tensors["x"].shape == (2, 3, 5, 8)
    assert_matches_ort(model, [_x(2, 3, 5, 8)], input_shapes={"x": [2, 3, 5, 8]})
    with pytest.raises(ModelImportError, match="does not fit"):
        import_onnx(model, {"x": [1, 4, 5, 8]})
    with pytest.raises(ModelImportError, match="not graph inputs"):
        import_onnx(model, {"nope": [1]})


def test_dynamic_batch_becomes_one() -> None:
    node = helper.make_node("Sigmoid", ["x"], ["y"])
    model = _model([node], {"x": ["batch", 4]}, ["y"])
    assert import_onnx(model).tensors["x"].shape == (1, 4)
    assert_matches_ort(model, [_x(1, 4)])


def test_save_leaves_nothing_behind_on_error(tmp_path, monkeypatch) -> None:
    bad = _model([helper.make_node("Det", ["x"], ["y"], name="det")], {"x": [1, 4, 4]},
                 ["y"])
    with pytest.raises(UnsupportedOpsError):
        Converter.from_onnx(bad).save(tmp_path / "bad.ember")
    assert list(tmp_path.iterdir()) == []

    good = _model([helper.make_node("Relu", ["x"], ["y"])], {"x": [1, 4]}, ["y"])

    def failing_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        Converter.from_onnx(good).save(tmp_path / "good.ember")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()

    target = tmp_path / "good.ember"
    Converter.from_onnx(good).save(target)
    assert target.read_bytes() == Converter.from_onnx(good).convert()
    assert [p.name for p in tmp_path.iterdir()] == ["good.ember"]
    assert target.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600


def test_unreadable_sources() -> None:
    with pytest.raises(ModelImportError, match="cannot parse"):
        Converter.from_onnx(b"\xff\x00 not protobuf")
    with pytest.raises(ModelImportError, match="cannot read"):
        Converter.from_onnx("/nonexistent/model.onnx")
    with pytest.raises(TypeError):
        Converter.from_onnx(42)


def test_sources_and_metadata(tmp_path) -> None:
    model = _model([helper.make_node("Tanh", ["x"], ["y"])], {"x": [1, 3]}, ["y"])
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    raw = path.read_bytes()
    from_path = Converter.from_onnx(path).convert()
    assert Converter.from_onnx(str(path)).convert() == from_path
    assert Converter.from_onnx(raw).convert() == from_path
    meta = Interpreter(model_content=from_path).get_metadata()
    assert meta["source.format"] == "onnx"
    assert meta["source.sha256"] == hashlib.sha256(raw).hexdigest()
    assert meta["source.producer_name"] == "emberlite-tests"
    assert meta["source.producer_version"] == "1.2"


# --- constant folding and removed ops ----------------------------------------------------------
def test_shape_chain_is_folded() -> None:
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus_one"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["flat"]),
        helper.make_node("Relu", ["flat"], ["y"]),
    ]
    model = _model(nodes, {"x": [1, 3, 4, 4]}, ["y"],
                   {"zero": np.array(0, np.int64), "axes": np.array([0], np.int64),
                    "minus_one": np.array([-1], np.int64)})
    graph = import_onnx(model)
    assert [n.op for n in graph.nodes] == [OpType.RESHAPE, OpType.RELU]
    assert graph.tensors["flat"].shape == (1, 48)
    assert not any(t.dtype.name == "INT64" for t in graph.tensors.values())
    assert sorted(_ops(convert_onnx(model))) == ["relu", "reshape"]
    assert_matches_ort(model, [_x(1, 3, 4, 4)])


def test_ops_outside_the_table_fold_on_constants() -> None:
    nodes = [
        helper.make_node("ConstantOfShape", ["dims"], ["ones"],
                         value=numpy_helper.from_array(np.array([1.0], np.float32))),
        helper.make_node("Cast", ["ones"], ["ones64"], to=TensorProto.INT64),
        helper.make_node("ReduceSum", ["ones64"], ["count"], keepdims=1),
        helper.make_node("Concat", ["count", "minus_one"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    model = _model(nodes, {"x": [2, 6]}, ["y"],
                   {"dims": np.array([3], np.int64), "minus_one": np.array([-1], np.int64)})
    graph = import_onnx(model)
    assert graph.tensors["y"].shape == (3, 4)
    assert_matches_ort(model, [_x(2, 6)])


def test_batchnorm_dropout_identity_are_removed() -> None:
    c = 4
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["conv", "scale", "shift", "mean", "var"],
                         ["bn"], epsilon=1e-3),
        helper.make_node("Dropout", ["bn"], ["drop"]),
        helper.make_node("Identity", ["drop"], ["ident"]),
        helper.make_node("Relu", ["ident"], ["y"]),
    ]
    weights = {"w": _w(c, 3, 3, 3), "b": _w(c), "scale": _w(c), "shift": _w(c),
               "mean": _w(c), "var": np.abs(_w(c)) + 0.5}
    model = _model(nodes, {"x": [1, 3, 8, 8]}, ["y"], weights)
    graph = import_onnx(model)
    # The importer drops Dropout/Identity; BatchNormalization becomes a per-channel MUL + ADD.
    layout_free = [n.op for n in graph.nodes if n.op != OpType.TRANSPOSE]
    assert layout_free == [OpType.CONV2D, OpType.MUL, OpType.ADD, OpType.RELU]
    # ... which the passes fold into the convolution (between the NCHW edges' transposes).
    assert _ops(convert_onnx(model, io_layout="nhwc")) == ["conv2d"]
    assert _ops(convert_onnx(model)) == ["transpose", "conv2d", "transpose"]
    assert_matches_ort(model, [_x(1, 3, 8, 8)])


def test_identity_output_of_an_input_gets_its_own_tensor() -> None:
    nodes = [helper.make_node("Identity", ["x"], ["y"]),
             helper.make_node("Relu", ["x"], ["z"])]
    model = _model(nodes, {"x": [2, 3]}, ["y", "z"])
    assert_matches_ort(model, [_x(2, 3)])


def test_constant_output_is_stored() -> None:
    """An output that depends on no input (here computed from the Shape of a fixed-size
    input) is a constant in the file, read in place (format 8)."""
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="shape"),
             helper.make_node("Cast", ["s"], ["y"], name="cast_out", to=TensorProto.FLOAT),
             helper.make_node("Relu", ["x"], ["z"])]
    model = _model(nodes, {"x": [2, 3]}, ["y", "z"])
    assert_matches_ort(model, [_x(2, 3)])


def test_constant_output_of_a_type_emberlite_lacks_is_refused() -> None:
    # float64 constants are stored as they are (format 9); strings Emberlite has not.
    value = helper.make_tensor("v", TensorProto.STRING, [2], [b"a", b"b"])
    nodes = [helper.make_node("Constant", [], ["y"], name="string_out", value=value),
             helper.make_node("Relu", ["x"], ["z"])]
    model = _model(nodes, {"x": [2, 3]}, ["y", "z"])
    with pytest.raises(UnsupportedOpsError, match="string_out.*constant of type object"):
        import_onnx(model)


# --- op mappings with constant weights, against ONNX Runtime --------------------------------
def _conv_cases() -> list[tuple[str, onnx.ModelProto, list[int]]]:
    cases = []
    specs = [
        ("conv_group2_stride2", dict(group=2, strides=[2, 2], pads=[1, 0, 2, 1]), (6, 2, 3, 3)),
        ("conv_dilated", dict(dilations=[2, 1], pads=[2, 1, 2, 0]), (5, 4, 3, 3)),
        ("conv_same_upper", dict(auto_pad="SAME_UPPER", strides=[2, 3]), (5, 4, 4, 3)),
        ("conv_same_lower_stride", dict(auto_pad="SAME_LOWER", strides=[2, 2]), (5, 4, 2, 2)),
        ("depthwise_multiplier2", dict(group=4, pads=[1, 1, 1, 1]), (8, 1, 3, 3)),
    ]
    for name, attrs, wshape in specs:
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], **attrs)
        cases.append((name, _model([node], {"x": [1, 4, 9, 9]}, ["y"],
                                   {"w": _w(*wshape), "b": _w(wshape[0])}), [1, 4, 9, 9]))
    convt = [
        ("convtranspose_group2_outpad", dict(group=2, strides=[2, 2], output_padding=[1, 1],
                                             pads=[1, 0, 0, 1]), (4, 3, 3, 3)),
        ("convtranspose_same_upper", dict(auto_pad="SAME_UPPER", strides=[2, 2]), (4, 2, 3, 3)),
        ("convtranspose_output_shape", dict(strides=[3, 2], output_shape=[10, 8]),
         (4, 2, 3, 3)),
        ("convtranspose_output_shape_crop", dict(strides=[2, 2], output_shape=[5, 4]),
         (4, 2, 3, 3)),
        ("convtranspose_same_lower", dict(auto_pad="SAME_LOWER", strides=[2, 2]),
         (4, 2, 2, 3)),
    ]
    for name, attrs, wshape in convt:
        node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attrs)
        cout = wshape[1] * attrs.get("group", 1)
        cases.append((name, _model([node], {"x": [1, 4, 3, 3]}, ["y"],
                                   {"w": _w(*wshape), "b": _w(cout)}), [1, 4, 3, 3]))
    return cases


def _matrix_cases() -> list[tuple[str, onnx.ModelProto, list[int]]]:
    gemm = lambda name, c, **attrs: (  # noqa: E731
        name, _model([helper.make_node("Gemm", ["x", "w"] + (["c"] if c is not None else []),
                                       ["y"], **attrs)], {"x": [3, 5]}, ["y"],
                     {"w": _w(6, 5) if attrs.get("transB") else _w(5, 6),
                      **({"c": c} if c is not None else {})}), [3, 5])
    return [
        gemm("gemm_transb_bias", _w(6), transB=1, alpha=0.5, beta=2.0),
        gemm("gemm_matrix_c", _w(3, 6), alpha=1.5),
        gemm("gemm_row_c", _w(1, 6), beta=0.25),
        gemm("gemm_no_c", None, transB=1),
        ("matmul_const_3d", _model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                                   {"x": [2, 3, 5]}, ["y"], {"w": _w(5, 4)}), [2, 3, 5]),
        ("matmul_const_vector", _model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                                       {"x": [2, 5]}, ["y"], {"w": _w(5)}), [2, 5]),
    ]


def _window_cases() -> list[tuple[str, onnx.ModelProto, list[int]]]:
    def one(name, op, **attrs):
        node = helper.make_node(op, ["x"], ["y"], **attrs)
        return name, _model([node], {"x": [1, 3, 10, 9]}, ["y"]), [1, 3, 10, 9]
    return [
        one("maxpool_ceil", "MaxPool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        one("avgpool_ceil_pads", "AveragePool", kernel_shape=[3, 2], strides=[2, 2],
            pads=[1, 0, 1, 0], ceil_mode=1),
        one("avgpool_include_pad", "AveragePool", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
            count_include_pad=1),
        one("maxpool_same_lower", "MaxPool", kernel_shape=[2, 3], auto_pad="SAME_LOWER",
            strides=[2, 2]),
        one("global_max_pool", "GlobalMaxPool"),
        one("flatten_axis2", "Flatten", axis=2),
        one("softmax_axis1", "Softmax", axis=1),
    ]


def _other_cases() -> list[tuple[str, onnx.ModelProto, list[int]]]:
    resize = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear")
    nearest = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"],
                               coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    clip6 = helper.make_node("Clip", ["x", "lo", "hi"], ["y"])
    pad = helper.make_node("Pad", ["x", "pads"], ["y"], mode="reflect")
    split = helper.make_node("Split", ["x", "parts"], ["a", "b"], axis=1)
    slice_ = helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])
    x = {"x": [1, 3, 6, 5]}
    return [
        ("resize_linear_scales", _model([resize], x, ["y"],
                                        {"scales": np.array([1, 1, 2, 1.5], np.float32)}),
         [1, 3, 6, 5]),
        ("resize_nearest_sizes", _model([nearest], x, ["y"],
                                        {"sizes": np.array([1, 3, 9, 12], np.int64)}),
         [1, 3, 6, 5]),
        ("clip_relu6", _model([clip6], x, ["y"], {"lo": np.float32(0), "hi": np.float32(6)}),
         [1, 3, 6, 5]),
        ("pad_reflect", _model([pad], x, ["y"],
                               {"pads": np.array([0, 0, 2, 1, 0, 0, 1, 3], np.int64)}),
         [1, 3, 6, 5]),
        ("pad_negative_crops", _model([helper.make_node("Pad", ["x", "pads", "v"], ["y"])], x,
                                      ["y"], {"pads": np.array([0, 0, -1, 2, 0, 0, 1, -2],
                                                               np.int64),
                                              "v": np.float32(0.5)}), [1, 3, 6, 5]),
        ("split_two", _model([split], x, ["a", "b"], {"parts": np.array([1, 2], np.int64)}),
         [1, 3, 6, 5]),
        ("slice_negative_step", _model([slice_], x, ["y"], {
            "starts": np.array([-1, 1], np.int64), "ends": np.array([-100, 5], np.int64),
            "axes": np.array([2, 3], np.int64), "steps": np.array([-2, 2], np.int64)}),
         [1, 3, 6, 5]),
        ("upsample_opset7_nearest", _model([helper.make_node(
            "Upsample", ["x"], ["y"], scales=[1.0, 1.0, 2.0, 3.0])], x, ["y"], opset=7),
         [1, 3, 6, 5]),
        ("upsample_opset9_linear", _model([helper.make_node(
            "Upsample", ["x", "scales"], ["y"], mode="linear")], x, ["y"],
            {"scales": np.array([1, 1, 2, 1.5], np.float32)}, opset=9), [1, 3, 6, 5]),
        ("resize_opset10_linear_down", _model([helper.make_node(
            "Resize", ["x", "scales"], ["y"], mode="linear")], x, ["y"],
            {"scales": np.array([1, 1, 0.5, 1.5], np.float32)}, opset=10), [1, 3, 6, 5]),
        ("softmax_opset11_flattens", _model([helper.make_node("Softmax", ["x"], ["y"], axis=1)],
                                            x, ["y"], opset=11), [1, 3, 6, 5]),
        ("reduce_mean_opset13_attr", _model([helper.make_node("ReduceMean", ["x"], ["y"],
                                                              axes=[1, -1], keepdims=0)],
                                            x, ["y"], opset=13), [1, 3, 6, 5]),
    ]


MAPPING_CASES = _conv_cases() + _matrix_cases() + _window_cases() + _other_cases()


@pytest.mark.parametrize("model,shape", [c[1:] for c in MAPPING_CASES],
                         ids=[c[0] for c in MAPPING_CASES])
def test_op_mapping_matches_onnxruntime(model: onnx.ModelProto, shape: list[int]) -> None:
    for _ in range(2):
        assert_matches_ort(model, [_x(*shape)])


def test_constant_weights_are_stored_in_emberlite_layout() -> None:
    model = next(m for name, m, _ in _conv_cases() if name == "depthwise_multiplier2")
    graph = import_onnx(model)
    conv = next(n for n in graph.nodes if n.op == OpType.DEPTHWISE_CONV2D)
    weights = graph.tensors[conv.inputs[1]]
    onnx_w = numpy_helper.to_array(model.graph.initializer[0])
    np.testing.assert_array_equal(weights.data, onnx_w.transpose(1, 2, 3, 0))
    assert conv.params.depth_multiplier == 2
    assert "w" not in graph.tensors  # the original OIHW copy is not kept


# --- hostile models (issue 9): clear errors naming what is wrong, never another exception ---
def test_initializer_whose_dims_disagree_with_its_data() -> None:
    model = _model([helper.make_node("Add", ["x", "b"], ["y"])], {"x": [1, 6]}, ["y"])
    model.graph.initializer.append(TensorProto(
        name="b", data_type=TensorProto.FLOAT, dims=[3, 6],
        raw_data=np.zeros(6, np.float32).tobytes()))
    with pytest.raises(ModelImportError, match=r"initializer 'b' \(dims \[3, 6\], FLOAT\): "
                                               r"its data does not fit its dims"):
        Converter.from_onnx(model).convert()


@pytest.mark.parametrize("location", ["../../etc/passwd", "/etc/passwd", "weights.bin"])
def test_external_data_outside_the_folder_or_missing(tmp_path, location: str) -> None:
    model = _model([helper.make_node("Add", ["x", "b"], ["y"])], {"x": [1, 6]}, ["y"])
    w = TensorProto(name="b", data_type=TensorProto.FLOAT, dims=[1, 6],
                    data_location=TensorProto.EXTERNAL)
    w.external_data.add(key="location", value=location)
    model.graph.initializer.append(w)
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelImportError, match="cannot load the external data"):
        Converter.from_onnx(str(path))


def _gather(indices: list[int], axis: int = 1) -> onnx.ModelProto:
    return _model([helper.make_node("Gather", ["x", "i"], ["y"], name="pick", axis=axis)],
                  {"x": [2, 5]}, ["y"], {"i": np.array(indices, np.int64)})


@pytest.mark.parametrize("indices, bad", [([1, 7], 7), ([-6], -6), ([5, 0], 5)])
def test_constant_gather_index_out_of_range_names_node_index_and_bound(
        indices: list[int], bad: int) -> None:
    with pytest.raises(ModelImportError, match=rf"node 'pick' \(Gather\): index {bad} .*out "
                                               rf"of range \[-5, 5\) for axis 1 of size 5"):
        Converter.from_onnx(_gather(indices)).convert()


def test_constant_gather_indices_at_the_bounds_convert() -> None:
    x = _x(2, 5)
    assert_matches_ort(_gather([-5, 4, -1, 0]), [x])


@pytest.mark.parametrize("scales", [[1, 1, np.nan, 2], [1, 1, np.inf, 2], [1, 1, -2, 2]])
def test_resize_scales_must_be_finite_and_positive(scales: list[float]) -> None:
    model = _model([helper.make_node("Resize", ["x", "", "s"], ["y"], name="up")],
                   {"x": [1, 1, 4, 4]}, ["y"], {"s": np.array(scales, np.float32)})
    with pytest.raises(ModelImportError, match=r"node 'up' \(Resize\): scales must be finite "
                                               r"and positive"):
        Converter.from_onnx(model).convert()


def test_params_outside_the_format_name_the_node() -> None:
    model = _model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv",
                                     strides=[1 << 40, 1])],
                   {"x": [1, 1, 4, 4]}, ["y"], {"w": _w(1, 1, 3, 3)})
    with pytest.raises(EmberError, match=r"node 'conv' \(conv2d\): a parameter does not fit"):
        Converter.from_onnx(model).convert()


def test_dims_outside_the_format_name_the_tensor() -> None:
    model = _model([helper.make_node("Relu", ["x"], ["y"])], {"x": [1 << 31, 1]}, ["y"])
    with pytest.raises(EmberError, match=r"tensor 'x': shape \[2147483648, 1\] has a "
                                         r"dimension outside the format's range"):
        Converter.from_onnx(model, max_arena_bytes=1 << 40).convert()


# --- 1-D windows (run as 2-D ones of height 1) ------------------------------------------------
@pytest.mark.parametrize("op,attrs,w_shape", [
    ("Conv", {"pads": [1, 1]}, (6, 4, 3)),
    ("Conv", {"strides": [2], "dilations": [2], "pads": [2, 1]}, (6, 4, 3)),
    ("Conv", {"group": 4}, (8, 1, 5)),
    ("Conv", {"group": 2, "auto_pad": "SAME_UPPER"}, (6, 2, 4)),
    ("ConvTranspose", {"strides": [2], "pads": [1, 0], "output_padding": [1]}, (4, 3, 3)),
    ("MaxPool", {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}, None),
    ("AveragePool", {"kernel_shape": [4], "count_include_pad": 1, "pads": [0, 2]}, None),
    ("AveragePool", {"kernel_shape": [3], "ceil_mode": 1, "strides": [2]}, None),
])
def test_one_dimensional_windows_match_onnx_runtime(op: str, attrs: dict,
                                                    w_shape: tuple | None) -> None:
    inputs = ["x", "w", "b"] if w_shape else ["x"]
    inits = {}
    if w_shape:
        out_channels = w_shape[1] * attrs.get("group", 1) if op == "ConvTranspose" else w_shape[0]
        inits = {"w": _x(*w_shape), "b": _x(out_channels)}
    model = _model([helper.make_node(op, inputs, ["y"], **attrs)], {"x": [2, 4, 11]}, ["y"],
                   inits)
    data = convert_onnx(model)
    assert_matches_ort(model, [_x(2, 4, 11)])
    assert any(o.endswith("conv2d") or o.endswith("pool2d") for o in _ops(data))


def test_castlike_of_a_constant_stays_constant() -> None:
    """CastLike's second input only gives a type: a constant cast like a run-time tensor is
    a constant, so it may be Pad's value (as in ONNX's expanded Attention)."""
    value = helper.make_tensor("v", TensorProto.FLOAT, [], [-3.5])
    nodes = [helper.make_node("Constant", [], ["c"], value=value),
             helper.make_node("CastLike", ["c", "x"], ["cv"]),
             helper.make_node("Pad", ["x", "pads", "cv"], ["y"])]
    model = _model(nodes, {"x": [2, 3]}, ["y"],
                   {"pads": np.array([0, 1, 1, 0], np.int64)})
    assert_matches_ort(model, [_x(2, 3)])
