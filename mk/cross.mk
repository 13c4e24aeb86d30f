# Cross builds, included by the top Makefile after mk/c.mk (whose source lists, flags and models
# it reuses). Targets:
#   cross-test  the library and every C test for aarch64 and armv7-a (NEON), run under qemu-user:
#               aarch64 on `-cpu max` (has dotprod) and again on `-cpu cortex-a53` (has not), so
#               both sides of the run-time CPU feature checks run; armv7-a on a Cortex-A8 (NEON,
#               VFPv3). Prints "<arch>: N passed, N failed" per run; fails if any test failed.
#   mcu-build   every library source compiled for Cortex-M4F with newlib headers (no link): the
#               library must stay free of OS interfaces.
# Debian packages: gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf
#   libc6-dev-armhf-cross qemu-user gcc-arm-none-eabi libnewlib-arm-none-eabi

CROSS_BUILD := $(C_BUILD)/cross
# Seconds one test binary may run under qemu (about 50-100x slower than native for SIMD code).
CROSS_TIMEOUT ?= 300

# The host's ISA defines (-DEMBER_HAVE_AVX2 on x86-64) must not leak into other targets.
CROSS_FLAGS := $(filter-out -DEMBER_HAVE_%,$(C_FLAGS)) -DEMBER_HAVE_THREADS=1 $(C_OPT)
CROSS_TESTS := $(C_TESTS) $(sort $(wildcard tests/c/cross/test_*.c))

# Per target: compiler, flags for every file, and the ISA directories of csrc/ukernels it builds
# with their extra flags (the same scheme as C_ISA_DIRS in mk/c.mk).
CROSS_CC_aarch64 := aarch64-linux-gnu-gcc
CROSS_CFLAGS_aarch64 := -DEMBER_HAVE_NEON=1 -DEMBER_HAVE_NEONDOT=1 -DEMBER_HAVE_NEONI8MM=1 \
    -DEMBER_HAVE_SHA=1
CROSS_ISA_DIRS_aarch64 := neon neondot neoni8mm neonsha2
CROSS_ISA_FLAGS_aarch64_neondot := -march=armv8.2-a+dotprod
CROSS_ISA_FLAGS_aarch64_neoni8mm := -march=armv8.2-a+dotprod+i8mm
CROSS_ISA_FLAGS_aarch64_neonsha2 := -march=armv8-a+crypto

CROSS_CC_armv7 := arm-linux-gnueabihf-gcc
CROSS_CFLAGS_armv7 := -march=armv7-a -mfpu=neon -mfloat-abi=hard -DEMBER_HAVE_NEON=1
CROSS_ISA_DIRS_armv7 := neon

CROSS_ARCHES := aarch64 armv7

cross_srcs = $(C_SRCS) $(sort $(foreach d,$(CROSS_ISA_DIRS_$(1)),$(call isa_dir_srcs,$(d))))
cross_isa_flags = $(foreach d,$(CROSS_ISA_DIRS_$(1)),\
    $(if $(findstring /$(d)/,$(2)),$(CROSS_ISA_FLAGS_$(1)_$(d))))
cross_lib = $(CROSS_BUILD)/$(1)/libemberlite.a
cross_bins = $(patsubst %.c,$(CROSS_BUILD)/$(1)/tests/%,$(notdir $(CROSS_TESTS)))

# One set of rules per architecture: objects, static library, statically linked test binaries
# (static, so qemu needs no -L sysroot).
define cross_rules
$(CROSS_BUILD)/$(1)/obj/%.o: %.c $(C_HDRS)
	@mkdir -p $$(dir $$@)
	$(CROSS_CC_$(1)) $(CROSS_FLAGS) $(CROSS_CFLAGS_$(1)) $$(call cross_isa_flags,$(1),$$<) \
	    -c $$< -o $$@

$(call cross_lib,$(1)): $(patsubst %.c,$(CROSS_BUILD)/$(1)/obj/%.o,$(call cross_srcs,$(1)))
	@rm -f $$@
	$(CROSS_CC_$(1):gcc=ar) rcs $$@ $$^

$(CROSS_BUILD)/$(1)/tests/%: tests/c/%.c tests/c/test_util.h $(call cross_lib,$(1))
	@mkdir -p $$(dir $$@)
	$(CROSS_CC_$(1)) $(CROSS_FLAGS) $(CROSS_CFLAGS_$(1)) -Itests/c $$< $(call cross_lib,$(1)) \
	    -lm -static -o $$@

