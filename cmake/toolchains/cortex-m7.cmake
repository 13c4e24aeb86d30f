# Cortex-M7 (ARMv7E-M): DSP extension, double-precision FPU, hard-float ABI.
set(EMBER_CPU_FLAGS "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
