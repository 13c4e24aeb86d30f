# The importer fuzzer: atheris over the ONNX and TFLite importers (tests/fuzz/fuzz_importers.py),
# under a memory limit, starting from tests/fuzz/corpus_importers (seeds made by
# tests/fuzz/make_importer_seeds.py, and every finding kept). Included by the top Makefile.
#   fuzz-importers        bounded run, a step of `make test` (FUZZ_IMPORTERS_SECONDS, both)
#   fuzz-importers-long   the long run, a part of `make fuzz-long`
# A finding fails the target, prints its traceback and is added to the corpus.

FUZZ_IMPORTERS_SECONDS ?= 80
FUZZ_IMPORTERS_LONG_SECONDS ?= $(or $(FUZZ_LONG_SECONDS),1800)
FUZZ_IMPORTERS_ARGS ?=

.PHONY: fuzz-importers fuzz-importers-long fuzz-long

TEST_STEPS += fuzz-importers

fuzz-importers:
	$(PY) tests/fuzz/run_importer_fuzz.py --seconds $(FUZZ_IMPORTERS_SECONDS) $(FUZZ_IMPORTERS_ARGS)

fuzz-importers-long:
	$(PY) tests/fuzz/run_importer_fuzz.py --seconds $(FUZZ_IMPORTERS_LONG_SECONDS) \
	    $(FUZZ_IMPORTERS_ARGS)

fuzz-long: fuzz-importers-long
