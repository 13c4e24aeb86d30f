# Cortex-M4F (ARMv7E-M): DSP extension, single-precision FPU, hard-float ABI.
set(EMBER_CPU_FLAGS "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
