/* What the size report of mk/mcu.mk links against the Cortex-M library: a firmware that reaches
 * the whole public API an application uses (verify, create with a pool and a caller arena,
 * allocate, inputs and outputs, invoke, messages, destroy) and nothing else: no libc call of
 * its own, its own minimal vector table. It is linked, never run; every byte the link keeps
 * outside this file is the library's cost (scripts/mcu_size.py reads the linker map). */
#include <stddef.h>
#include <stdint.h>

#include "emberlite.h"

/* Defined at link time (--defsym): the probe never runs, so the model needs no bytes. */
extern const uint8_t size_probe_model[];
extern uint8_t size_probe_memory[];
#define PROBE_MEMORY_BYTES 4096u

int main(void);

__attribute__((noreturn)) void Reset_Handler(void) {
    main();
    for (;;) {
    }
}

__attribute__((section(".isr_vector"), used)) static const uintptr_t vectors[2] = {
    0x20001000u, (uintptr_t)Reset_Handler,
};

static volatile uint32_t sink;

int main(void) {
    ember_pool pool;
    ember_pool_init(&pool, size_probe_memory, PROBE_MEMORY_BYTES);
    ember_allocator allocator = ember_pool_allocator(&pool);
    ember_options options;
    ember_options_init(&options);
    options.allocator = &allocator;
    options.arena = size_probe_memory + PROBE_MEMORY_BYTES;
    options.arena_size = PROBE_MEMORY_BYTES;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(size_probe_model, 1024, &options, &ip);
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(ip);
    ember_tensor_info info;
    uint32_t input = ember_interp_input_tensor(ip, 0);
    if (st == EMBER_STATUS_OK && ember_interp_tensor_info(ip, input, &info) == EMBER_STATUS_OK)
        ((uint8_t *)ember_interp_tensor_data(ip, input))[0] = 1;
    if (st == EMBER_STATUS_OK)
        st = ember_interp_invoke(ip);
    sink = st == EMBER_STATUS_OK
               ? *(const uint8_t *)ember_interp_tensor_data(ip, ember_interp_output_tensor(ip, 0))
               : (uint32_t)(uintptr_t)ember_errmsg(ip);
    ember_interp_destroy(ip);
    return (int)st;
}
