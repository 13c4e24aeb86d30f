# The importer fuzzer: atheris over the ONNX and TFLite importers (tests/fuzz/fuzz_importers.py),
# under a memory limit, starting from tests/fuzz/corpus_importers (seeds made by
# tests/fuzz/make_importer_seeds.py, and every finding kept); the converted files run in the C
# runtime built with ASan + UBSan. Included by the top Makefile.
#   fuzz-importers        bounded run, a step of `make test` (FUZZ_IMPORTERS_SECONDS, both)
#   fuzz-importers-long   FUZZ_IMPORTERS_LONG_RUNS inputs per importer (at most
#                         FUZZ_IMPORTERS_LONG_SECONDS each), a part of `make fuzz-long`
# A finding fails the target, prints its traceback and is added to the corpus.

FUZZ_IMPORTERS_SECONDS ?= 80
FUZZ_IMPORTERS_LONG_RUNS ?= 1000000
FUZZ_IMPORTERS_LONG_SECONDS ?= 3600
FUZZ_IMPORTERS_ARGS ?=

.PHONY: fuzz-importers fuzz-importers-long

TEST_STEPS += fuzz-importers

# emberlite._ember once more, from mk/c.mk's sanitized fuzzer objects (clang, -fPIC) and the C
# that cffi makes of the header (tests/fuzz/sanitized_extension.py), in a directory of its own:
# fuzz_importers.py loads it in place of the installed extension, in a Python that preloads
# FUZZ_ASAN_FUZZER, clang's ASan runtime (UBSan's handlers included) and libFuzzer in one
# library: clang's own shared ASan runtime would shadow the coverage hooks of atheris'
# libFuzzer with its weak ones, and the fuzzer would see no coverage at all. (ASan's preinit
# object cannot go into a shared library and is left out.)
FUZZ_PYSAN_DIR := $(C_BUILD)/pysan
FUZZ_PYSAN_EXT := $(FUZZ_PYSAN_DIR)/_ember.so
FUZZ_ASAN_FUZZER := $(FUZZ_PYSAN_DIR)/asan_with_fuzzer.so
FUZZ_PY_INCLUDE = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
fuzz_rt = $(shell $(FUZZ_CC) -print-file-name=libclang_rt.$(1)-$(shell uname -m).a)

$(FUZZ_ASAN_FUZZER):
	rm -rf $(FUZZ_PYSAN_DIR)/asan-objs && mkdir -p $(FUZZ_PYSAN_DIR)/asan-objs
	cd $(FUZZ_PYSAN_DIR)/asan-objs && ar x $(call fuzz_rt,asan) && rm -f asan_preinit.cpp.o
	$(FUZZ_CC) -shared -o $@ $(FUZZ_PYSAN_DIR)/asan-objs/*.o -Wl,--whole-archive \
	    $(call fuzz_rt,fuzzer_no_main) -Wl,--no-whole-archive -lstdc++ -lpthread -ldl -lrt -lm

$(FUZZ_PYSAN_DIR)/_ember.c: csrc/include/emberlite.h runtime/_ffi_build.py \
    tests/fuzz/sanitized_extension.py
	$(PY) tests/fuzz/sanitized_extension.py emit $@
	@touch $@

$(FUZZ_PYSAN_EXT): $(FUZZ_PYSAN_DIR)/_ember.c $(C_FUZZ_OBJS)
	$(FUZZ_CC) -O1 -g -fPIC -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    -Icsrc/include -I$(FUZZ_PY_INCLUDE) -c $< -o $(FUZZ_PYSAN_DIR)/_ember.o
	$(FUZZ_CC) -shared -fsanitize=address,undefined $(FUZZ_PYSAN_DIR)/_ember.o $(C_FUZZ_OBJS) \
	    -lm -pthread -o $@

fuzz-importers: $(FUZZ_PYSAN_EXT) $(FUZZ_ASAN_FUZZER)
	$(PY) tests/fuzz/run_importer_fuzz.py --seconds $(FUZZ_IMPORTERS_SECONDS) \
	    --sanitized $(FUZZ_PYSAN_EXT) --preload $(FUZZ_ASAN_FUZZER) \
	    --work $(C_BUILD)/fuzz-importers $(FUZZ_IMPORTERS_ARGS)

fuzz-importers-long: $(FUZZ_PYSAN_EXT) $(FUZZ_ASAN_FUZZER)
	$(PY) tests/fuzz/run_importer_fuzz.py --runs $(FUZZ_IMPORTERS_LONG_RUNS) \
	    --seconds $(FUZZ_IMPORTERS_LONG_SECONDS) --sanitized $(FUZZ_PYSAN_EXT) \
	    --preload $(FUZZ_ASAN_FUZZER) --work $(C_BUILD)/fuzz-importers-long $(FUZZ_IMPORTERS_ARGS)
