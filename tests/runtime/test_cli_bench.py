"""`ember bench` (latency, --profile's per-node table), `ember inspect`'s kernel variants, and
the per-node calls under them: Interpreter.invoke_node, profile, node_names, node_variants,
node_inputs and node_outputs. No assertion is about how fast anything runs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import emberlite
from emberlite.cli import main, node_flops
from tests.helpers import convert_onnx

# x [1, 3, 20, 18] -> conv 3x3 stride 2 (8 channels) -> relu -> depthwise 3x3 -> conv 1x1
# (12 channels) -> global average pool -> flatten -> fully connected (5 outputs).
X_SHAPE = (1, 3, 20, 18)
CONV_OUT = (1, 8, 10, 9)  # pads 1: (20 + 2 - 3) // 2 + 1, (18 + 2 - 3) // 2 + 1
CLASSES = 5


def _model() -> onnx.ModelProto:
    rng = np.random.default_rng(3)

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.3,
                                       name)

    inits = [weight("w1", 8, 3, 3, 3), weight("b1", 8), weight("wd", 8, 1, 3, 3),
             weight("w2", 12, 8, 1, 1), weight("fc", 12, CLASSES), weight("fcb", CLASSES)]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], strides=[2, 2], pads=[1, 1, 1, 1],
                         name="stem"),
        helper.make_node("Relu", ["c1"], ["r1"], name="stem_relu"),
        helper.make_node("Conv", ["r1", "wd"], ["d1"], group=8, pads=[1, 1, 1, 1], name="dw"),
        helper.make_node("Conv", ["d1", "w2"], ["c2"], name="project"),
        helper.make_node("GlobalAveragePool", ["c2"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], name="classifier"),
    ]
    graph = helper.make_graph(nodes, "bench_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, X_SHAPE)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             [1, CLASSES])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "cnn.ember"
    path.write_bytes(convert_onnx(_model()))
    return path


def _bench_json(model_path: Path, capsys: pytest.CaptureFixture, *extra: str) -> dict:
    capsys.readouterr()
    assert main(["bench", str(model_path), "--runs", "3", "--warmup", "1", "--json",
                 *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_bench_prints_latency_threads_and_isa(model_path: Path, capsys) -> None:
    assert main(["bench", str(model_path), "--runs", "4", "--warmup", "1", "--threads",
                 "2"]) == 0
    out = capsys.readouterr().out
    assert "2 thread(s)" in out and "isa " in out
    for word in ("median", "p90", "min"):
        assert f"{word} " in out
    result = _bench_json(model_path, capsys, "--threads", "2")
    assert result["threads"] == 2 and result["runs"] == 3
    assert 0 < result["min_ms"] <= result["median_ms"] <= result["p90_ms"]
    assert "nodes" not in result  # only with --profile


def test_profile_rows_cover_every_node_and_share_the_total(model_path: Path, capsys) -> None:
    result = _bench_json(model_path, capsys, "--profile")
    interp = emberlite.Interpreter(model_path=model_path)
    interp.allocate_tensors()
    rows = result["nodes"]
    assert [r["index"] for r in rows] == list(range(len(interp.node_ops())))
    assert [r["op"] for r in rows] == interp.node_ops()
    assert [r["name"] for r in rows] == interp.node_names()
    assert [r["variant"] for r in rows] == interp.node_variants()
    assert sum(r["percent"] for r in rows) == pytest.approx(100.0, abs=0.01)
    assert all(r["ms"] >= 0 for r in rows)
    ops = result["ops"]
    assert sum(op["nodes"] for op in ops) == len(rows)
    assert sum(op["percent"] for op in ops) == pytest.approx(100.0, abs=0.01)
    # Rated ops only: an ADD or a pool has no FLOP count.
    assert all((r["flops"] is None) == (r["op"] not in ("conv2d", "depthwise_conv2d",
                                                        "fully_connected")) for r in rows)


def test_profile_flops_follow_the_layer_shapes(model_path: Path, capsys) -> None:
    rows = {r["op"]: r for r in _bench_json(model_path, capsys, "--profile")["nodes"]}
    n, cout, ho, wo = CONV_OUT
    stem = [r for r in _bench_json(model_path, capsys, "--profile")["nodes"]
            if r["op"] == "conv2d" and r["output_shape"] == [n, ho, wo, cout]]
    assert len(stem) == 1
    # Every output element of the stem is a 3x3x3 dot product: 2 FLOPs per multiply-add.
    assert stem[0]["flops"] == 2 * n * ho * wo * cout * 3 * 3 * 3
    if stem[0]["ms"] > 0:
        assert stem[0]["gflops"] == pytest.approx(stem[0]["flops"] / (stem[0]["ms"] * 1e6))
    assert rows["depthwise_conv2d"]["flops"] == 2 * n * ho * wo * cout * 3 * 3
    assert rows["fully_connected"]["flops"] == 2 * 12 * CLASSES


def test_profile_table_text(model_path: Path, capsys) -> None:
    assert main(["bench", str(model_path), "--runs", "2", "--warmup", "0", "--profile"]) == 0
    out = capsys.readouterr().out
    interp = emberlite.Interpreter(model_path=model_path)
    assert "GFLOP/s" in out and "per op:" in out
    for name in interp.node_names():
        assert name in out


def test_node_flops_of_batch_matmul_and_transpose_conv() -> None:
    # a [2, 3, 4, 5] x b [2, 3, 5, 6]: 2*3*4*6 outputs of 5 multiply-adds; read transposed
    # (a stored [.., K, M]) the count is the same.
    assert node_flops("batch_matmul", [[2, 3, 4, 5], [2, 3, 5, 6]], [[2, 3, 4, 6]]) == \
        2 * 2 * 3 * 4 * 6 * 5
    assert node_flops("batch_matmul", [[2, 3, 5, 4], [2, 3, 5, 6]], [[2, 3, 4, 6]]) == \
        2 * 2 * 3 * 4 * 6 * 5
    # Transpose conv: each of the 1*7*9 input pixels meets 4 output channels x 3x3 taps x 6
    # input channels.
    assert node_flops("transpose_conv2d", [[4], [4, 3, 3, 6], [1, 7, 9, 6]],
                      [[1, 15, 19, 4]]) == 2 * 7 * 9 * 4 * 3 * 3 * 6
    assert node_flops("add", [[1, 4], [1, 4]], [[1, 4]]) is None


def test_inspect_lists_each_nodes_variant(model_path: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["inspect", "--json", str(model_path)]) == 0
    info = json.loads(capsys.readouterr().out)
    interp = emberlite.Interpreter(model_path=model_path)
    interp.allocate_tensors()
    assert [n["variant"] for n in info["node_list"]] == interp.node_variants()
    assert [n["op"] for n in info["node_list"]] == interp.node_ops()
    assert main(["inspect", str(model_path)]) == 0
    text = capsys.readouterr().out
    assert "nodes (kernel variant" in text
    for name, variant in zip(interp.node_names(), interp.node_variants()):
        assert any(name in line and variant in line for line in text.splitlines())


def test_reference_mask_gives_reference_variants(model_path: Path, capsys) -> None:
    interp = emberlite.Interpreter(model_path=model_path, isa_mask=emberlite.ISA_NONE)
    assert set(interp.node_variants()) == {"reference"}  # before allocate too
    interp.allocate_tensors()
    assert set(interp.node_variants()) == {"reference"}
    result = _bench_json(model_path, capsys, "--reference", "--profile")
    assert result["isa"] == [] and {r["variant"] for r in result["nodes"]} == {"reference"}


def test_invoke_node_in_order_is_invoke(model_path: Path) -> None:
    interp = emberlite.Interpreter(model_path=model_path)
    interp.allocate_tensors()
    x = interp.get_input_details()[0]
    out = interp.get_output_details()[0]["index"]
    interp.set_tensor(x["index"], np.random.default_rng(0).standard_normal(
        tuple(x["shape"])).astype(np.float32))
    interp.invoke()
    whole = interp.get_tensor(out)
    interp.tensor(out)()[...] = 0
    for i in range(len(interp.node_ops())):
        interp.invoke_node(i)
    np.testing.assert_array_equal(interp.get_tensor(out), whole)
    interp.tensor(out)()[...] = 0
    assert len(interp.profile()) == len(interp.node_ops())
    np.testing.assert_array_equal(interp.get_tensor(out), whole)
    with pytest.raises(ValueError, match="out of range"):
        interp.invoke_node(len(interp.node_ops()))
    # The graph's edges: the first node reads the input, the last writes the output.
    assert interp.node_inputs(0)[0] == x["index"]
    assert interp.node_outputs(len(interp.node_ops()) - 1) == [out]


def test_invoke_node_before_allocate_is_misuse(model_path: Path) -> None:
    interp = emberlite.Interpreter(model_path=model_path)
    with pytest.raises(emberlite.MisuseError, match="allocate"):
        interp.invoke_node(0)


@pytest.mark.parametrize("flag, value", [("--threads", "0"), ("--runs", "0"),
                                         ("--warmup", "-1")])
def test_bench_refuses_bad_counts(model_path: Path, capsys, flag: str, value: str) -> None:
    assert main(["bench", str(model_path), flag, value]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ember: error: ") and flag in err
