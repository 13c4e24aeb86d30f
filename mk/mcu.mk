# Cortex-M, included by the top Makefile after mk/c.mk (whose source lists it reuses). Targets:
#   mcu-libs    the library for each board's CPU (-Os, bare metal: no heap, no threads, no
#               libc printf), with its Cortex-M kernels (csrc/ukernels/armdsp, mve)
#   mcu-runner  tests/mcu/run_cases.c as firmware for each board (tests/mcu/test_mcu_kernels.py
#               runs it under qemu-system-arm)
#   mcu-examples  the firmware examples of examples/mcu (digits, kws) for each board
#   mcu-test    runs every example on every board under qemu-system-arm, and RFC 8032's Ed25519
#               vectors on the Cortex-M4 (tests/mcu/ed25519_vectors.c), then mcu-size; fails
#               if any fails
#   mcu-size    the library's Cortex-M4 size per op set, checked against bench/mcu_size.json
#   bench-mcu   instructions per inference of each example's model on each board, Cortex-M
#               kernels against the reference (qemu -icount; not part of make test)
# Debian packages: gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm

MCU_BUILD := $(C_BUILD)/mcu
MCU_CC := arm-none-eabi-gcc
MCU_CPUS := cortex-m4 cortex-m55
# Per CPU: its flags, the ISA directories of csrc/ukernels it builds, the qemu board and the
# linker script of examples/mcu/platform.
MCU_CPU_FLAGS_cortex-m4 := -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16
MCU_ISA_DIRS_cortex-m4 := armdsp
MCU_BOARD_cortex-m4 := mps2-an386
MCU_LDSCRIPT_cortex-m4 := mps2_an386.ld
MCU_CPU_FLAGS_cortex-m55 := -mcpu=cortex-m55 -mthumb -mfloat-abi=hard
MCU_ISA_DIRS_cortex-m55 := armdsp mve
MCU_BOARD_cortex-m55 := mps3-an547
MCU_LDSCRIPT_cortex-m55 := mps3_an547.ld

MCU_FLAGS := -Os -ffunction-sections -fdata-sections -g \
    $(filter-out -DEMBER_HAVE_% -pthread,$(C_FLAGS))
MCU_PLATFORM := examples/mcu/platform
# Firmware: semihosting (printf, fopen on the host, exit status) from newlib's rdimon.
mcu_link_flags = $(MCU_CPU_FLAGS_$(1)) --specs=rdimon.specs -nostartfiles -L$(MCU_PLATFORM) \
    -T$(MCU_PLATFORM)/$(MCU_LDSCRIPT_$(1)) -Wl,--gc-sections
MCU_QEMU_TIMEOUT ?= 300
# Runs firmware $(2) on CPU $(1)'s board; the firmware's exit status is the command's.
mcu_qemu = timeout $(MCU_QEMU_TIMEOUT) qemu-system-arm -M $(MCU_BOARD_$(1)) -cpu $(1) \
    -nographic -monitor none -serial none -semihosting-config enable=on,target=native \
    -kernel $(2)

mcu_srcs = $(C_SRCS) $(sort $(foreach d,$(MCU_ISA_DIRS_$(1)),$(call isa_dir_srcs,$(d))))
mcu_lib = $(MCU_BUILD)/$(1)/libemberlite.a
mcu_runner = $(MCU_BUILD)/$(1)/run_cases.elf

define mcu_rules
$(MCU_BUILD)/$(1)/obj/%.o: %.c $(C_HDRS)
	@mkdir -p $$(dir $$@)
	$(MCU_CC) $(MCU_CPU_FLAGS_$(1)) $(MCU_FLAGS) -c $$< -o $$@

$(call mcu_lib,$(1)): $(patsubst %.c,$(MCU_BUILD)/$(1)/obj/%.o,$(call mcu_srcs,$(1)))
	@rm -f $$@
	arm-none-eabi-ar rcs $$@ $$^

