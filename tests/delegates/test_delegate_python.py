"""The Python side of delegates: load_delegate and its errors, Interpreter's
experimental_delegates, node_placements and node_param, the delegate's lifetime, and the CLI's
--delegate (inspect, run, compare). The oracle is the CPU interpreter on the same file, and
for node_param the ONNX model the file was converted from."""
from __future__ import annotations

import ctypes.util
import gc
import json
import re
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter, InvalidArgumentError, MisuseError, load_delegate
from emberlite.cli import main, placement_text
from emberlite.converter import Converter
from emberlite.delegates import CREATE_SYMBOL, DESTROY_SYMBOL
from emberlite.errors import EmberRuntimeError
from helpers import max_rel_diff

ROOT = Path(__file__).resolve().parents[2]
RNG = np.random.default_rng(15)
CONV_W = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
CONV_B = RNG.standard_normal(4).astype(np.float32)
STRIDES = (2, 1)
PADS = (1, 1, 1, 1)
LEAKY_ALPHA = 0.2
TOL = 1e-4


def _conv_model() -> onnx.ModelProto:
    """x [1,3,9,8] -> Conv (strides 2,1) -> LeakyRelu -> act, and label = ArgMax(act) over
    the channels: ArgMax, with its int64 output, is not among the ops issue 15 gives the
    OpenCL delegate, so the graph splits between the delegate and the CPU."""
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["conv"], strides=list(STRIDES),
                          pads=list(PADS)),
         helper.make_node("LeakyRelu", ["conv"], ["act"], alpha=LEAKY_ALPHA),
         helper.make_node("ArgMax", ["act"], ["label"], axis=1, keepdims=0)],
        "delegate_conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 9, 8])],
        [helper.make_tensor_value_info("act", TensorProto.FLOAT, [1, 4, 5, 8]),
         helper.make_tensor_value_info("label", TensorProto.INT64, [1, 5, 8])],
        [numpy_helper.from_array(CONV_W, "w"), numpy_helper.from_array(CONV_B, "b")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _transpose_model(perm: list[int]) -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("Transpose", ["x"], ["y"], perm=perm)], "delegate_transpose",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [[2, 3, 4][p] for p in perm])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.fixture(scope="module")
def conv_model() -> bytes:
    return Converter.from_onnx(_conv_model()).convert()


@pytest.fixture
def conv_path(conv_model: bytes, tmp_path: Path) -> str:
    path = tmp_path / "conv.ember"
    path.write_bytes(conv_model)
    return str(path)


