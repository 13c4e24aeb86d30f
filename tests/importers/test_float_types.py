"""ONNX graphs in float16, float64 and bfloat16 (onnx_float_edges.py): inputs, outputs and
constants keep their declared type at the file's edges and the graph computes in float32;
checked against ONNX Runtime (float16, float64) and numpy in float32 rounded to the output
type (bfloat16, which ONNX Runtime's CPU provider lacks), with the edge CASTs counted, the
float64 PrecisionWarning, the runtime without ml_dtypes, and refusals naming the node."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite.cli import main
from emberlite.converter import Converter, UnsupportedOpsError
from emberlite.converter.importers.onnx import import_onnx
from emberlite.converter.importers.onnx_float_edges import PrecisionWarning
from emberlite.converter.ops import OpType
from tests.helpers import convert_onnx, run_ember, run_ort

RNG = np.random.default_rng(9)
ROOT = Path(__file__).resolve().parents[2]


def model(nodes: list, inputs: list, outputs: list, initializers: list = (),
          opset: int = 21) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def value(name: str, elem: int, shape: tuple[int, ...]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def ulps(got: np.ndarray, want: np.ndarray) -> float:
    """The largest difference in units of the last place of want's type (relative to
    max(|want|, 1)): a float32 computation rounded once differs from a float16 one stepwise
    rounded by about one."""
    eps = float(ml_dtypes.finfo(want.dtype).eps)
    g, w = got.astype(np.float64), want.astype(np.float64)
    return float(np.max(np.abs(g - w) / np.maximum(np.abs(w), 1.0))) / eps


def cast_nodes(m: onnx.ModelProto) -> int:
    """How many CAST nodes the imported graph has."""
    return sum(n.op == OpType.CAST for n in import_onnx(m).nodes)


def mlp(elem: int, dtype: type) -> tuple[onnx.ModelProto, list[np.ndarray]]:
    """MatMul with a constant weight, Add of a constant bias, Relu, then Mul by a second
    input: every value in `elem`."""
    w = RNG.normal(0, 0.5, (8, 6)).astype(dtype)
    b = RNG.normal(0, 0.5, (6,)).astype(dtype)
    m = model([helper.make_node("MatMul", ["x", "w"], ["h"]),
               helper.make_node("Add", ["h", "b"], ["a"]),
               helper.make_node("Relu", ["a"], ["r"]),
               helper.make_node("Mul", ["r", "s"], ["y"])],
              [value("x", elem, (3, 8)), value("s", elem, (3, 6))], [value("y", elem, (3, 6))],
              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    xs = [RNG.normal(0, 1, (3, 8)).astype(dtype), RNG.normal(0, 1, (3, 6)).astype(dtype)]
    return m, xs


def test_float16_graph_matches_onnx_runtime_within_an_ulp() -> None:
    m, xs = mlp(TensorProto.FLOAT16, np.float16)
    data = convert_onnx(m)
    got, = run_ember(data, xs)
    want, = run_ort(m, xs)
    assert got.dtype == np.float16 and got.shape == want.shape
    assert ulps(got, want) <= 2
    assert cast_nodes(m) == 3  # two inputs widened, the output narrowed; weights converted


def test_float64_graph_matches_onnx_runtime_to_float32_precision() -> None:
    m, xs = mlp(TensorProto.DOUBLE, np.float64)
    with pytest.warns(PrecisionWarning, match="float64"):
        data = convert_onnx(m)
    got, = run_ember(data, xs)
    want, = run_ort(m, xs)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_bfloat16_graph_is_float32_rounded_once() -> None:
    m, xs = mlp(TensorProto.BFLOAT16, ml_dtypes.bfloat16)
    got, = run_ember(convert_onnx(m), xs)
    w = numpy_helper.to_array(m.graph.initializer[0]).astype(np.float32)
    b = numpy_helper.to_array(m.graph.initializer[1]).astype(np.float32)
    x, s = (v.astype(np.float32) for v in xs)
    want = (np.maximum(x @ w + b, 0) * s).astype(ml_dtypes.bfloat16)
    assert got.dtype == ml_dtypes.bfloat16
    assert ulps(got, want) <= 1


def test_float16_conv_matches_onnx_runtime() -> None:
    w = RNG.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float16)
    m = model([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
              [value("x", TensorProto.FLOAT16, (1, 3, 6, 6))],
              [value("y", TensorProto.FLOAT16, (1, 4, 6, 6))], [numpy_helper.from_array(w, "w")])
    x = RNG.normal(0, 1, (1, 3, 6, 6)).astype(np.float16)
    got, = run_ember(convert_onnx(m), [x])
    want, = run_ort(m, [x])
    assert got.dtype == np.float16 and ulps(got, want) <= 2


@pytest.mark.filterwarnings(
    "ignore::emberlite.converter.importers.onnx_float_edges.PrecisionWarning")
@pytest.mark.parametrize("elem, dtype", [(TensorProto.FLOAT16, np.float16),
                                         (TensorProto.BFLOAT16, ml_dtypes.bfloat16),
                                         (TensorProto.DOUBLE, np.float64)],
                         ids=["float16", "bfloat16", "float64"])
def test_identity_and_shape_pass_values_through_exactly(elem: int, dtype: type) -> None:
    """float16 and bfloat16 survive float32 exactly; Shape reads no values (no CAST)."""
    m = model([helper.make_node("Identity", ["x"], ["y"]),
               helper.make_node("Shape", ["x"], ["s"])],
              [value("x", elem, (2, 5))], [value("y", elem, (2, 5)),
                                           value("s", TensorProto.INT64, (2,))])
    x = RNG.normal(0, 100, (2, 5)).astype(dtype)
    with np.errstate(all="ignore"):
        got, shape = run_ember(convert_onnx(m), [x])
    assert got.dtype == x.dtype and shape.tolist() == [2, 5]
    assert cast_nodes(m) == 2  # Identity reads x as float32; Shape reads x itself
    if dtype != np.float64:
        assert got.tobytes() == x.tobytes()
    else:  # float64 values are rounded to float32 inside
        np.testing.assert_array_equal(got, x.astype(np.float32).astype(np.float64))


def test_constant_output_keeps_its_type_when_a_node_also_reads_it() -> None:
    c = RNG.normal(0, 1, (4,)).astype(np.float16)
    m = model([helper.make_node("Add", ["x", "c"], ["y"])],
              [value("x", TensorProto.FLOAT16, (4,))],
              [value("y", TensorProto.FLOAT16, (4,)), value("c", TensorProto.FLOAT16, (4,))],
              [numpy_helper.from_array(c, "c")])
    x = RNG.normal(0, 1, (4,)).astype(np.float16)
    y, c_out = run_ember(convert_onnx(m), [x])
    assert c_out.dtype == np.float16 and c_out.tobytes() == c.tobytes()
    np.testing.assert_array_equal(y, (x.astype(np.float32) + c.astype(np.float32)).astype(
        np.float16))


def test_cast_inside_the_graph_rounds_to_its_type_once() -> None:
    """Cast(float64 -> float16) reads the float64 input itself (no float32 step, which would
    round twice), then Add computes on the float16 values."""
    m = model([helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16),
               helper.make_node("Add", ["h", "h"], ["y"])],
              [value("x", TensorProto.DOUBLE, (6,))], [value("y", TensorProto.FLOAT, (6,))])
    one, tie = 1.0, 2.0 ** -11  # float16 ulp at 1 is 2^-10: 1 + 2^-11 is a tie
    x = np.array([one + tie + 2.0 ** -40, one + tie, one + tie - 2.0 ** -40, -3.3, 7e4,
                  1e-9])
    got, = run_ember(convert_onnx(m), [x])
    with np.errstate(over="ignore"):
        h = x.astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(got, h + h)
    assert got[0] == 2 * (1 + 2.0 ** -10) and got[1] == 2.0  # up past the tie; tie to even


def test_float16_inputs_of_an_op_that_takes_bool_are_refused_by_name() -> None:
    m = model([helper.make_node("Not", ["x"], ["y"], name="the_not")],
              [value("x", TensorProto.FLOAT16, (3,))], [value("y", TensorProto.BOOL, (3,))])
    with pytest.raises(UnsupportedOpsError,
                       match=r"the_not \(Not\): input 0 \('x'\) has type FLOAT16; bool is"):
        Converter.from_onnx(m).convert()


def test_float16_cast_to_a_type_emberlite_lacks_names_the_node() -> None:
    m = model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.STRING, name="to_str")],
              [value("x", TensorProto.FLOAT16, (4,))], [value("y", TensorProto.STRING, (4,))])
    with pytest.raises(UnsupportedOpsError, match="to_str.*Cast to STRING"):
        convert_onnx(m)


def test_runtime_runs_without_ml_dtypes_until_a_bfloat16_tensor_is_touched(
        tmp_path: Path) -> None:
    """float16 and float64 need numpy only; a bfloat16 input says what to install."""
    for name, elem in (("half", TensorProto.FLOAT16), ("brain", TensorProto.BFLOAT16)):
        m = model([helper.make_node("Identity", ["x"], ["y"])], [value("x", elem, (2,))],
                  [value("y", elem, (2,))])
        (tmp_path / f"{name}.ember").write_bytes(convert_onnx(m))
    script = textwrap.dedent(f"""
        import sys
        sys.modules["ml_dtypes"] = None  # import ml_dtypes now raises ImportError
        import numpy as np
        from emberlite import Interpreter
        interp = Interpreter(model_path={str(tmp_path / 'half.ember')!r})
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], np.ones(2, np.float16))
        interp.invoke()
        print(interp.get_tensor(interp.get_output_details()[0]["index"]).dtype)
        interp = Interpreter(model_path={str(tmp_path / 'brain.ember')!r})
        interp.allocate_tensors()
        try:
            interp.get_input_details()
        except ImportError as e:
            print("ImportError:", e)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.splitlines()[0] == "float16"
    assert "ImportError: a bfloat16 tensor needs the ml_dtypes package" in out


@pytest.mark.parametrize("elem", [TensorProto.BFLOAT16, TensorProto.FLOAT16,
                                  TensorProto.FLOAT8E4M3FN], ids=["bfloat16", "float16",
                                                                  "float8e4m3fn"])
def test_ember_run_feeds_random_narrow_floats_and_describes_outputs(
        elem: int, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    m = model([helper.make_node("Identity", ["x"], ["y"])], [value("x", elem, (2, 3))],
              [value("y", elem, (2, 3))])
    path = tmp_path / "m.ember"
    path.write_bytes(convert_onnx(m))
    assert main(["run", str(path)]) == 0
    name = np.dtype(helper.tensor_dtype_to_np_dtype(elem)).name
    assert f"y: [2,3] {name} min " in capsys.readouterr().out