$(call mcu_runner,$(1)): tests/mcu/run_cases.c $(MCU_PLATFORM)/startup.c \
    $(wildcard $(MCU_PLATFORM)/*.ld $(MCU_PLATFORM)/*.h) $(call mcu_lib,$(1))
	$(MCU_CC) $(MCU_FLAGS) -I$(MCU_PLATFORM) tests/mcu/run_cases.c $(MCU_PLATFORM)/startup.c \
	    $(call mcu_lib,$(1)) $(call mcu_link_flags,$(1)) -lm -o $$@
endef
$(foreach c,$(MCU_CPUS),$(eval $(call mcu_rules,$(c))))

# Firmware examples (examples/mcu/<name>/main.c). prepare.py (the venv's Python) writes the
# model as C (`ember export-c`: model.c, model.h with the exact arena, model_ops.h) and the
# example's data (<name>_data.c/.h) into $(MCU_EXAMPLES_DIR)/<name>/. Each firmware compiles the
# registry and the shape rules with the model's ops header and links them ahead of the library,
# whose own registry and shape rules are then not pulled: only the model's ops are linked in.
MCU_EXAMPLES := digits kws
MCU_EXAMPLES_DIR := $(MCU_BUILD)/examples
# The digits model's ops (the size report builds with them).
MCU_DIGITS_OPS_HEADER := $(MCU_EXAMPLES_DIR)/digits/model_ops.h
MCU_EXAMPLE_SRCS := examples/mcu/common/example.c $(MCU_PLATFORM)/startup.c
MCU_EXAMPLE_HDRS := examples/mcu/common/example.h \
    $(wildcard $(MCU_PLATFORM)/*.ld $(MCU_PLATFORM)/*.h)
# What prepare.py's output depends on besides the script: the converter, export-c and the
# library it reads the arena size from (the Python extension).
MCU_EXAMPLE_PREP_DEPS := examples/mcu/gen_c.py $(wildcard runtime/*.py runtime/_ember*.so \
    converter/*.py converter/*/*.py converter/*/*/*.py)
MCU_EXAMPLE_DATA_digits := $(wildcard examples/digits/out/digits.onnx)
mcu_example_gen = $(addprefix $(MCU_EXAMPLES_DIR)/$(1)/,model.c model.h model_ops.h \
    $(1)_data.c $(1)_data.h)
mcu_example_elf = $(MCU_BUILD)/$(2)/examples/$(1).elf

define mcu_example_prepare
$(call mcu_example_gen,$(1)) &: examples/mcu/$(1)/prepare.py $(MCU_EXAMPLE_PREP_DEPS) \
    $(MCU_EXAMPLE_DATA_$(1))
	$(PY) examples/mcu/$(1)/prepare.py $(MCU_EXAMPLES_DIR)/$(1)
endef
$(foreach e,$(MCU_EXAMPLES),$(eval $(call mcu_example_prepare,$(e))))

# Example $(1) for CPU $(2).
define mcu_example_rules
$(call mcu_example_elf,$(1),$(2)): examples/mcu/$(1)/main.c $(MCU_EXAMPLE_SRCS) \
    $(MCU_EXAMPLE_HDRS) $(call mcu_example_gen,$(1)) csrc/kernels/registry.c \
    csrc/kernels/shape_rules.c $(C_HDRS) $(call mcu_lib,$(2))
	@mkdir -p $$(dir $$@)
	$(MCU_CC) $(MCU_CPU_FLAGS_$(2)) $(MCU_FLAGS) -I$(MCU_PLATFORM) -Iexamples/mcu/common \
	    -I$(MCU_EXAMPLES_DIR)/$(1) \
	    -DEMBER_OPS_HEADER='"$(abspath $(MCU_EXAMPLES_DIR)/$(1)/model_ops.h)"' \
	    examples/mcu/$(1)/main.c $(MCU_EXAMPLE_SRCS) $(MCU_EXAMPLES_DIR)/$(1)/model.c \
	    $(MCU_EXAMPLES_DIR)/$(1)/$(1)_data.c csrc/kernels/registry.c csrc/kernels/shape_rules.c \
	    $(call mcu_lib,$(2)) $(call mcu_link_flags,$(2)) -Wl,-Map=$$(@:.elf=.map) -lm -o $$@