$(CROSS_BUILD)/$(1)/tests/%: tests/c/cross/%.c tests/c/test_util.h $(call cross_lib,$(1))
	@mkdir -p $$(dir $$@)
	$(CROSS_CC_$(1)) $(CROSS_FLAGS) $(CROSS_CFLAGS_$(1)) -Itests/c $$< $(call cross_lib,$(1)) \
	    -lm -static -o $$@
endef
$(foreach a,$(CROSS_ARCHES),$(eval $(call cross_rules,$(a))))

CROSS_RUN := sh tests/c/cross/run_qemu.sh

.PHONY: cross-build cross-test mcu-build

cross-build: $(foreach a,$(CROSS_ARCHES),$(call cross_bins,$(a)))

# EMBER_EXPECT_DOTPROD and EMBER_EXPECT_FEATURES (the exact set) pin what
# tests/c/cross/test_cpu_features.c must find on each CPU model.
# Every run happens even after a failure; the exit status says whether any failed, and the
# failure lines are repeated at the end, where a truncated CI log still shows them.
CROSS_EXPECT_max := EMBER_EXPECT_DOTPROD=1 EMBER_EXPECT_FEATURES=neon,neondot,neonfp16,neoni8mm,sha
CROSS_EXPECT_a53 := EMBER_EXPECT_DOTPROD=0 EMBER_EXPECT_FEATURES=neon,sha
CROSS_EXPECT_a8 := EMBER_EXPECT_FEATURES=neon
CROSS_FAILURE_LOG := $(CROSS_BUILD)/failures.txt
cross-test: cross-build $(C_MODELS)
	@failed=""; rm -f $(CROSS_FAILURE_LOG); export FAILURE_LOG=$(CROSS_FAILURE_LOG); \
	$(CROSS_EXPECT_max) $(CROSS_RUN) aarch64 $(CROSS_TIMEOUT) $(C_BUILD)/models \
	    "qemu-aarch64 -cpu max" $(call cross_bins,aarch64) || failed="$$failed aarch64"; \
	$(CROSS_EXPECT_a53) $(CROSS_RUN) aarch64-cortex-a53 $(CROSS_TIMEOUT) $(C_BUILD)/models \
	    "qemu-aarch64 -cpu cortex-a53" $(call cross_bins,aarch64) \
	    || failed="$$failed aarch64-cortex-a53"; \
	$(CROSS_EXPECT_a8) $(CROSS_RUN) armv7 $(CROSS_TIMEOUT) $(C_BUILD)/models \
	    "qemu-arm -cpu cortex-a8" $(call cross_bins,armv7) || failed="$$failed armv7"; \
	if [ -n "$$failed" ]; then cat $(CROSS_FAILURE_LOG) 2>/dev/null; \
	    echo "cross tests FAILED on:$$failed"; exit 1; fi; \
	echo "cross tests: all passed"

# Cortex-M4F. Only the portable sources: the ISA directories hold application-processor code.
# newlib's uint32_t/int32_t are (unsigned) long, so this build is also where -Werror catches a
# message printing them with %u/%d instead of PRIu32/PRId32.
MCU_CC := arm-none-eabi-gcc
MCU_FLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffunction-sections \
    $(filter-out -DEMBER_HAVE_% -pthread,$(C_FLAGS))
MCU_OBJS := $(patsubst %.c,$(CROSS_BUILD)/cortex-m4/obj/%.o,$(C_SRCS))

$(CROSS_BUILD)/cortex-m4/obj/%.o: %.c $(C_HDRS)
	@mkdir -p $(dir $@)
	$(MCU_CC) $(MCU_FLAGS) -c $< -o $@

$(CROSS_BUILD)/cortex-m4/libemberlite.a: $(MCU_OBJS)
	@rm -f $@
	arm-none-eabi-ar rcs $@ $^

mcu-build: $(CROSS_BUILD)/cortex-m4/libemberlite.a
	@arm-none-eabi-size -t $< | tail -1 | \
	    awk '{ printf "cortex-m4: %d sources compiled, code %d bytes, data %d, bss %d\n", \
	           $(words $(MCU_OBJS)), $$1, $$2, $$3 }'
