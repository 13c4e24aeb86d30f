# Cortex-M0+ (ARMv6-M): no FPU, no DSP extension.
set(EMBER_CPU_FLAGS "-mcpu=cortex-m0plus -mfloat-abi=soft")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
