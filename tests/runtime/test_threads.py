"""Interpreter(num_threads=...): torchvision conv nets (random weights, 96x96) give bit-identical
outputs on 1, 2 and 3 threads, on the default isa_mask (the fast, parallel kernels), invoked
twice on one interpreter; and num_threads reaches the C library's thread pool."""
from __future__ import annotations

import platform
from functools import lru_cache

import numpy as np
import pytest

from emberlite import Interpreter
from emberlite.errors import InvalidArgumentError
from tests.helpers import convert_onnx, run_ember
from tests.quantize.models import TORCHVISION_INPUT, torchvision_onnx

# The hosts whose Python extension is built with EMBER_HAVE_THREADS (runtime/_ffi_build.py).
THREADED_HOST = platform.machine().lower() in {"x86_64", "amd64", "aarch64", "arm64"}


@lru_cache(maxsize=2)
def _model(name: str) -> bytes:
    return convert_onnx(torchvision_onnx(name))


@pytest.mark.parametrize("name", ["mobilenet_v2", "resnet18"])
def test_outputs_identical_for_any_thread_count(name: str) -> None:
    model = _model(name)
    rng = np.random.default_rng(11)
    x = rng.standard_normal(TORCHVISION_INPUT).astype(np.float32)
    outputs = {}
    for threads in (1, 2, 3):
        interp = Interpreter(model_content=model, num_threads=threads)
        interp.allocate_tensors()
        first = run_ember(model, [x], interpreter=interp)[0].copy()
        again = run_ember(model, [x], interpreter=interp)[0]
        assert np.array_equal(first.view(np.uint32), again.view(np.uint32)), (
            f"{name} on {threads} threads: a second invoke differs from the first")
        outputs[threads] = first
    assert np.all(np.isfinite(outputs[1]))
    for threads in (2, 3):
        differ = np.count_nonzero(outputs[threads].view(np.uint32) != outputs[1].view(np.uint32))
        assert differ == 0, f"{name}: {differ} outputs differ between 1 and {threads} threads"


@pytest.mark.skipif(not THREADED_HOST, reason="this host's extension has no thread pool")
def test_num_threads_reaches_the_thread_pool() -> None:
    model = _model("resnet18")
    interp = Interpreter(model_content=model, num_threads=100000)
    with pytest.raises(InvalidArgumentError, match="num_threads is 100000"):
        interp.allocate_tensors()
    # The refusal is not sticky for the model: a sane count on a new interpreter works.
    Interpreter(model_content=model, num_threads=4).allocate_tensors()


@pytest.mark.parametrize("threads", [0, -2, 1.5])
def test_num_threads_must_be_a_positive_int(threads) -> None:
    model = _model("resnet18")
    with pytest.raises(ValueError, match="num_threads"):
        Interpreter(model_content=model, num_threads=threads)