endef
$(foreach e,$(MCU_EXAMPLES),$(foreach c,$(MCU_CPUS),$(eval $(call mcu_example_rules,$(e),$(c)))))

# Ed25519 verification on the Cortex-M4: the signature code compiled with
# -DEMBER_NO_SIGNATURES=0 (bare-metal library builds leave it out) into a firmware of its own,
# which checks RFC 8032's vectors; it needs nothing else of the library.
MCU_ED25519_CPU := cortex-m4
MCU_ED25519_ELF := $(MCU_BUILD)/$(MCU_ED25519_CPU)/ed25519_vectors.elf
MCU_ED25519_SRCS := tests/mcu/ed25519_vectors.c csrc/ed25519.c csrc/sha512.c \
    $(MCU_PLATFORM)/startup.c

$(MCU_ED25519_ELF): $(MCU_ED25519_SRCS) tests/c/ed25519_vectors.h $(C_HDRS) $(MCU_EXAMPLE_HDRS)
	@mkdir -p $(dir $@)
	$(MCU_CC) $(MCU_CPU_FLAGS_$(MCU_ED25519_CPU)) $(MCU_FLAGS) -DEMBER_NO_SIGNATURES=0 \
	    -I$(MCU_PLATFORM) -Itests/c $(MCU_ED25519_SRCS) \
	    $(call mcu_link_flags,$(MCU_ED25519_CPU)) -o $@

.PHONY: mcu-examples mcu-test
MCU_EXAMPLE_ELFS := $(foreach e,$(MCU_EXAMPLES),$(foreach c,$(MCU_CPUS),\
    $(call mcu_example_elf,$(e),$(c))))
mcu-examples: $(MCU_EXAMPLE_ELFS)

# Every run happens even after a failure; the failed ones are named at the end.
mcu-test: mcu-examples $(MCU_ED25519_ELF)
	@failed=""; \
	$(foreach e,$(MCU_EXAMPLES),$(foreach c,$(MCU_CPUS),\
	    echo "== $(e) on $(MCU_BOARD_$(c)) ($(c))"; \
	    $(call mcu_qemu,$(c),$(call mcu_example_elf,$(e),$(c))) || failed="$$failed $(e)/$(c)";)) \
	echo "== Ed25519 vectors on $(MCU_BOARD_$(MCU_ED25519_CPU)) ($(MCU_ED25519_CPU))"; \
	$(call mcu_qemu,$(MCU_ED25519_CPU),$(MCU_ED25519_ELF)) || failed="$$failed ed25519"; \
	$(MAKE) --no-print-directory mcu-size || failed="$$failed mcu-size"; \
	if [ -n "$$failed" ]; then echo "mcu-test: FAILED:$$failed"; exit 1; fi; \
	echo "mcu-test: all passed ($(MCU_EXAMPLES) on $(MCU_CPUS), Ed25519 vectors, mcu-size)"

.PHONY: mcu-libs mcu-runner
mcu-libs: $(foreach c,$(MCU_CPUS),$(call mcu_lib,$(c)))
mcu-runner: $(foreach c,$(MCU_CPUS),$(call mcu_runner,$(c)))

