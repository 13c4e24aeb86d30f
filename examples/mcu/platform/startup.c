/* Start-up for the Cortex-M example firmware under qemu-system-arm (mps2-an386 with a
 * Cortex-M4F, mps3-an547 with a Cortex-M55): the vector table, a reset handler that copies .data
 * from flash, zeroes .bss, turns the FPU (and on the M55 Helium, which shares its enable) on and
 * calls main, and fault handlers that report over semihosting and exit with a failure status
 * instead of hanging. Semihosting comes from newlib's rdimon (printf, fopen on the host, exit). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start__[], __bss_end__[];
extern uint32_t __stack_limit[], __stack_top[];

int main(void);
void initialise_monitor_handles(void);

/* CPACR: full access to coprocessors 10 and 11 (the FPU, and MVE on Armv8.1-M). */
#define CPACR (*(volatile uint32_t *)0xE000ED88u)

/* The words of the stack below the deepest point reached so far still hold this. */
#define STACK_PAINT 0xA5A5A5A5u

/* Paints from the stack's limit to 64 bytes below where the stack pointer is now. */
static void paint_stack(void) {
    uintptr_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_limit; (uintptr_t)p < sp - 64; p++)
        *p = STACK_PAINT;
}

size_t platform_stack_used(void) {
    uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT)
        p++;
    return (size_t)((uint8_t *)__stack_top - (uint8_t *)p);
}

size_t platform_stack_size(void) {
    return (size_t)((uint8_t *)__stack_top - (uint8_t *)__stack_limit);
}

void Reset_Handler(void) {
    CPACR |= 0xFu << 20;
    __asm volatile("dsb\n\tisb" ::: "memory");
    memcpy(__data_start, __data_load, (size_t)((uint8_t *)__data_end - (uint8_t *)__data_start));
    memset(__bss_start__, 0, (size_t)((uint8_t *)__bss_end__ - (uint8_t *)__bss_start__));
    initialise_monitor_handles();
    paint_stack();
    exit(main());
}

static void Fault_Handler(void) {
    printf("FAIL: processor fault\n");
    exit(3);
}

/* newlib's crt0 is not linked (-nostartfiles): its hooks are empty here. */
void _init(void) {}
void _fini(void) {}

typedef void (*vector)(void);

__attribute__((section(".isr_vector"), used)) static const vector vectors[16] = {
    (vector)(uintptr_t)__stack_top, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler,
    Fault_Handler,
};
