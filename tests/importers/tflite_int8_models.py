"""Shared by the int8 and 16x8 TFLite tests: full-integer .tflite files made by TensorFlow's
TFLiteConverter from Keras models, LiteRT's outputs for them (reference kernels and default
kernels, run in a subprocess per model, since LiteRT can abort the process), Emberlite's
outputs for the same files, and the two comparisons the issue asks for.

    models = {"conv": int8_tflite(tf, keras_model, uniform(rng, (8, 8, 3)))}
    cases = litert_cases(folder, models, {"conv": [[x0], [x1]]})
    assert_identical_to_reference(cases["conv"])
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from emberlite import Interpreter
from emberlite.converter import Converter
from emberlite.converter.importers.tflite_reader import read_tflite

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
WORKER = Path(__file__).with_name("litert_tflite_worker.py")
Sample = list[np.ndarray]  # one array per model input


def int8_tflite(tf: Any, model: Any, inputs: Callable[[], np.ndarray | Sample],
                io_type: Any = None, samples: int = 32) -> bytes:
    """Full-integer conversion of a Keras model, calibrated on `samples` draws of `inputs`
    (an array for a one-input model, or a list with one array per input)."""
    return _full_integer(tf, model, inputs, tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                         io_type or tf.int8, samples)


def int16x8_tflite(tf: Any, model: Any, inputs: Callable[[], np.ndarray | Sample],
                   io_type: Any = None, samples: int = 32) -> bytes:
    """16x8 conversion (int16 activations, int8 weights, int64 biases) of a Keras model, as
    int8_tflite; inputs and outputs stay float32 unless `io_type` is tf.int16."""
    ops = tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
    return _full_integer(tf, model, inputs, ops, io_type or tf.float32, samples)


def _full_integer(tf: Any, model: Any, inputs: Callable[[], np.ndarray | Sample], ops: Any,
                  io_type: Any, samples: int) -> bytes:
    def representative():
        for _ in range(samples):
            x = inputs()
            yield list(x) if isinstance(x, (list, tuple)) else [x]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [ops]
    converter.inference_input_type = converter.inference_output_type = io_type
    return converter.convert()


def uniform(rng: np.random.Generator, shape: tuple[int, ...],
            low: float = -2.0, high: float = 2.0) -> Callable[[], np.ndarray]:
    return lambda: rng.uniform(low, high, (1, *shape)).astype(np.float32)


def random_int8_samples(data: bytes, rng: np.random.Generator, count: int,
                        dtype: Any = np.int8) -> list[Sample]:
    """`count` samples of uniformly random values of integer `dtype` (int8, or int16 for a
    16x8 model) for every input of the .tflite file."""
    model = read_tflite(data)
    shapes = [model.tensors[i].shape for i in model.inputs]
    info = np.iinfo(dtype)
    return [[rng.integers(info.min, info.max + 1, s).astype(dtype) for s in shapes]
            for _ in range(count)]


def tflite_ops(data: bytes) -> set[str]:
    return {op.op_name for op in read_tflite(data).operators}


def litert_cases(folder: Path, models: dict[str, bytes],
                 inputs: dict[str, list[Sample]]) -> dict[str, dict[str, Any]]:
    """name -> {"data": the .tflite, "inputs": samples, "ref" and "xnn": per sample, the list
    of LiteRT's outputs with reference (BUILTIN_REF) and default (XNNPACK) kernels}."""
    for name, data in models.items():
        (folder / f"{name}.tflite").write_bytes(data)
        np.savez(folder / f"{name}.in.npz", **{f"x{i}_{j}": x
                                               for i, sample in enumerate(inputs[name])
                                               for j, x in enumerate(sample)})
        # One process per model, so an abort inside LiteRT names the model it happened on.
        run = subprocess.run([sys.executable, str(WORKER), str(folder), name],
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, (f"LiteRT failed on {name} (exit {run.returncode}): "
                                     f"{run.stderr[-3000:]}")
    cases: dict[str, dict[str, Any]] = {}
    for name, data in models.items():
        stored = np.load(folder / f"{name}.out.npz")
        count = len(inputs[name])
        outs = {key: [[stored[k] for k in sorted(
                    (f for f in stored.files if f.startswith(f"{key}{i}_")),
                    key=lambda f: int(f.rsplit("_", 1)[1]))] for i in range(count)]
                for key in ("ref", "xnn")}
        cases[name] = {"data": data, "inputs": inputs[name], **outs}
    return cases


def ember_outputs(case: dict[str, Any], **options: Any) -> list[list[np.ndarray]]:
    """Emberlite's outputs for every sample of `case`, in the .tflite's input/output order;
    `options` go to the Interpreter (num_threads, isa_mask)."""
    interp = Interpreter(model_content=Converter.from_tflite(case["data"]).convert(), **options)
    interp.allocate_tensors()
    results = []
    for sample in case["inputs"]:
        for detail, x in zip(interp.get_input_details(), sample, strict=True):
            interp.set_tensor(detail["index"], x)
        interp.invoke()
        results.append([interp.get_tensor(d["index"]) for d in interp.get_output_details()])
    return results


def assert_identical_to_reference(case: dict[str, Any], **options: Any) -> None:
    """Every output byte equals LiteRT's reference kernels' (float outputs compared as bits);
    `options` go to Emberlite's Interpreter (num_threads, isa_mask)."""
    for i, (ours, ref) in enumerate(zip(ember_outputs(case, **options), case["ref"],
                                        strict=True)):
        for k, (got, want) in enumerate(zip(ours, ref, strict=True)):
            assert got.dtype == want.dtype and got.shape == want.shape, \
                f"sample {i} output {k}: {got.dtype}{got.shape} != {want.dtype}{want.shape}"
            assert got.tobytes() == want.tobytes(), (
                f"sample {i} output {k}: {np.count_nonzero(got != want)} of {got.size} "
                f"elements differ, max diff "
                f"{np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))}")


def assert_within_one_lsb_of_default(case: dict[str, Any], name: str) -> None:
    """At least 99% of the int8 output elements within 1 LSB of LiteRT's default kernels
    (XNNPACK); the fraction and the largest difference are printed."""
    within, count, max_diff = fraction_within_one_lsb(case)
    print(f"{name}: {within:.2%} of {count} elements within 1 LSB of LiteRT XNNPACK, "
          f"max diff {max_diff}")
    assert within >= 0.99


def fraction_within_one_lsb(case: dict[str, Any]) -> tuple[float, int, int]:
    """(fraction of int8 output elements within 1 LSB of LiteRT's default kernels, element
    count, max difference)."""
    ours = np.concatenate([y.reshape(-1) for s in ember_outputs(case) for y in s
                           if y.dtype == np.int8]).astype(np.int32)
    xnn = np.concatenate([y.reshape(-1) for s in case["xnn"] for y in s
                          if y.dtype == np.int8]).astype(np.int32)
    diff = np.abs(ours - xnn)
    return float(np.mean(diff <= 1)), int(ours.size), int(diff.max())