# Size report (Cortex-M4, -Os): tests/mcu/size_probe.c linked against the library with the
# registry and shape rules built for one op set each: none (the core), the digits example's,
# every op with an int8 kernel (these three on a library without float32 and 16x8 kernels:
# EMBER_NO_FLOAT, EMBER_NO_INT16), and all ops on the whole library; each with messages and
# without their text (EMBER_STRIP_MESSAGES). scripts/mcu_size.py reads the linker maps.
MCU_SIZE_CPU := cortex-m4
MCU_SIZE_DIR := $(MCU_BUILD)/size
MCU_SIZE_SETS := core digits int8 all
MCU_SIZE_FLAVOURS := messages stripped
MCU_SIZE_HEADER_core := tests/mcu/ops_none.h
MCU_SIZE_HEADER_digits := $(MCU_DIGITS_OPS_HEADER)
MCU_SIZE_HEADER_int8 := $(MCU_SIZE_DIR)/int8_ops.h
MCU_SIZE_HEADER_all :=
MCU_SIZE_TYPES_core := int8
MCU_SIZE_TYPES_digits := int8
MCU_SIZE_TYPES_int8 := int8
MCU_SIZE_TYPES_all := alltypes
MCU_SIZE_FLAGS_int8 := -DEMBER_NO_FLOAT=1 -DEMBER_NO_INT16=1
MCU_SIZE_FLAGS_alltypes :=
MCU_SIZE_FLAGS_messages :=
MCU_SIZE_FLAGS_stripped := -DEMBER_STRIP_MESSAGES=1
MCU_SIZE_RECORD := bench/mcu_size.json
mcu_size_lib = $(MCU_SIZE_DIR)/lib-$(1)-$(2)/libemberlite.a

