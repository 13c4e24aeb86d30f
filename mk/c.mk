# The C side: the static library, the C unit tests (plain and sanitized) and the fuzzer.
# Included by the top Makefile. Targets:
#   c-lib     build/libemberlite.a
#   c-models  build/models/*.ember, the small models the C tests load (tests/c/make_models.py)
#   c-test    every tests/c/test_*.c, built and run twice: plain, and with ASan + UBSan
#   c-test-tsan the thread-pool tests (C_TSAN_TESTS) built with ThreadSanitizer and run
#   fuzz      libFuzzer over tests/c/corpus (FUZZ_RUNS runs, default 100000)
#   fuzz-ember the structure-aware .ember fuzzer (FUZZ_EMBER_SECONDS, default 150, with
#             FUZZ_EMBER_MUTANTS mutants of each generated model)
#   bench-kernels the microkernel harness (bench/kernels/bench_ukernels.c) pinned to one core
#   bench-threadpool the thread pool's dispatch cost and scaling (bench/kernels/bench_threadpool.c)
#   bench-coldstart create / allocate / first invoke of one model in fresh processes

C_BUILD := build
PY ?= .venv/bin/python
CC ?= cc
FUZZ_CC ?= clang
FUZZ_RUNS ?= 100000
C_OPT ?= -O2

C_FLAGS := -std=c11 -Wall -Wextra -Werror -Icsrc -Icsrc/include
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
    -fno-sanitize-recover=undefined
