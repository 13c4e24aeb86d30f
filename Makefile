# Emberlite: `make demo` and `make test` work on a fresh Debian 12 machine (as root, or with sudo).
# C targets live in mk/c.mk (c-lib, c-test, c-test-tsan, fuzz, fuzz-ember) and mk/cross.mk
# (cross-test, mcu-build).

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# pip rebuilds the cffi extension in place; the lock lets several shells run `make build` at once.
LOCK := flock /tmp/emberlite-build.lock
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_BASE := python3 python3-venv python3-dev gcc make util-linux
APT_TEST := flatbuffers-compiler clang libclang-rt-14-dev qemu-user \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross \
    gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm cmake \
    pocl-opencl-icd ocl-icd-libopencl1 clinfo
TORCH_TEST := torch==2.14.1 torchvision==0.29.1
TORCH_DEMO := torch==2.13.0
TF_BENCH := tensorflow-cpu==2.21.0
MPL_BENCH := matplotlib>=3.7

.PHONY: all install build demo test pytest pytest-delegates pytest-ref bench clean apt-base apt-test py-deps test-deps

all: build

# Installs the Debian packages named in $(1) that are missing, and nothing else.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "apt-get install$$missing"; \
	    $(SUDO) apt-get update -q && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

apt-base:
	$(call apt_install,$(APT_BASE))

apt-test: apt-base
	$(call apt_install,$(APT_TEST))

$(VENV)/bin/python:
	$(MAKE) apt-base
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel cffi

install: $(VENV)/bin/python
	$(LOCK) $(PIP) install -q --no-build-isolation -e '.[convert]'

build: $(VENV)/bin/python
	$(LOCK) $(PIP) install -q --no-deps --no-build-isolation -e .

demo: install
	@$(PY) -c 'import torch' 2>/dev/null || $(PIP) install -q $(TORCH_DEMO)
	@$(PY) -c 'import sklearn, onnxruntime' 2>/dev/null || $(PIP) install -q scikit-learn onnxruntime
	$(PY) examples/digits/train_export.py
	$(PY) examples/digits/demo.py

# The Python packages the tests and the benchmark need.
py-deps: $(VENV)/bin/python
	$(LOCK) $(PIP) install -q --no-build-isolation -e '.[test]'
	@$(PY) -c 'import torchvision' 2>/dev/null || $(PIP) install -q $(TORCH_TEST)

test-deps: apt-test py-deps

# tests/delegates runs in a process of its own (pytest-delegates): TensorFlow, which other tests
# import, exports its bundled LLVM's symbols to the whole process, and PoCL's LLVM then binds to
# them and crashes (docs/opencl.md).
pytest:
	$(PY) -m pytest -q --ignore=tests/delegates

pytest-delegates:
	$(PY) -m pytest -q tests/delegates

# The same tests of kernels, runtime and importers once more on the reference kernels alone
# (isa_mask NONE: the plain loops the optimised kernels are checked against).
PYTEST_REF_PATHS := tests/kernels tests/runtime tests/importers tests/conformance
pytest-ref:
	$(PY) -m pytest -q -p reference_kernels $(PYTEST_REF_PATHS)

TEST_STEPS := pytest pytest-delegates pytest-ref c-test c-test-tsan fuzz fuzz-ember cross-test mcu-test \
    c-test-opencl fuzz-opencl-cache fuzz-opencl-ember

# Runs every step even after one fails, so one CI run reports all failures; fails at the end.
test: test-deps
	@failed=""; for step in $(TEST_STEPS); do \
	    $(MAKE) --no-print-directory $$step || failed="$$failed $$step"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	echo "make test: all passed ($(TEST_STEPS))"

# Every fuzzer for FUZZ_LONG_EXECS executions under ASan + UBSan (not part of `make test`;
# 60 to 100 minutes on two cores): the C loader's and the OpenCL cache reader's libFuzzer
# harnesses, the structure-aware .ember fuzzer (with FUZZ_LONG_MUTANTS mutants per generated
# model) and the ONNX and TFLite importer fuzzers, FUZZ_LONG_JOBS at a time
# (tests/fuzz/fuzz_long.py). The numbers go to $(C_BUILD)/fuzz-long/summary.json and a table
# for bench/RESULTS.md to summary.md; a finding, a failure or a harness that stops short of
# FUZZ_LONG_EXECS (FUZZ_LONG_CAP_SECONDS each: the importer fuzzers make 185 to 365 a second,
# the TFLite one 185 on the corpus the earlier runs grew) fails the target.
FUZZ_LONG_EXECS ?= 1000000
FUZZ_LONG_JOBS ?= 2
FUZZ_LONG_MUTANTS ?= 100
FUZZ_LONG_CAP_SECONDS ?= 7200
.PHONY: fuzz-long
fuzz-long:
	$(MAKE) --no-print-directory $(C_BUILD)/fuzz_model $(C_BUILD)/fuzz_ember_run $(CLD_FUZZ) \
	    $(FUZZ_PYSAN_EXT) $(FUZZ_ASAN_FUZZER)
	$(PY) tests/fuzz/fuzz_long.py --execs $(FUZZ_LONG_EXECS) --jobs $(FUZZ_LONG_JOBS) \
	    --mutants $(FUZZ_LONG_MUTANTS) --cap-seconds $(FUZZ_LONG_CAP_SECONDS) \
	    --out $(C_BUILD)/fuzz-long --make "$(MAKE)"

bench: py-deps
	@$(PY) -c 'import tensorflow' 2>/dev/null || $(PIP) install -q $(TF_BENCH)
	@$(PY) -c 'import matplotlib' 2>/dev/null || $(PIP) install -q '$(MPL_BENCH)'
	$(PY) bench/bench_float.py
	$(PY) bench/bench_mobilenet.py
	$(PY) bench/bench_tflite.py
	$(PY) bench/bench_quantize.py

# The five full-int8 models: Emberlite vs LiteRT (XNNPACK and its reference kernels) on the same
# .tflite, vs ONNX Runtime QDQ int8, and vs Emberlite float32 (BENCH_INT8_ARGS=--quick: 112x112).
.PHONY: bench-int8
bench-int8: py-deps
	@$(PY) -c 'import tensorflow' 2>/dev/null || $(PIP) install -q $(TF_BENCH)
	@$(PY) -c 'import matplotlib' 2>/dev/null || $(PIP) install -q '$(MPL_BENCH)'
	$(PY) bench/bench_int8.py $(BENCH_INT8_ARGS)

# docs/onnx-node-tests.md: how many of the onnx wheel's node test cases Emberlite passes, beside
# ONNX Runtime (a few minutes; ONNX_NODE_TABLE_ARGS=--json out.json for per-case results).
.PHONY: onnx-node-table
onnx-node-table:
	$(PY) scripts/onnx_node_table.py $(ONNX_NODE_TABLE_ARGS)

clean:
	rm -rf build dist *.egg-info runtime/*.so runtime/_ember.c runtime/_ember.o \
	    examples/digits/out bench/out tests/c/out .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

-include mk/c.mk
-include mk/opencl.mk
-include mk/cross.mk
-include mk/mcu.mk
-include mk/fuzz_importers.mk
