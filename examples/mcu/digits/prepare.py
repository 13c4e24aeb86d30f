"""Host side of the digits firmware (examples/mcu/digits/main.c).

usage: prepare.py OUT_DIR

Converts examples/digits/out/digits.onnx (trained by examples/digits/train_export.py, run here
when its files are missing) to a full-int8 model with int8 input and output, calibrated on the
training images as examples/digits/demo.py does, and writes into OUT_DIR:
  digits_int8.ember        the model;
  model.c, model.h         `ember export-c`: the model as a const array in flash, the exact arena;
  model_ops.h              the ops it uses (the firmware's library is built with only those);
  digits_data.c, .h        the whole test split as the int8 bytes the host interpreter was given,
                           the labels, and how many of them the host got right.
The firmware must get exactly the host's count of correct predictions.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gen_c import banner, c_array, export_model, write_text  # noqa: E402

from emberlite import Interpreter  # noqa: E402
from emberlite.converter import Converter  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
DIGITS = ROOT / "examples" / "digits"
TRAINED = DIGITS / "out"
NEEDED = ("digits.onnx", "test_x.npy", "test_y.npy", "calib.npz")
TO_NHWC = (0, 2, 3, 1)


def ensure_trained() -> None:
    if all((TRAINED / name).is_file() for name in NEEDED):
        return
    print("training the digits model (examples/digits/train_export.py)")
    subprocess.run([sys.executable, str(DIGITS / "train_export.py")], check=True)


def convert(path: Path) -> None:
    # io_layout "nhwc": a 1-channel image is the same bytes either way, and the input is then
    # fed without the transpose node the NCHW input would need.
    Converter.from_onnx(str(TRAINED / "digits.onnx"), io_layout="nhwc").quantize(
        "int8", dataset=TRAINED / "calib.npz", method="minmax", io="int8").save(str(path))


def host_run(path: Path, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The int8 images the interpreter is given and its predicted classes (default kernels)."""
    interp = Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    if inp["dtype"] != np.int8 or out["dtype"] != np.int8:
        raise SystemExit(f"expected int8 input and output, got {inp['dtype']} / {out['dtype']}")
    if interp.get_metadata().get(f"layout.input.{inp['name']}") == "NHWC":
        images = images.transpose(TO_NHWC)
    scale, zero_point = inp["quantization"]
    quantized = np.clip(np.round(images / scale) + zero_point, -128, 127).astype(np.int8)
    predicted = []
    for image in quantized:
        interp.set_tensor(inp["index"], np.ascontiguousarray(image[None]))
        interp.invoke()
        # int8 logits order the classes as their float values do; the first of equal ones wins,
        # as in the firmware.
        predicted.append(int(np.argmax(interp.get_tensor(out["index"])[0])))
    return quantized, np.array(predicted)


def data_files(out_dir: Path, images: np.ndarray, labels: np.ndarray, correct: int) -> None:
    count, size = len(images), int(np.prod(images.shape[1:]))
    header = "\n".join([
        banner("digits/prepare.py"), "#ifndef DIGITS_DATA_H", "#define DIGITS_DATA_H", "",
        "#include <stdint.h>", "",
        "/* The digits test split as the host's interpreter was given it (int8, the model's",
        "   input quantization) and its labels; DIGITS_HOST_CORRECT: how many the host's int8",
        "   model classified right. */",
        f"#define DIGITS_TEST_COUNT {count}",
        f"#define DIGITS_IMAGE_BYTES {size}",
        f"#define DIGITS_HOST_CORRECT {correct}",
        "extern const int8_t digits_test_images[DIGITS_TEST_COUNT][DIGITS_IMAGE_BYTES];",
        "extern const uint8_t digits_test_labels[DIGITS_TEST_COUNT];", "",
        "#endif", ""])
    source = "\n".join([
        banner("digits/prepare.py"), '#include "digits_data.h"', "",
        c_array("const int8_t digits_test_images[DIGITS_TEST_COUNT][DIGITS_IMAGE_BYTES]",
                images.reshape(count, size)), "",
        c_array("const uint8_t digits_test_labels[DIGITS_TEST_COUNT]", labels), ""])
    write_text(out_dir / "digits_data.h", header)
    write_text(out_dir / "digits_data.c", source)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    ensure_trained()
    model = out_dir / "digits_int8.ember"
    convert(model)
    images, labels = np.load(TRAINED / "test_x.npy"), np.load(TRAINED / "test_y.npy")
    quantized, predicted = host_run(model, images)
    correct = int((predicted == labels).sum())
    print(f"host int8 accuracy: {correct}/{len(labels)} = {correct / len(labels):.4f}")
    export_model(model, out_dir, "digits")
    data_files(out_dir, quantized, labels.astype(np.uint8), correct)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