C_SRCS := $(sort $(wildcard csrc/*.c csrc/kernels/*.c csrc/ukernels/*.c))
C_HDRS := $(wildcard csrc/*.h csrc/include/*.h csrc/kernels/*.h csrc/ukernels/*.h \
    csrc/ukernels/*/*.h)

# Optimised kernels: only the files in an ISA's microkernel directory (csrc/ukernels/<isa>/) get
# that ISA's flags, so the rest of the library runs on any CPU of the architecture (the variant
# is chosen at run time).
C_MACHINE := $(shell $(CC) -dumpmachine)
ifneq ($(filter x86_64%,$(C_MACHINE)),)
C_ISA_DIRS := avx2 avx512f avx512vnni avx512vbmi shani
C_FLAGS_avx2 := -mavx2 -mfma -mf16c
C_FLAGS_avx512f := -mavx512f -mavx2 -mfma -mf16c
C_FLAGS_avx512vnni := -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mavx2 -mfma -mf16c
C_FLAGS_avx512vbmi := -mavx512f -mavx512bw -mavx512vl -mavx512vbmi -mavx2 -mfma -mf16c
C_FLAGS_shani := -msha -msse4.1
C_FLAGS += -DEMBER_HAVE_AVX2=1 -DEMBER_HAVE_AVX512F=1 -DEMBER_HAVE_AVX512VNNI=1 \
    -DEMBER_HAVE_AVX512VBMI=1 -DEMBER_HAVE_SHA=1
endif
# The thread pool (csrc/threadpool.c) uses POSIX threads; without EMBER_HAVE_THREADS it runs
# every task on the calling thread (the Cortex-M build).
C_FLAGS += -DEMBER_HAVE_THREADS=1 -pthread
isa_dir_srcs = $(wildcard csrc/ukernels/$(1)/*.c)
C_ISA_SRCS := $(sort $(foreach d,$(C_ISA_DIRS),$(call isa_dir_srcs,$(d))))
C_ALL_SRCS := $(C_SRCS) $(C_ISA_SRCS)
isa_flags = $(foreach d,$(C_ISA_DIRS),$(if $(findstring /$(d)/,$(1)),$(C_FLAGS_$(d))))

C_OBJS := $(C_ALL_SRCS:%.c=$(C_BUILD)/obj/%.o)
C_SAN_OBJS := $(C_ALL_SRCS:%.c=$(C_BUILD)/obj-san/%.o)
C_LIB := $(C_BUILD)/libemberlite.a
C_SAN_LIB := $(C_BUILD)/libemberlite-san.a

C_TESTS := $(sort $(wildcard tests/c/test_*.c))
C_TEST_BINS := $(C_TESTS:tests/c/%.c=$(C_BUILD)/tests/%)
C_SAN_TEST_BINS := $(C_TESTS:tests/c/%.c=$(C_BUILD)/tests-san/%)
C_MODELS := $(C_BUILD)/models/.stamp

.PHONY: c-lib c-models c-test c-test-tsan fuzz fuzz-ember bench-kernels bench-threadpool \
    bench-coldstart

c-lib: $(C_LIB)

$(C_BUILD)/obj/%.o: %.c $(C_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(C_OPT) $(call isa_flags,$<) -c $< -o $@

$(C_BUILD)/obj-san/%.o: %.c $(C_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) $(call isa_flags,$<) -c $< -o $@

$(C_LIB): $(C_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(C_SAN_LIB): $(C_SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(C_BUILD)/tests/%: tests/c/%.c tests/c/test_util.h $(C_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(C_OPT) $< $(C_LIB) -lm -o $@

$(C_BUILD)/tests-san/%: tests/c/%.c tests/c/test_util.h $(C_SAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) $< $(C_SAN_LIB) -lm -o $@

# The microkernel harness (bench/kernels/bench_ukernels.c): every configuration on the real layer
# shapes, GFLOP/s and % of peak; `$(C_BUILD)/bench_ukernels --check` runs the oracles instead.
$(C_BUILD)/bench_ukernels: bench/kernels/bench_ukernels.c $(C_LIB)
	$(CC) $(C_FLAGS) $(C_OPT) $< $(C_LIB) -lm -o $@

BENCH_KERNELS_ARGS ?=
bench-kernels: $(C_BUILD)/bench_ukernels
	@if command -v taskset >/dev/null; then taskset -c 1 $< $(BENCH_KERNELS_ARGS); \
	else $< $(BENCH_KERNELS_ARGS); fi

# The thread pool's dispatch cost and scaling (bench/kernels/bench_threadpool.c), wall clock.
$(C_BUILD)/bench_threadpool: bench/kernels/bench_threadpool.c $(C_LIB)
	$(CC) $(C_FLAGS) $(C_OPT) $< $(C_LIB) -lm -o $@

bench-threadpool: $(C_BUILD)/bench_threadpool
	$< $(BENCH_THREADPOOL_ARGS)

# Cold start split into create / allocate / first invoke, RSS after each, median over fresh
# processes (bench/kernels/bench_coldstart.c): BENCH_COLDSTART_ARGS="--runs 11 model.ember".
$(C_BUILD)/bench_coldstart: bench/kernels/bench_coldstart.c $(C_LIB)
	$(CC) $(C_FLAGS) $(C_OPT) $< $(C_LIB) -lm -o $@

bench-coldstart: $(C_BUILD)/bench_coldstart
	$< $(BENCH_COLDSTART_ARGS)

$(C_MODELS): tests/c/make_models.py tests/runtime/empty_worker.py converter/planner.py \
    converter/writer.py converter/ir.py $(wildcard converter/ops/*.py)
	@mkdir -p $(dir $@)
	$(PY) tests/c/make_models.py $(dir $@)
	@touch $@

c-models: $(C_MODELS)

# The library with every option that takes something out (csrc/ember_config.h), under the
# sanitizers, for tests/c/options/test_build_options.c.
C_OPTIONS_FLAGS := -DEMBER_STRIP_MESSAGES=1 -DEMBER_NO_FLOAT=1 -DEMBER_NO_INT16=1 \
    -DEMBER_NO_HASH=1 -DEMBER_NO_SIGNATURES=1
C_OPTIONS_LIB := $(C_BUILD)/libemberlite-options.a
C_OPTIONS_TEST := $(C_BUILD)/tests-san/test_build_options

$(C_BUILD)/obj-options/%.o: %.c $(C_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) $(C_OPTIONS_FLAGS) $(call isa_flags,$<) -c $< -o $@

$(C_OPTIONS_LIB): $(C_ALL_SRCS:%.c=$(C_BUILD)/obj-options/%.o)
	@rm -f $@
	ar rcs $@ $^

$(C_OPTIONS_TEST): tests/c/options/test_build_options.c tests/c/test_util.h $(C_OPTIONS_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) -Itests/c $< $(C_OPTIONS_LIB) -lm -o $@

# Every test binary runs (as `test_x build/models`) even after a failure; the exit status
# says whether any failed.
c-test: $(C_TEST_BINS) $(C_SAN_TEST_BINS) $(C_OPTIONS_TEST) $(C_MODELS)
	@failed=""; \
	for t in $(C_TEST_BINS) $(C_SAN_TEST_BINS) $(C_OPTIONS_TEST); do \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	        $$t $(C_BUILD)/models || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "C tests FAILED:$$failed"; exit 1; fi; \
	echo "C tests: all $(words $(C_TEST_BINS) $(C_SAN_TEST_BINS) $(C_OPTIONS_TEST)) binaries passed"

# ThreadSanitizer over the pool itself and over every C test model run on 2 and 3 threads
# (the kernels' parallel tasks). A report fails the run (halt_on_error).
TSAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
C_TSAN_TESTS := test_threadpool test_threads
C_TSAN_OBJS := $(C_ALL_SRCS:%.c=$(C_BUILD)/obj-tsan/%.o)
C_TSAN_LIB := $(C_BUILD)/libemberlite-tsan.a
C_TSAN_TEST_BINS := $(C_TSAN_TESTS:%=$(C_BUILD)/tests-tsan/%)

$(C_BUILD)/obj-tsan/%.o: %.c $(C_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(TSAN_FLAGS) $(call isa_flags,$<) -c $< -o $@

$(C_TSAN_LIB): $(C_TSAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(C_BUILD)/tests-tsan/%: tests/c/%.c tests/c/test_util.h $(C_TSAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(C_FLAGS) $(TSAN_FLAGS) $< $(C_TSAN_LIB) -lm -o $@

c-test-tsan: $(C_TSAN_TEST_BINS) $(C_MODELS)
	@failed=""; \
	for t in $(C_TSAN_TEST_BINS); do \
	    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	        $$t $(C_BUILD)/models || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "TSan tests FAILED:$$failed"; exit 1; fi; \
	echo "TSan tests: all $(words $(C_TSAN_TEST_BINS)) binaries passed"

# -fPIC: the same objects also make the sanitized Python extension that the importer fuzzers
# load (mk/fuzz_importers.mk).
C_FUZZ_FLAGS := -O1 -g -fPIC -fsanitize=fuzzer-no-link,address,undefined \
    -fno-sanitize-recover=undefined
C_FUZZ_OBJS := $(C_ALL_SRCS:%.c=$(C_BUILD)/obj-fuzz/%.o)

$(C_BUILD)/obj-fuzz/%.o: %.c $(C_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(C_FLAGS) $(C_FUZZ_FLAGS) $(call isa_flags,$<) -c $< -o $@

$(C_BUILD)/fuzz_model: tests/c/fuzz_model.c $(C_FUZZ_OBJS)
	$(FUZZ_CC) $(C_FLAGS) $(C_FUZZ_FLAGS) -fsanitize=fuzzer $^ -lm -o $@

# New inputs go to the copy in build/; tests/c/corpus only changes by hand (crashers are
# added there on purpose, see the style guide).
fuzz: $(C_BUILD)/fuzz_model
	@mkdir -p $(C_BUILD)/fuzz-corpus $(C_BUILD)/fuzz-artifacts
	cp tests/c/corpus/* $(C_BUILD)/fuzz-corpus/
	$(C_BUILD)/fuzz_model -runs=$(FUZZ_RUNS) -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=$(C_BUILD)/fuzz-artifacts/ $(C_BUILD)/fuzz-corpus tests/c/corpus

# The structure-aware .ember fuzzer: tests/fuzz/fuzz_ember.py generates random valid (and
# some hostile) models and runs them, and FUZZ_EMBER_MUTANTS mutants of each, through this
# runner, built with ASan + UBSan against the sanitized library (fuzz_ember_run.c includes
# the internal headers to find and recompute a mutant's content hash). Findings are kept in
# tests/c/corpus_ember (replayed first by each run).
FUZZ_EMBER_SECONDS ?= 150
FUZZ_EMBER_MUTANTS ?= 20
FUZZ_EMBER_ARGS ?=

$(C_BUILD)/fuzz_ember_run: tests/c/fuzz_ember_run.c tests/c/fuzz_runner.h $(C_HDRS) $(C_SAN_LIB)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) $< $(C_SAN_LIB) -lm -o $@

fuzz-ember: $(C_BUILD)/fuzz_ember_run
	$(PY) tests/fuzz/fuzz_ember.py --runner $< --seconds $(FUZZ_EMBER_SECONDS) \
	    --mutants $(FUZZ_EMBER_MUTANTS) --work $(C_BUILD)/fuzz-ember $(FUZZ_EMBER_ARGS)

