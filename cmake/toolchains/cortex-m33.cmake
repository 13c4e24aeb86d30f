# Cortex-M33 (ARMv8-M Mainline): DSP extension (on by default for -mcpu=cortex-m33; +nodsp
# drops it), single-precision FPU, hard-float ABI.
set(EMBER_CPU_FLAGS "-mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