def _run(interp: Interpreter, seed: int = 0) -> list[np.ndarray]:
    interp.allocate_tensors()
    rng = np.random.default_rng(seed)
    for detail in interp.get_input_details():
        interp.set_tensor(detail["index"],
                          rng.standard_normal(detail["shape"]).astype(detail["dtype"]))
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def _assert_same_outputs(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        if w.dtype.kind == "f":
            assert max_rel_diff(g, w) <= TOL
        else:
            np.testing.assert_array_equal(g, w)


# -- load_delegate ---------------------------------------------------------------------------

def test_symbol_names_are_the_headers() -> None:
    header = (ROOT / "csrc" / "include" / "emberlite.h").read_text()
    for macro, value in (("CREATE", CREATE_SYMBOL), ("DESTROY", DESTROY_SYMBOL)):
        assert re.search(rf'#define EMBER_DELEGATE_{macro}_SYMBOL "{value}"', header)


def test_unknown_library_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot load delegate library"):
        load_delegate(str(tmp_path / "no_such_delegate.so"))
    with pytest.raises(ValueError, match="cannot load delegate library"):
        load_delegate("no_such_delegate")


def test_a_library_that_is_no_delegate_is_a_value_error() -> None:
    libm = ctypes.util.find_library("m")
    assert libm, "the C maths library is part of every Linux C installation"
    with pytest.raises(ValueError, match=f"exports no {CREATE_SYMBOL}"):
        load_delegate(libm)


@pytest.mark.parametrize("options,named", [({"no_such_option": 1}, "no_such_option"),
                                           ({"precision": "fp64"}, "precision"),
                                           ({"max_partition_nodes": "many"},
                                            "max_partition_nodes")])
def test_bad_option_is_a_value_error_with_the_delegates_message(
        make_opencl_delegate: Any, options: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match="cannot create delegate") as caught:
        make_opencl_delegate(**options)
    assert named in str(caught.value)


def test_delegate_names_and_describes_itself(make_opencl_delegate: Any) -> None:
    delegate = make_opencl_delegate(precision="fp16")
    assert delegate.name == "opencl"
    assert delegate.options["precision"] == "fp16"
    assert delegate.describe().strip()


def test_experimental_delegates_takes_delegates_only(conv_model: bytes) -> None:
    with pytest.raises(ValueError, match="load_delegate"):
        Interpreter(model_content=conv_model, experimental_delegates=["opencl"])


def test_at_most_four_delegates(conv_model: bytes, make_opencl_delegate: Any) -> None:
    delegates = [make_opencl_delegate() for _ in range(5)]
    Interpreter(model_content=conv_model, experimental_delegates=delegates[:4])
    with pytest.raises(EmberRuntimeError):
        Interpreter(model_content=conv_model, experimental_delegates=delegates)


# -- placements ------------------------------------------------------------------------------

def test_placements_need_allocate(conv_model: bytes, opencl_delegate: Any) -> None:
    interp = Interpreter(model_content=conv_model, experimental_delegates=[opencl_delegate])
    with pytest.raises(MisuseError, match="allocate_tensors"):
        interp.node_placements()


def test_placements_without_delegates_are_all_cpu(conv_model: bytes) -> None:
    interp = Interpreter(model_content=conv_model)
    interp.allocate_tensors()
    placements = interp.node_placements()
    assert [p["op"] for p in placements] == interp.node_ops()
    assert all(p["delegate"] is None and p["partition"] is None and p["reason"] == ""
               for p in placements)


def test_placements_split_the_graph_and_give_reasons(conv_model: bytes,
                                                     opencl_delegate: Any) -> None:
    interp = Interpreter(model_content=conv_model, experimental_delegates=[opencl_delegate])
    want = _run(Interpreter(model_content=conv_model))
    _assert_same_outputs(_run(interp), want)
    placements = interp.node_placements()
    assert [(p["index"], p["op"], p["name"]) for p in placements] == \
        list(zip(range(len(placements)), interp.node_ops(), interp.node_names()))
    delegated = [p for p in placements if p["delegate"] is not None]
    assert "conv2d" in [p["op"] for p in delegated]
    assert all(p["delegate"] == "opencl" for p in delegated)
    on_cpu = [p for p in placements if p["delegate"] is None]
    assert "arg_max" in [p["op"] for p in on_cpu]
    assert all(p["partition"] is None and p["reason"] for p in on_cpu)
    # Partitions are numbered from 0 and each is a run of consecutive nodes.
    partitions = [p["partition"] for p in delegated]
    assert sorted(set(partitions)) == list(range(len(set(partitions))))
    for number in set(partitions):
        nodes = [p["index"] for p in delegated if p["partition"] == number]
        assert nodes == list(range(nodes[0], nodes[0] + len(nodes)))


def test_partition_size_options_reach_the_core(conv_model: bytes,
                                               make_opencl_delegate: Any) -> None:
    none = Interpreter(model_content=conv_model,
                       experimental_delegates=[make_opencl_delegate(min_partition_nodes=1000)])
    _run(none)
    assert all(p["delegate"] is None and p["reason"] for p in none.node_placements())
    single = Interpreter(model_content=conv_model,
                         experimental_delegates=[make_opencl_delegate(max_partition_nodes=1)])
    _assert_same_outputs(_run(single), _run(Interpreter(model_content=conv_model)))
    partitions = [p["partition"] for p in single.node_placements() if p["delegate"]]
    assert len(partitions) >= 2 and len(set(partitions)) == len(partitions)


# -- node_param ------------------------------------------------------------------------------

def test_node_param_reads_the_models_values(conv_model: bytes) -> None:
    interp = Interpreter(model_content=conv_model)
    ops = interp.node_ops()
    conv = ops.index("conv2d")
    assert (interp.node_param(conv, "stride_h"), interp.node_param(conv, "stride_w")) == STRIDES
    assert [interp.node_param(conv, f"pad_{side}")
            for side in ("top", "left", "bottom", "right")] == list(PADS)
    assert interp.node_param(conv, "dilation_h") == 1  # the schema's default: not in the file
    alpha = interp.node_param(ops.index("leaky_relu"), "alpha")
    assert isinstance(alpha, float) and alpha == pytest.approx(LEAKY_ALPHA, rel=1e-7)


def test_node_param_reads_int_vectors() -> None:
    perm = [2, 0, 1]
    interp = Interpreter(model_content=Converter.from_onnx(_transpose_model(perm)).convert())
    assert interp.node_ops() == ["transpose"]
    assert interp.node_param(0, "perm") == perm


def test_node_param_errors(conv_model: bytes) -> None:
    interp = Interpreter(model_content=conv_model)
    conv = interp.node_ops().index("conv2d")
    with pytest.raises(InvalidArgumentError):
        interp.node_param(conv, "no_such_field")
    with pytest.raises(ValueError, match="out of range"):
        interp.node_param(len(interp.node_ops()), "stride_h")


# -- lifetime --------------------------------------------------------------------------------

def test_interpreter_keeps_its_delegate_alive(conv_model: bytes,
                                              make_opencl_delegate: Any) -> None:
    delegate = make_opencl_delegate()
    alive = weakref.ref(delegate)
    interp = Interpreter(model_content=conv_model, experimental_delegates=[delegate])
    del delegate
    gc.collect()
    assert alive() is not None
    _assert_same_outputs(_run(interp), _run(Interpreter(model_content=conv_model)))
    assert any(p["delegate"] for p in interp.node_placements())
    interp.invoke()
    del interp
    gc.collect()
    assert alive() is None


def test_one_delegate_serves_several_interpreters(conv_model: bytes,
                                                  opencl_delegate: Any) -> None:
    first = Interpreter(model_content=conv_model, experimental_delegates=[opencl_delegate])
    second = Interpreter(model_content=conv_model, experimental_delegates=[opencl_delegate])
    want = _run(Interpreter(model_content=conv_model), seed=3)
    _assert_same_outputs(_run(first, seed=3), want)
    del first
    gc.collect()
    _assert_same_outputs(_run(second, seed=3), want)


# -- the CLI ---------------------------------------------------------------------------------

def _cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def delegate_args(make_opencl_delegate: Any, opencl_cache_dir: Path) -> list[str]:
    """The CLI's arguments for the OpenCL delegate with the session's cache."""
    return ["--delegate", "opencl", "--delegate-option", f"cache_dir={opencl_cache_dir}"]


def test_cli_inspect_prints_every_nodes_placement(conv_path: str, opencl_delegate: Any,
                                                  delegate_args: list[str],
                                                  capsys: pytest.CaptureFixture) -> None:
    interp = Interpreter(model_path=conv_path, experimental_delegates=[opencl_delegate])
    interp.allocate_tensors()
    placements = interp.node_placements()
    status, out, _ = _cli(capsys, "inspect", *delegate_args, conv_path)
    assert status == 0
    delegated = sum(p["delegate"] is not None for p in placements)
    partitions = len({p["partition"] for p in placements if p["delegate"]})
    assert f"delegate opencl: {delegated} of {len(placements)} nodes in {partitions} " \
           f"partition(s)" in out
    lines = out.split("placement (")[1].splitlines()[1:]
    assert len(lines) == len(placements)
    for line, p in zip(lines, placements):
        assert line.split()[:2] == [str(p["index"]), p["op"]]
        assert line.rstrip().endswith(placement_text(p))

    status, out, _ = _cli(capsys, "inspect", "--json", *delegate_args,
                          conv_path)
    assert status == 0
    info = json.loads(out)["delegate"]
    assert info["placements"] == placements and info["partitions"] == partitions
    assert info["describe"].strip()


def test_cli_run_with_the_delegate_gives_the_cpus_outputs(conv_path: str, tmp_path: Path,
                                                          delegate_args: list[str],
                                                          capsys: pytest.CaptureFixture) -> None:
    assert _cli(capsys, "run", conv_path, "--save", str(tmp_path / "cpu"))[0] == 0
    status, out, _ = _cli(capsys, "run", conv_path, "--save", str(tmp_path / "gpu"),
                          *delegate_args)
    assert status == 0 and "delegate opencl:" in out
    saved = sorted(p.name for p in (tmp_path / "cpu").iterdir())
    assert saved == sorted(p.name for p in (tmp_path / "gpu").iterdir()) and saved
    _assert_same_outputs([np.load(tmp_path / "gpu" / name) for name in saved],
                         [np.load(tmp_path / "cpu" / name) for name in saved])


def test_cli_bench_reports_the_placements(conv_path: str, delegate_args: list[str],
                                          opencl_delegate: Any,
                                          capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _cli(capsys, "bench", conv_path, "--runs", "2", "--warmup", "1",
                          "--profile", "--json", *delegate_args)
    assert status == 0
    result = json.loads(out)
    interp = Interpreter(model_path=conv_path, experimental_delegates=[opencl_delegate])
    interp.allocate_tensors()
    assert result["delegate"]["placements"] == interp.node_placements()
    assert len(result["nodes"]) == len(interp.node_ops())


def test_cli_compare_passes_node_by_node(conv_path: str, delegate_args: list[str],
                                         capsys: pytest.CaptureFixture) -> None:
    status, out, _ = _cli(capsys, "compare", *delegate_args, conv_path,
                          "--runs", "1")
    assert status == 0, out
    ops = Interpreter(model_path=conv_path).node_ops()
    table = out.split("per node")[1].split("whole graph")[0].splitlines()[2:]
    assert [line.split()[:2] for line in table] == [[str(i), op] for i, op in enumerate(ops)]
    assert "PASS" in out.splitlines()[-1]


def test_cli_compare_fails_beyond_the_tolerance(conv_path: str, delegate_args: list[str],
                                                capsys: pytest.CaptureFixture) -> None:
    # Half-precision storage rounds to 11 significant bits: far beyond 1e-7 of the CPU.
    status, out, _ = _cli(capsys, "compare", *delegate_args,
                          "--delegate-option", "precision=fp16", "--tolerance", "1e-7",
                          "--runs", "1", conv_path)
    assert status == 1
    assert "beyond tolerance" in out and out.splitlines()[-1].startswith("FAIL")


@pytest.mark.parametrize("argv,message", [
    (["--delegate-option", "precision=fp16"], "--delegate-option needs --delegate"),
    (["--delegate", "opencl", "--delegate-option", "precision"], "KEY=VALUE"),
    (["--delegate", "no_such_delegate"], "cannot load delegate library"),
])
@pytest.mark.parametrize("command", ["inspect", "run", "bench", "compare"])
def test_cli_delegate_argument_errors(conv_path: str, command: str, argv: list[str],
                                      message: str, capsys: pytest.CaptureFixture) -> None:
    status, _, err = _cli(capsys, command, *argv, conv_path)
    assert status == 2 and err.startswith("ember: error:") and message in err


def test_cli_bad_delegate_option(conv_path: str, make_opencl_delegate: Any,
                                 capsys: pytest.CaptureFixture) -> None:
    for command in ("inspect", "run", "bench", "compare"):
        status, _, err = _cli(capsys, command, "--delegate", "opencl", "--delegate-option",
                              "no_such_option=1", conv_path)
        assert status == 2 and err.startswith("ember: error:") and "no_such_option" in err
