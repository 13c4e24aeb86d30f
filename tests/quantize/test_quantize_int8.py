"""Full-int8 quantization end to end: a CNN trained on scikit-learn's digits (digits.py),
exported to ONNX, converted float and int8 (calibrated by each method), both run in
Emberlite; int8 accuracy, logits, file size, unsupported ops, determinism and the CLI."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from emberlite import Interpreter
from emberlite.cli import main
from emberlite.converter import Converter, QuantizationError
from tests.quantize.digits import CALIBRATION, accuracy, digits, logits_of  # noqa: F401
from tests.quantize.models import weight as random_weight

METHODS = ["minmax", "percentile", "entropy", "mse"]


def _calibration(digits: dict) -> np.ndarray:
    return digits["x_train"][:CALIBRATION]


def _int8(model: onnx.ModelProto, dataset, method: str = "minmax") -> bytes:
    return Converter.from_onnx(model).quantize("int8", dataset=dataset, method=method).convert()


@pytest.fixture(scope="module")
def float_result(digits: dict) -> tuple[bytes, np.ndarray]:
    model = Converter.from_onnx(digits["onnx"]).convert()
    return model, logits_of(model, digits["x_test"])


@pytest.mark.parametrize("method", METHODS)
def test_int8_accuracy_close_to_float(digits: dict, float_result, method: str) -> None:
    float_model, float_logits = float_result
    float_acc = accuracy(float_logits, digits["y_test"])
    assert float_acc >= 97.0
    model = _int8(digits["onnx"], _calibration(digits), method)
    interp = Interpreter(model_content=model)
    interp.allocate_tensors()
    assert interp.get_input_details()[0]["dtype"] == np.int8
    assert interp.get_metadata()["quantization"] == "int8"
    assert interp.get_metadata()["quantization.method"] == method
    logits = logits_of(model, digits["x_test"])
    acc = accuracy(logits, digits["y_test"])
    cosine = np.sum(logits * float_logits, axis=1) / (
        np.linalg.norm(logits, axis=1) * np.linalg.norm(float_logits, axis=1))
    print(f"\n{method}: float {float_acc:.2f}%  int8 {acc:.2f}%  "
          f"min cosine {cosine.min():.4f}  size {len(model)} / {len(float_model)} bytes")
    assert acc >= float_acc - 1.0
    assert cosine.min() >= 0.99


def _weight_heavy_cnn() -> onnx.ModelProto:
    """Conv layers whose weights dwarf the file's fixed overhead (names, shapes, metadata)."""
    weight = partial(random_weight, np.random.default_rng(0))
    inits = [weight("w1", 64, 3, 3, 3), weight("b1", 64), weight("w2", 128, 64, 3, 3),
             weight("b2", 128), weight("w3", 128, 128, 3, 3), weight("b3", 128),
             weight("fc", 10, 128), weight("fcb", 10),
             numpy_helper.from_array(np.array([1, -1], np.int64), "flat")]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c3"], ["r3"]),
        helper.make_node("AveragePool", ["r3"], ["g"], kernel_shape=[4, 4]),
        helper.make_node("Reshape", ["g", "flat"], ["f"]),
        helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1),
    ]
    graph = helper.make_graph(nodes, "heavy",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                             [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
                              inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_int8_file_size(digits: dict, float_result) -> None:
    # The digits model holds ~5k weights, too few for the file's fixed overhead to vanish, so
    # the 0.28x bound is checked on a conv model with ~230k weights.
    model = _weight_heavy_cnn()
    rng = np.random.default_rng(1)
    calib = [rng.standard_normal((1, 3, 8, 8)).astype(np.float32) for _ in range(8)]
    float_bytes = Converter.from_onnx(model).convert()
    int8_bytes = _int8(model, calib)
    ratio = len(int8_bytes) / len(float_bytes)
    digits_ratio = len(_int8(digits["onnx"], _calibration(digits))) / len(float_result[0])
    print(f"\nint8/float size: {ratio:.3f} ({len(int8_bytes)} / {len(float_bytes)} bytes); "
          f"digits model {digits_ratio:.3f}")
    assert ratio <= 0.28


def test_concatenation_and_shared_constants() -> None:
    # Concatenated branches with different ranges must share one set of params, and a filter
    # and bias shared by two convs with different input scales need two int32 biases.
    rng = np.random.default_rng(2)
    w = numpy_helper.from_array((rng.standard_normal((4, 4, 3, 3)) / 6).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b")
    fc = numpy_helper.from_array(rng.standard_normal((3, 8 * 6 * 6)).astype(np.float32), "fc")
    flat = numpy_helper.from_array(np.array([1, -1], np.int64), "flat")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["a"]),
             helper.make_node("Conv", ["a", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Concat", ["a", "c"], ["cat"], axis=1),
             helper.make_node("Reshape", ["cat", "flat"], ["f"]),
             helper.make_node("Gemm", ["f", "fc"], ["y"], transB=1)]
    graph = helper.make_graph(
        nodes, "branches", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], [w, b, fc, flat])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    images = rng.standard_normal((40, 4, 6, 6)).astype(np.float32)
    float_logits = logits_of(Converter.from_onnx(model).convert(), images[20:])
    logits = logits_of(_int8(model, list(images[:20])), images[20:])
    cosine = np.sum(logits * float_logits) / (np.linalg.norm(logits) *
                                              np.linalg.norm(float_logits))
    assert cosine >= 0.99


def _run(model_bytes: bytes, x: np.ndarray) -> tuple[np.ndarray, dict, dict]:
    interp = Interpreter(model_content=model_bytes)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    interp.set_tensor(inp["index"], np.ascontiguousarray(x.astype(inp["dtype"])))
    interp.invoke()
    return interp.get_tensor(out["index"]).copy(), inp, out


def _int8_and_io(digits: dict, io: str
                 ) -> tuple[np.ndarray, bytes, bytes, np.ndarray, dict, dict]:
    """The calibration set, the digits model quantized with int8 IO and with `io`, the test
    images (NCHW: the file keeps the ONNX model's layout), and the int8 model's input and
    output details."""
    calib = _calibration(digits)
    int8_model = _int8(digits["onnx"], calib)
    other = Converter.from_onnx(digits["onnx"]).quantize("int8", dataset=calib, io=io).convert()
    images = digits["x_test"]
    _, inp8, out8 = _run(int8_model, images[:1])
    return calib, int8_model, other, images, inp8, out8


def _litert_quantize(x: np.ndarray, scale: np.float32, zero_point: int) -> np.ndarray:
    """x quantized as LiteRT's QUANTIZE does: float32 division, ties away from zero, clamped
    to int8 (the values, as float)."""
    scaled = x / scale
    return np.clip(np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + zero_point, -128, 127)


def test_float_io_equals_int8_io_with_converted_io(digits: dict, tmp_path: Path) -> None:
    """io="float" adds QUANTIZE after the input and DEQUANTIZE before the output, so it must
    give exactly what the int8-IO model gives on inputs quantized and outputs dequantized by
    LiteRT's rules (float32 division, ties away from zero; (q - zp) * scale)."""
    calib, int8_model, float_model, nchw, inp8, out8 = _int8_and_io(digits, "float")
    s_in, zp_in = np.float32(inp8["quantization"][0]), inp8["quantization"][1]
    s_out, zp_out = np.float32(out8["quantization"][0]), out8["quantization"][1]
    # The images are k/16, so x / s_in hits ties; a few are nudged off the grid too.
    images = np.concatenate([nchw, nchw[:50] + np.float32(0.3) * s_in])
    for image in images:
        x = image[None]
        q_in = _litert_quantize(x, s_in, zp_in)
        q_out, _, _ = _run(int8_model, q_in)
        got, inp, out = _run(float_model, x)
        want = s_out * (q_out.astype(np.float32) - np.float32(zp_out))
        np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
    assert (inp["name"], inp["dtype"], out["name"], out["dtype"]) == (
        inp8["name"], np.float32, out8["name"], np.float32)
    source, data = tmp_path / "digits.onnx", tmp_path / "calib.npz"
    onnx.save(digits["onnx"], str(source))
    np.savez(data, image=calib)
    out_path = tmp_path / "digits_float_io.ember"
    assert main(["convert", str(source), "-o", str(out_path), "--quantize", "int8",
                 "--calibration", str(data), "--float-io"]) == 0
    assert out_path.read_bytes() == Converter.from_onnx(digits["onnx"]).quantize(
        "int8", dataset=data, io="float").convert()
    assert main(["convert", str(source), "--float-io"]) == 2


def test_uint8_io_equals_int8_io_shifted_by_128(digits: dict, tmp_path: Path, capsys) -> None:
    """io="uint8" puts a QUANTIZE uint8 -> int8 after the input and int8 -> uint8 before the
    output, with the int8 scales and zero points + 128: a plain shift, so on the whole test
    split the uint8 model's output bytes are the int8 model's + 128 (and the predictions
    equal), fed the int8 model's inputs + 128. The CLI's --io uint8 gives the same file."""
    calib, int8_model, uint8_model, nchw, inp8, out8 = _int8_and_io(digits, "uint8")
    s_in, zp_in = np.float32(inp8["quantization"][0]), inp8["quantization"][1]
    predictions = {np.int8: [], np.uint8: []}
    for image in nchw:
        q_in = _litert_quantize(image[None], s_in, zp_in)
        q_out, _, _ = _run(int8_model, q_in.astype(np.int8))
        got, inp, out = _run(uint8_model, (q_in + 128).astype(np.uint8))
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got.astype(np.int32), q_out.astype(np.int32) + 128)
        predictions[np.int8].append(int(np.argmax(q_out)))
        predictions[np.uint8].append(int(np.argmax(got)))
    assert predictions[np.uint8] == predictions[np.int8]
    assert accuracy(np.eye(10)[predictions[np.uint8]], digits["y_test"]) >= 90.0
    for details, int8 in ((inp, inp8), (out, out8)):
        assert (details["name"], details["dtype"]) == (int8["name"], np.uint8)
        assert details["quantization"] == (int8["quantization"][0],
                                           int8["quantization"][1] + 128)
        params = details["quantization_parameters"]
        assert params["zero_points"].tolist() == [int8["quantization"][1] + 128]
        assert params["scales"].tolist() == int8["quantization_parameters"]["scales"].tolist()
    ops = Interpreter(model_content=uint8_model).node_ops()
    assert ops[0] == ops[-1] == "quantize" and ops.count("quantize") == 2
    source, data = tmp_path / "digits.onnx", tmp_path / "calib.npz"
    onnx.save(digits["onnx"], str(source))
    np.savez(data, image=calib)
    out_path = tmp_path / "digits_uint8_io.ember"
    assert main(["convert", str(source), "-o", str(out_path), "--quantize", "int8",
                 "--calibration", str(data), "--io", "uint8"]) == 0
    assert out_path.read_bytes() == Converter.from_onnx(digits["onnx"]).quantize(
        "int8", dataset=data, io="uint8").convert()
    for flag, value in (("--io", "float"), ("--io", "int8")):
        other = tmp_path / f"digits_{value}.ember"
        assert main(["convert", str(source), "-o", str(other), "--quantize", "int8",
                     "--calibration", str(data), flag, value]) == 0
        assert other.read_bytes() == Converter.from_onnx(digits["onnx"]).quantize(
            "int8", dataset=data, io=value).convert()
    assert main(["convert", str(source), "--io", "uint8"]) == 2
    assert "--io is only used with --quantize int8" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: --io and --float-io exclude each other
        main(["convert", str(source), "--quantize", "int8", "--calibration", str(data),
              "--io", "uint8", "--float-io"])
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(QuantizationError, match="one of 'int8', 'uint8', 'float'"):
        Converter.from_onnx(digits["onnx"]).quantize("int8", dataset=calib, io="int16")


def test_int8_is_deterministic(digits: dict) -> None:
    calib = _calibration(digits)
    converter = Converter.from_onnx(digits["onnx"]).quantize(
        "int8", dataset=iter(list(calib)), method="entropy")
    first = converter.convert()
    assert converter.convert() == first  # the one-shot iterator was calibrated once
    assert _int8(digits["onnx"], calib, "entropy") == first


def test_cli_convert_quantize(digits: dict, tmp_path: Path, capsys) -> None:
    source = tmp_path / "digits.onnx"
    onnx.save(digits["onnx"], str(source))
    calib = tmp_path / "calib.npz"
    np.savez(calib, image=_calibration(digits))
    out = tmp_path / "digits_int8.ember"
    assert main(["convert", str(source), "-o", str(out), "--quantize", "int8",
                 "--calibration", str(calib), "--method", "percentile"]) == 0
    assert out.read_bytes() == _int8(digits["onnx"], calib, "percentile")
    assert main(["convert", str(source), "--quantize", "int8"]) == 2
    assert "needs --calibration" in capsys.readouterr().err
