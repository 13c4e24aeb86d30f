# The OpenCL delegate (csrc/delegates/opencl, docs/opencl.md): a plug-in library the C tests
# dlopen as a user would, and its tests. Included by the top Makefile after mk/c.mk. Targets:
#   opencl-lib       $(C_BUILD)/libember_opencl.so and the sanitized libember_opencl-san.so
#   c-test-opencl    tests/c/delegates/test_*.c, plain and under ASan + UBSan (on PoCL:
#                    make apt-test installs it)
#   fuzz-opencl-cache libFuzzer over the cache file reader (FUZZ_OPENCL_RUNS runs)
#   fuzz-opencl-ember random .ember models through the delegate (FUZZ_OPENCL_EMBER_SECONDS)
# The library never links OpenCL: it dlopens the ICD loader (libOpenCL.so.1) at its first use.

CLD_DIR := csrc/delegates/opencl
# The core's SHA-256, portable block function only (no ISA defines), hidden like the rest.
CLD_SRCS := $(sort $(wildcard $(CLD_DIR)/*.c)) csrc/sha256.c
CLD_HDRS := $(wildcard $(CLD_DIR)/*.h) csrc/include/emberlite.h csrc/ember_internal.h \
    csrc/ember_schema.h csrc/kernels/resize_coords.h
CLD_KERNELS := $(sort $(wildcard $(CLD_DIR)/kernels/*.cl))
CLD_GEN := $(C_BUILD)/gen/cld_program_source.c
# Only ember_delegate_create and ember_delegate_destroy are exported (delegate.c marks them).
CLD_FLAGS := -std=c11 -Wall -Wextra -Werror -Icsrc -Icsrc/include -I$(CLD_DIR) -fPIC \
    -fvisibility=hidden -pthread
CLD_LIB := $(C_BUILD)/libember_opencl.so
CLD_SAN_LIB := $(C_BUILD)/libember_opencl-san.so
FUZZ_OPENCL_RUNS ?= 200000

CLD_TESTS := $(sort $(wildcard tests/c/delegates/test_*.c))
CLD_TEST_BINS := $(CLD_TESTS:tests/c/delegates/%.c=$(C_BUILD)/tests/delegates/%)
CLD_SAN_TEST_BINS := $(CLD_TESTS:tests/c/delegates/%.c=$(C_BUILD)/tests-san/delegates/%)

.PHONY: opencl-lib c-test-opencl fuzz-opencl-cache fuzz-opencl-ember

opencl-lib: $(CLD_LIB) $(CLD_SAN_LIB)

$(CLD_GEN): scripts/embed_cl.py $(CLD_KERNELS)
	python3 scripts/embed_cl.py $(CLD_DIR)/kernels $@

$(CLD_LIB): $(CLD_SRCS) $(CLD_GEN) $(CLD_HDRS)
	$(CC) $(CLD_FLAGS) $(C_OPT) -shared $(CLD_SRCS) $(CLD_GEN) -ldl -lm -o $@

$(CLD_SAN_LIB): $(CLD_SRCS) $(CLD_GEN) $(CLD_HDRS)
	$(CC) $(CLD_FLAGS) $(SAN_FLAGS) -shared $(CLD_SRCS) $(CLD_GEN) -ldl -lm -o $@

# The tests link the core (as a user does) and half.c, which test_opencl_half checks directly.
$(C_BUILD)/tests/delegates/%: tests/c/delegates/%.c tests/c/test_util.h $(CLD_DIR)/half.c \
    tests/c/delegates/opencl_test_util.h $(CLD_HDRS) $(C_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(C_OPT) -Itests/c -I$(CLD_DIR) $< $(CLD_DIR)/half.c $(C_LIB) -ldl -lm -o $@

$(C_BUILD)/tests-san/delegates/%: tests/c/delegates/%.c tests/c/test_util.h $(CLD_DIR)/half.c \
    tests/c/delegates/opencl_test_util.h $(CLD_HDRS) $(C_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) -Itests/c -I$(CLD_DIR) $< $(CLD_DIR)/half.c $(C_SAN_LIB) \
	    -ldl -lm -o $@

# Each test binary runs as `test_x MODELS_DIR LIBRARY`: the plain binary with the plain library,
# the sanitized one with the sanitized library. PoCL and LLVM keep allocations for the life of
# the process (compiler state), which LeakSanitizer would report: lsan.supp names their
# libraries, so leaks of our own code are still found.
c-test-opencl: $(CLD_TEST_BINS) $(CLD_SAN_TEST_BINS) $(CLD_LIB) $(CLD_SAN_LIB) $(C_MODELS)
	@exported=$$(nm -D --defined-only $(CLD_LIB) | awk '{print $$3}' | sort | tr '\n' ' '); \
	if [ "$$exported" != "ember_delegate_create ember_delegate_destroy " ]; then \
	    echo "$(CLD_LIB) exports more than its two entry points: $$exported"; exit 1; fi
	@failed=""; \
	for t in $(CLD_TEST_BINS); do \
	    $$t $(C_BUILD)/models $(CLD_LIB) || failed="$$failed $$t"; \
	done; \
	for t in $(CLD_SAN_TEST_BINS); do \
	    ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=tests/c/delegates/lsan.supp \
	        UBSAN_OPTIONS=print_stacktrace=1 \
	        $$t $(C_BUILD)/models $(CLD_SAN_LIB) || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "OpenCL delegate tests FAILED:$$failed"; exit 1; fi; \
	echo "OpenCL delegate tests: all $(words $(CLD_TEST_BINS) $(CLD_SAN_TEST_BINS)) binaries passed"

# The cache reader alone (program_cache.c and SHA-256): no OpenCL in the fuzzer.
CLD_FUZZ := $(C_BUILD)/fuzz_program_cache
$(CLD_FUZZ): tests/c/delegates/fuzz_program_cache.c $(CLD_DIR)/program_cache.c csrc/sha256.c \
    $(CLD_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -g -O1 -Icsrc -Icsrc/include -I$(CLD_DIR) \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $< $(CLD_DIR)/program_cache.c csrc/sha256.c -o $@

fuzz-opencl-cache: $(CLD_FUZZ)
	@mkdir -p $(C_BUILD)/fuzz-opencl-corpus
	$(CLD_FUZZ) -runs=$(FUZZ_OPENCL_RUNS) -seed=1 -print_final_stats=1 $(C_BUILD)/fuzz-opencl-corpus

# bench/bench_opencl.py: the delegate's start-up (empty and filled program cache, fresh
# processes) and latency against the CPU kernels at 1 and 2 threads, MobileNetV2 and ResNet18
# (BENCH_OPENCL_ARGS=--quick: 112x112, fewer rounds).
.PHONY: bench-opencl
bench-opencl: py-deps
	$(PY) bench/bench_opencl.py $(BENCH_OPENCL_ARGS)

# mk/c.mk's structure-aware .ember fuzzer with the delegate (tests/c/delegates/fuzz_opencl_run.c):
# random models through claim, prepare and invoke, everything sanitized, for
# FUZZ_OPENCL_EMBER_SECONDS. Findings go to a corpus in the build directory that starts as a
# copy of tests/c/corpus_ember.
FUZZ_OPENCL_EMBER_SECONDS ?= 60

$(C_BUILD)/fuzz_opencl_run: tests/c/delegates/fuzz_opencl_run.c tests/c/fuzz_runner.h \
    tests/c/delegates/opencl_test_util.h $(C_SAN_LIB)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) -Itests/c $< $(C_SAN_LIB) -ldl -lm -o $@

fuzz-opencl-ember: $(C_BUILD)/fuzz_opencl_run $(CLD_SAN_LIB)
	@mkdir -p $(C_BUILD)/fuzz-opencl-ember-corpus
	cp tests/c/corpus_ember/* $(C_BUILD)/fuzz-opencl-ember-corpus/
	EMBER_OPENCL_LIBRARY=$(CLD_SAN_LIB) LSAN_OPTIONS=suppressions=tests/c/delegates/lsan.supp \
	    $(PY) tests/fuzz/fuzz_ember.py --runner $< --seconds $(FUZZ_OPENCL_EMBER_SECONDS) \
	    --work $(C_BUILD)/fuzz-opencl-ember --corpus $(C_BUILD)/fuzz-opencl-ember-corpus