$(MCU_SIZE_DIR)/int8_ops.h: scripts/mcu_size.py $(wildcard converter/ops/*.py)
	@mkdir -p $(dir $@)
	$(PY) scripts/mcu_size.py int8-ops-header $@

# The library for kernel types $(1) and message flavour $(2).
define mcu_size_lib_rules
$(MCU_SIZE_DIR)/lib-$(1)-$(2)/obj/%.o: %.c $(C_HDRS)
	@mkdir -p $$(dir $$@)
	$(MCU_CC) $(MCU_CPU_FLAGS_$(MCU_SIZE_CPU)) $(MCU_FLAGS) $(MCU_SIZE_FLAGS_$(1)) \
	    $(MCU_SIZE_FLAGS_$(2)) -c $$< -o $$@

$(call mcu_size_lib,$(1),$(2)): $(patsubst %.c,$(MCU_SIZE_DIR)/lib-$(1)-$(2)/obj/%.o,\
    $(call mcu_srcs,$(MCU_SIZE_CPU)))
	@rm -f $$@
	arm-none-eabi-ar rcs $$@ $$^
endef
$(foreach t,int8 alltypes,$(foreach f,$(MCU_SIZE_FLAVOURS),\
    $(eval $(call mcu_size_lib_rules,$(t),$(f)))))

# Op set $(1), flavour $(2): the registry and shape rules compiled with the set's header, linked
# ahead of the library (whose own registry and shape rules are then not pulled in).
define mcu_size_rules
$(MCU_SIZE_DIR)/$(1)-$(2)/probe.elf: tests/mcu/size_probe.c csrc/kernels/registry.c \
    csrc/kernels/shape_rules.c $(MCU_SIZE_HEADER_$(1)) \
    $(call mcu_size_lib,$(MCU_SIZE_TYPES_$(1)),$(2))
	@mkdir -p $$(dir $$@)
	$(MCU_CC) $(MCU_CPU_FLAGS_$(MCU_SIZE_CPU)) $(MCU_FLAGS) $(MCU_SIZE_FLAGS_$(2)) \
	    $(MCU_SIZE_FLAGS_$(MCU_SIZE_TYPES_$(1))) \
	    $(if $(MCU_SIZE_HEADER_$(1)),-DEMBER_OPS_HEADER='"$(abspath $(MCU_SIZE_HEADER_$(1)))"') \
	    tests/mcu/size_probe.c csrc/kernels/registry.c csrc/kernels/shape_rules.c \
	    $(call mcu_size_lib,$(MCU_SIZE_TYPES_$(1)),$(2)) --specs=nosys.specs -nostartfiles \
	    -L$(MCU_PLATFORM) -T$(MCU_PLATFORM)/$(MCU_LDSCRIPT_$(MCU_SIZE_CPU)) -Wl,--gc-sections \
	    -Wl,--defsym=size_probe_model=0x20100000 -Wl,--defsym=size_probe_memory=0x20200000 \
	    -Wl,-Map=$$(@:.elf=.map) -lm -o $$@
endef
$(foreach s,$(MCU_SIZE_SETS),$(foreach f,$(MCU_SIZE_FLAVOURS),\
    $(eval $(call mcu_size_rules,$(s),$(f)))))

.PHONY: mcu-size
# Prints the report and fails past the issue's limits, or when the core or the digits op set
# grew more than 2% past the figures recorded in $(MCU_SIZE_RECORD) (MCU_SIZE_ARGS=--record
# writes them instead).
mcu-size: $(foreach s,$(MCU_SIZE_SETS),$(foreach f,$(MCU_SIZE_FLAVOURS),\
    $(MCU_SIZE_DIR)/$(s)-$(f)/probe.elf)) $(foreach c,$(MCU_CPUS),$(call mcu_lib,$(c)))
	$(PY) scripts/mcu_size.py report --dir $(MCU_SIZE_DIR) --record-file $(MCU_SIZE_RECORD) \
	    --archives $(foreach c,$(MCU_CPUS),$(call mcu_lib,$(c))) $(MCU_SIZE_ARGS)

# Speed as qemu can count it (bench/mcu/bench_mcu.c): instructions per inference of each
# example's model, the Cortex-M kernels against the reference kernels, read from SysTick under
# -icount shift=0 (1 ns of virtual time per instruction). One firmware per example and CPU,
# linked like the examples: the registry and shape rules with the model's ops header.
mcu_bench_elf = $(MCU_BUILD)/$(2)/bench/bench_$(1).elf
MCU_BENCH_QEMU_FLAGS := -icount shift=0

define mcu_bench_rules
$(call mcu_bench_elf,$(1),$(2)): bench/mcu/bench_mcu.c $(MCU_PLATFORM)/startup.c \
    $(MCU_EXAMPLE_HDRS) $(call mcu_example_gen,$(1)) csrc/kernels/registry.c \
    csrc/kernels/shape_rules.c $(C_HDRS) $(call mcu_lib,$(2))
	@mkdir -p $$(dir $$@)
	$(MCU_CC) $(MCU_CPU_FLAGS_$(2)) $(MCU_FLAGS) -I$(MCU_PLATFORM) -I$(MCU_EXAMPLES_DIR)/$(1) \
	    -DBENCH_MODEL=$(1) -DBENCH_MODEL_UPPER=$(shell echo $(1) | tr a-z A-Z) \
	    -DBENCH_CPU='"$(2) ($(MCU_BOARD_$(2)))"' \
	    -DEMBER_OPS_HEADER='"$(abspath $(MCU_EXAMPLES_DIR)/$(1)/model_ops.h)"' \
	    bench/mcu/bench_mcu.c $(MCU_PLATFORM)/startup.c $(MCU_EXAMPLES_DIR)/$(1)/model.c \
	    csrc/kernels/registry.c csrc/kernels/shape_rules.c \
	    $(call mcu_lib,$(2)) $(call mcu_link_flags,$(2)) -lm -o $$@
endef
$(foreach e,$(MCU_EXAMPLES),$(foreach c,$(MCU_CPUS),$(eval $(call mcu_bench_rules,$(e),$(c)))))

.PHONY: bench-mcu
bench-mcu: $(foreach e,$(MCU_EXAMPLES),$(foreach c,$(MCU_CPUS),$(call mcu_bench_elf,$(e),$(c))))
	@failed=""; \
	$(foreach e,$(MCU_EXAMPLES),$(foreach c,$(MCU_CPUS),\
	    $(call mcu_qemu,$(c),$(call mcu_bench_elf,$(e),$(c))) $(MCU_BENCH_QEMU_FLAGS) \
	    || failed="$$failed $(e)/$(c)"; echo;)) \
	if [ -n "$$failed" ]; then echo "bench-mcu: FAILED:$$failed"; exit 1; fi
